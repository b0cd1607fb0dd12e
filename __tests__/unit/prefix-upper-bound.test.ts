import fc from 'fast-check';

import { prefixUpperBound } from '../../src/secretstore/prefix-upper-bound';

/** Code point order, which is the byte order of UTF-8 (PostgreSQL's "C" collation). */
function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

describe('prefixUpperBound', () => {
  it.each<[string, string, string | undefined]>([
    ['abc', 'abc', 'abd'],
    ['the empty prefix', '', undefined],
    ['the last code point', '\u{10FFFF}', undefined],
    ['only last code points', '\u{10FFFF}\u{10FFFF}', undefined],
    ['a trailing last code point', 'a\u{10FFFF}', 'b'],
    ['the code point before the surrogates', '\uD7FF', '\uE000'],
    ['an astral character', 'x😀', 'x😁'],
    ['a character before the astral planes', '\uFFFF', '\u{10000}'],
    ['LIKE wildcards', 'a%_\\', 'a%_]'],
  ])('bounds %s', (_, prefix, bound) => {
    expect(prefixUpperBound(prefix)).toBe(bound);
  });

  // Strings made of a few characters near the interesting edges, so that many share a prefix.
  const character = fc.constantFrom(
    'a',
    'b',
    '%',
    '\u007f',
    '\u0080',
    'é',
    '\uD7FF',
    '\uE000',
    '\uFFFF',
    '😀',
    '\u{10FFFF}',
  );
  const text = (maxLength: number) => fc.array(character, { maxLength }).map((chars) => chars.join(''));

  it('bounds exactly the strings that start with the prefix', () => {
    const outside = { below: 0, above: 0 };
    fc.assert(
      fc.property(text(3), text(4), (prefix, candidate) => {
        const bound = prefixUpperBound(prefix);
        const inRange =
          compareCodePoints(candidate, prefix) >= 0 && (bound === undefined || compareCodePoints(candidate, bound) < 0);
        expect(inRange).toBe(candidate.startsWith(prefix));
        if (bound !== undefined) {
          expect(bound.isWellFormed()).toBe(true);
          expect(compareCodePoints(`${prefix}\u{10FFFF}\u{10FFFF}`, bound)).toBeLessThan(0);
        }
        if (!inRange) outside[compareCodePoints(candidate, prefix) < 0 ? 'below' : 'above'] += 1;
      }),
      { numRuns: 500, seed: 20240102 },
    );
    // The generated strings must have tested both edges of the range, not only the inside.
    expect(outside.below).toBeGreaterThan(0);
    expect(outside.above).toBeGreaterThan(0);
  });
});
