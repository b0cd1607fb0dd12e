import { randomBytes } from 'node:crypto';
import { format, inspect } from 'node:util';

import { EncryptionKey, generateEncryptionKey, parseEncryptionKeys, SecretStoreConfigError } from '../../src';
import { expectThrow } from '../support/errors';
import { expectNoKeyMaterial } from '../support/key-material';

const base64Of = (bytes: number) => randomBytes(bytes).toString('base64');
const b1 = base64Of(32);
const b2 = base64Of(32);

/** The SecretStoreConfigError that `action` throws, checked to show none of `materials`. */
function configError(action: () => unknown, materials: readonly (Uint8Array | string)[]): SecretStoreConfigError {
  const error = expectThrow(action, SecretStoreConfigError, 'INVALID_CONFIGURATION');
  expectNoKeyMaterial(error.message, materials);
  expectNoKeyMaterial(inspect(error, { showHidden: true, depth: Infinity }), materials);
  return error;
}

describe('parseEncryptionKeys', () => {
  it('reads id:<base64> entries, trimming whitespace and empty entries, the first being active', () => {
    const parsed = parseEncryptionKeys(` k2:${b2} ,\n\tk1: ${b1}\n,, `);

    expect(parsed.activeKeyId).toBe('k2');
    expect(Object.keys(parsed.keys)).toEqual(['k2', 'k1']);
    expect(parsed.keys.k2).toBeInstanceOf(EncryptionKey);
    expect(parsed.keys.k2.exportBase64()).toBe(b2);
    expect(parsed.keys.k1.exportBase64()).toBe(b1);
  });

  it.each([
    ['2:…,1:…', '2', '1'],
    ['10:…,9:…', '10', '9'],
  ])('makes the first key active even when the ids look like integers (%s)', (_, first, second) => {
    const parsed = parseEncryptionKeys(`${first}:${b1},${second}:${b2}`);

    expect(parsed.activeKeyId).toBe(first);
    expect(parsed.keys[first].exportBase64()).toBe(b1);
  });

  it.each(['k1', 'K-1.2_x', 'a'.repeat(64), '0'])('accepts the key id %p', (id) => {
    expect(Object.keys(parseEncryptionKeys(`${id}:${b1}`).keys)).toEqual([id]);
  });

  it('keeps an id of "__proto__" an ordinary entry', () => {
    const parsed = parseEncryptionKeys(`__proto__:${b1},k1:${b2}`);

    expect(parsed.activeKeyId).toBe('__proto__');
    expect(Object.hasOwn(parsed.keys, '__proto__')).toBe(true);
    expect(Object.keys(parsed.keys)).toEqual(['__proto__', 'k1']);
    expect(parsed.keys['__proto__'].exportBase64()).toBe(b1);
  });

  it.each<[string, string, string, string]>([
    ['an empty spec', '', 'SECRETSTORE_ENCRYPTION_KEYS', 'holds no keys'],
    ['only separators and whitespace', ' , ,\n', 'SECRETSTORE_ENCRYPTION_KEYS', 'holds no keys'],
    ['an entry without ":"', `k1:${b1},${b2}`, 'SECRETSTORE_ENCRYPTION_KEYS', 'entry 2 is not of the form'],
    ['an entry with an empty id', `:${b1}`, 'SECRETSTORE_ENCRYPTION_KEYS', 'entry 1 is not of the form'],
    ['an id with a space', `k 1:${b1}`, 'SECRETSTORE_ENCRYPTION_KEYS (entry 1)', 'key ids are'],
    ['an id with a slash', `k2:${b2},k/1:${b1}`, 'SECRETSTORE_ENCRYPTION_KEYS (entry 2)', 'key ids are'],
    ['an id of 65 characters', `${'a'.repeat(65)}:${b1}`, 'SECRETSTORE_ENCRYPTION_KEYS (entry 1)', 'key ids are'],
    ['the key and the id swapped', `${b1}:k1`, 'SECRETSTORE_ENCRYPTION_KEYS (entry 1)', 'key ids are'],
    ['a duplicate id', `k1:${b1},k1:${b2}`, 'SECRETSTORE_ENCRYPTION_KEYS', 'key id "k1" appears twice'],
    ['a key that is not base64', `k2:${b2},k1:${b1}!`, 'SECRETSTORE_ENCRYPTION_KEYS (key "k1")', 'not valid base64'],
    [
      'a key in base64url',
      'k1:' + '-_'.repeat(21) + 'AA=',
      'SECRETSTORE_ENCRYPTION_KEYS (key "k1")',
      'not valid base64',
    ],
    ['a second colon', `k1:${b1}:${b2}`, 'SECRETSTORE_ENCRYPTION_KEYS (key "k1")', 'not valid base64'],
    ['an empty key', `k1:`, 'SECRETSTORE_ENCRYPTION_KEYS (key "k1")', 'not valid base64'],
    ['a key of 16 bytes', `k1:${base64Of(16)}`, 'SECRETSTORE_ENCRYPTION_KEYS (key "k1")', 'must be 32 bytes, not 16'],
    ['a key of 31 bytes', `k1:${base64Of(31)}`, 'SECRETSTORE_ENCRYPTION_KEYS (key "k1")', 'must be 32 bytes, not 31'],
    ['a key of 33 bytes', `k1:${base64Of(33)}`, 'SECRETSTORE_ENCRYPTION_KEYS (key "k1")', 'must be 32 bytes, not 33'],
  ])('refuses %s, naming the variable and never the key', (_, spec, setting, problem) => {
    const materials = spec.split(/[,:!]/).filter((part) => part.length >= 16);

    const error = configError(() => parseEncryptionKeys(spec), materials);

    expect(error.setting).toBe(setting);
    expect(error.message).toContain('SECRETSTORE_ENCRYPTION_KEYS');
    expect(error.message).toContain(problem);
  });

  it('names the setting it is given', () => {
    expect(configError(() => parseEncryptionKeys('k1:x', 'MY_KEYS'), [])).toMatchObject({
      setting: 'MY_KEYS (key "k1")',
    });
  });

  // Bug: `parseEncryptionKeys(process.env.SECRETSTORE_ENCRYPTION_KEYS!)`, as the README writes it, throws a
  // TypeError from spec.split when the variable is unset. Flip to `it` once src refuses it with a config error.
  it('refuses a spec that is not a string with SecretStoreConfigError', () => {
    const error = configError(() => parseEncryptionKeys(undefined as unknown as string), []);

    expect(error.setting).toBe('SECRETSTORE_ENCRYPTION_KEYS');
  });
});

