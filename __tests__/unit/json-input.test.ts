import { parseJson } from '../../src/cli/json-input';
import { thrownBy } from '../support/errors';

const SOURCE = 'the value argument';

function refusal(text: string): { code: string; message: string } {
  const error = thrownBy(() => parseJson(text, SOURCE)) as { code: string; message: string };
  return { code: error.code, message: error.message };
}

describe('parseJson: values never change silently on the way in', () => {
  it.each([
    ['12345678901234567890', '$.account_id'],
    ['-9007199254740992', '$.account_id'],
    ['9007199254740993', '$.account_id'],
  ])('refuses the integer %s, naming its path', (integer, path) => {
    expect(refusal(`{"account_id": ${integer}}`)).toEqual({
      code: 'UNSAFE_NUMBER',
      message: `${SOURCE} has an integer outside ±(2^53−1) at ${path} that a JavaScript number cannot hold exactly; store it as a string`,
    });
  });

  it.each([
    ['1.5e400', 'overflows to Infinity'],
    ['2e-400', 'underflows to 0'],
    ['1.23456789012345678', 'has more digits than a double keeps'],
  ])('refuses the number %s, which %s', (number) => {
    expect(refusal(`{"a":{"b":[0, ${number}]}}`)).toMatchObject({
      code: 'UNSAFE_NUMBER',
      message: expect.stringContaining('a number at $.a.b[1]') as unknown,
    });
  });

  it.each([
    ['{"dup": 1, "dup": 2}', '$.dup'],
    ['{"dup": 1, "dup": 1}', '$.dup'],
    ['{"a": [{"x": true, "y": 1, "x": true}]}', '$.a[0].x'],
    ['{"a b": {"": 1, "": 2}}', '$["a b"][""]'],
  ])('refuses %s, a property given twice, naming %s', (text, path) => {
    expect(refusal(text)).toEqual({ code: 'INVALID_JSON', message: `${SOURCE} gives the property ${path} twice` });
  });

  it('takes every number a double holds exactly, as JSON.parse reads it', () => {
    const text = '{"n": [0, -1, 0.1, 1e2, 1E-7, 123.4560, 9007199254740991, -9007199254740991, 0.30000000000000004]}';
    expect(parseJson(text, SOURCE)).toEqual(JSON.parse(text));
  });

  it('keeps "__proto__" an ordinary property, as JSON.parse does', () => {
    const parsed = parseJson('{"__proto__": {"polluted": true}}', SOURCE) as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads strings as JSON.parse does, escapes and unpaired surrogates included', () => {
    const text = '{"s": "\\u00e9\\n\\ud800\\u0000 ✓", "t": [true, false, null, "", {}]}';
    expect(parseJson(`\uFEFF${text}`, SOURCE)).toEqual(JSON.parse(text));
  });

  it.each([
    ['{"a": tru}', 'line 1, column 7'],
    ['{"a": 1,}', 'line 1, column 9'],
    ['{"a": 1', ': it ends too early'],
    ['{\n  "a": "unterminated', ': it ends too early'],
    ["{'a': 1}", 'line 1, column 2'],
    ['{"a": NaN}', 'line 1, column 7'],
  ])('reports %p as invalid at its position, quoting nothing of it', (text, where) => {
    const expected = where.startsWith(':')
      ? `${SOURCE} is not valid JSON${where}`
      : `${SOURCE} is not valid JSON at ${where}`;
    expect(refusal(text)).toEqual({ code: 'INVALID_JSON', message: expected });
  });

  it('reports empty input', () => {
    expect(refusal(' \n')).toEqual({ code: 'INVALID_JSON', message: `${SOURCE} is empty` });
  });
});