describe('EncryptionKey', () => {
  describe('fromBytes', () => {
    it.each([
      ['a Uint8Array', (bytes: Buffer) => new Uint8Array(bytes)],
      ['a Buffer', (bytes: Buffer) => bytes],
      [
        'a view into a larger buffer',
        (bytes: Buffer) => Buffer.concat([randomBytes(8), bytes, randomBytes(8)]).subarray(8, 40),
      ],
    ])('takes 32 bytes as %s', (_, view) => {
      const bytes = randomBytes(32);

      expect(EncryptionKey.fromBytes(view(bytes)).exportBase64()).toBe(bytes.toString('base64'));
    });

    it('copies the bytes: changing them afterwards does not change the key', () => {
      const bytes = randomBytes(32);
      const original = bytes.toString('base64');
      const key = EncryptionKey.fromBytes(bytes);

      bytes.fill(0);

      expect(key.exportBase64()).toBe(original);
    });

    it.each([0, 16, 31, 33, 64])('refuses %i bytes', (length) => {
      const bytes = randomBytes(length);

      const error = configError(() => EncryptionKey.fromBytes(bytes), length >= 16 ? [bytes] : []);

      expect(error).toMatchObject({ setting: 'encryption key', problem: `must be 32 bytes, not ${length}` });
    });

    it.each<[string, unknown]>([
      ['a string of 32 characters', 'k'.repeat(32)],
      ['an array of 32 numbers', Array.from({ length: 32 }, () => 7)],
      ['an ArrayBuffer', new ArrayBuffer(32)],
      ['null', null],
    ])('refuses %s', (_, value) => {
      const error = configError(() => EncryptionKey.fromBytes(value as Uint8Array), []);

      expect(error).toMatchObject({ setting: 'encryption key', problem: 'must be 32 bytes (a Uint8Array)' });
    });

    it('names the setting it is given', () => {
      expect(configError(() => EncryptionKey.fromBytes(new Uint8Array(1), 'MY_KEY'), [])).toMatchObject({
        setting: 'MY_KEY',
      });
    });
  });

  describe('fromBase64', () => {
    it('reads 32 bytes of base64, ignoring surrounding whitespace', () => {
      expect(EncryptionKey.fromBase64(`\n ${b1}\t`).exportBase64()).toBe(b1);
    });

    it.each<[string, unknown, string]>([
      ['an empty string', '', 'is not valid base64'],
      ['whitespace', '  \n', 'is not valid base64'],
      ['inner whitespace', `${b1.slice(0, 20)} ${b1.slice(20)}`, 'is not valid base64'],
      ['missing padding', b1.replace(/=+$/, ''), 'is not valid base64'],
      ['a number', 42, 'is not valid base64'],
      ['16 bytes', base64Of(16), 'must be 32 bytes, not 16'],
      ['31 bytes', base64Of(31), 'must be 32 bytes, not 31'],
      ['33 bytes', base64Of(33), 'must be 32 bytes, not 33'],
    ])('refuses %s without quoting it', (_, text, problem) => {
      const materials = typeof text === 'string' && text.trim().length >= 16 ? [text] : [];

      const error = configError(() => EncryptionKey.fromBase64(text as string, 'MY_KEY'), materials);

      expect(error).toMatchObject({ setting: 'MY_KEY', problem });
    });
  });

  it('exports the base64 it was read from, and reads back its own export', () => {
    const key = EncryptionKey.fromBase64(b1);
    const generated = EncryptionKey.generate();

    expect(key.exportBase64()).toBe(b1);
    expect(EncryptionKey.fromBase64(generated.exportBase64()).exportBase64()).toBe(generated.exportBase64());
  });

  it('generates a different 32-byte key each time', () => {
    const exports = Array.from({ length: 8 }, () => EncryptionKey.generate().exportBase64());

    expect(new Set(exports).size).toBe(8);
    exports.forEach((exported) => expect(Buffer.from(exported, 'base64')).toHaveLength(32));
  });
});

describe('printing keys', () => {
  const bytes = randomBytes(32);
  const key = EncryptionKey.fromBytes(bytes);
  const parsed = parseEncryptionKeys(`k2:${b2},k1:${b1}`);
  const materials = [bytes, Buffer.from(b1, 'base64'), Buffer.from(b2, 'base64')];

  it.each<[string, () => string]>([
    ['String()', () => String(key)],
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- what a careless caller writes
    ['a template literal', () => `${key}`],
    ['string concatenation', () => 'key: ' + (key as unknown as string)],
    ['JSON.stringify', () => JSON.stringify(key)],
    ['util.inspect', () => inspect(key)],
    ['util.inspect without custom inspection', () => inspect(key, { customInspect: false, showHidden: true })],
    ['util.format %o %O %s %j', () => format('%o %O %s %j', key, key, key, key)],
    ['JSON.stringify of parseEncryptionKeys', () => JSON.stringify(parsed)],
    ['util.inspect of parseEncryptionKeys', () => inspect(parsed, { showHidden: true, depth: Infinity })],
    [
      'util.inspect of parseEncryptionKeys, uncustomized',
      () => inspect(parsed, { customInspect: false, depth: Infinity }),
    ],
    ['String() of parseEncryptionKeys keys', () => Object.values(parsed.keys).map(String).join()],
  ])('shows no key material through %s', (_, print) => {
    const printed = print();

    expectNoKeyMaterial(printed, materials);
    expect(printed).not.toContain(b1);
    expect(printed).not.toContain(b2);
  });

  it.each<[string, () => string, string]>([
    ['String()', () => String(key), 'EncryptionKey(<redacted>)'],
    ['JSON.stringify', () => JSON.stringify({ key }), '{"key":"<redacted>"}'],
    ['util.inspect', () => inspect({ key }), '{ key: EncryptionKey(<redacted>) }'],
  ])('shows a placeholder through %s', (_, print, shown) => {
    expect(print()).toBe(shown);
  });
});

describe('generateEncryptionKey', () => {
  it('returns 44 characters of base64 of 32 bytes, that parseEncryptionKeys accepts', () => {
    const generated = generateEncryptionKey();

    expect(generated).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(generated, 'base64')).toHaveLength(32);
    expect(parseEncryptionKeys(`k1:${generated}`).keys.k1.exportBase64()).toBe(generated);
  });

  it('returns a different key on every call', () => {
    const generated = Array.from({ length: 16 }, generateEncryptionKey);

    expect(new Set(generated).size).toBe(16);
  });
});
