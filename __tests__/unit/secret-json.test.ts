import { inspect } from 'node:util';

import { z } from 'zod';

import {
  generateEncryptionKey,
  InvalidSecretValueError,
  parseEncryptionKeys,
  SecretStore,
  SecretValueTooLargeError,
  type SecretStoreOptions,
  type SecretStoreRepository,
} from '../../src';
import { expectError, rejectionOf } from '../support/errors';
import { mockSecretStoreRepository, storedRecord, upsertedValue } from '../support/mock-secret-store-repository';

const MIB = 1024 * 1024;
const plaintext: SecretStoreOptions = { encryption: 'none' };
const encrypted: SecretStoreOptions = { encryption: parseEncryptionKeys(`k1:${generateEncryptionKey()}`) };

let repository: jest.Mocked<SecretStoreRepository>;

beforeEach(() => {
  repository = mockSecretStoreRepository();
});

/** Writes `value` with a store of `options`, plaintext unless they say otherwise. */
function setSecret(value: unknown, options: SecretStoreOptions = {}): Promise<{ version: number }> {
  return new SecretStore(repository, { ...plaintext, ...options }).setSecret('svc/k', value as object);
}

/** Writes `value` with an encrypting store, then reads back what it stored. */
async function encryptedRoundTrip(value: unknown): Promise<unknown> {
  const store = new SecretStore(repository, encrypted);
  await store.setSecret('svc/k', value as object);
  repository.getSecret.mockResolvedValue(storedRecord('svc/k', upsertedValue(repository)));
  return store.getSecret(z.unknown(), 'svc/k');
}

/** The InvalidSecretValueError that setSecret refuses `value` with, checked to have stopped before the repository. */
async function refusal(value: unknown, options: SecretStoreOptions = {}): Promise<InvalidSecretValueError> {
  const error = await rejectionOf(setSecret(value, options));
  expect(error).toBeInstanceOf(InvalidSecretValueError);
  expect(repository.writeSecret).not.toHaveBeenCalled();
  return error as InvalidSecretValueError;
}

/** An object nested `depth` levels deep: `{}` is depth 1, `{ a: {} }` depth 2. */
function nested(depth: number): object {
  let value: object = {};
  for (let level = 1; level < depth; level++) value = { a: value };
  return value;
}

class Credentials {
  user = 'app';
}

function cyclic(): object {
  const value: Record<string, unknown> = { name: 'x' };
  value.self = value;
  return value;
}

function cyclicThroughArray(): object {
  const inner: Record<string, unknown> = {};
  const value = { list: [1, inner] };
  inner.back = value;
  return value;
}

function sparse(): unknown[] {
  const list: unknown[] = [];
  list[0] = 'a';
  list[2] = 'c';
  return list;
}

/** A hole and a named property: as many own keys as the length, yet index 1 is missing. */
function sparseWithNamedProperty(): unknown[] {
  return Object.assign(sparse(), { extra: 'b' });
}

function withHiddenToJSON(): object {
  // JSON.stringify calls toJSON even when it is not enumerable: this object would be stored as the string "x".
  return Object.defineProperty({ a: 1 }, 'toJSON', { value: () => 'x', enumerable: false });
}

const accepted: [string, unknown][] = [
  ['an object', { user: 'app', port: 5432, tls: true, replica: null, tags: ['a', 'b'], nested: { deep: [{}] } }],
  ['an array at the top', [1, 'two', null, false, { three: 3 }]],
  ['an object without a prototype', Object.assign(Object.create(null) as object, { user: 'app' })],
  ['shared, non-circular references', ((shared) => ({ a: shared, b: shared, list: [shared, shared] }))({ x: 1 })],
  ['unicode text and names', { 'clé 🔑': 'välue 𝄞', '': '' }],
  ['extreme finite numbers', { max: Number.MAX_VALUE, tiny: Number.MIN_VALUE, neg: -1.5 }],
];

/** Refused whatever the encryption: they would not read back equal. */
const refusedEverywhere: [string, unknown, string][] = [
  ['a string', 'secret', '$'],
  ['a number', 42, '$'],
  ['a boolean', true, '$'],
  ['null', null, '$'],
  ['undefined', undefined, '$'],
  ['a function', () => 1, '$'],
  ['a Date at the top', new Date(0), '$'],
  ['an undefined property', { a: undefined }, '$.a'],
  ['a function property', { f: () => 1 }, '$.f'],
  ['a symbol', { s: Symbol('s') }, '$.s'],
  ['a BigInt', { n: BigInt(10) }, '$.n'],
  ['NaN', { n: Number.NaN }, '$.n'],
  ['Infinity', { n: Number.POSITIVE_INFINITY }, '$.n'],
  ['-Infinity', { n: Number.NEGATIVE_INFINITY }, '$.n'],
  ['-0', { n: -0 }, '$.n'],
  ['a Date', { when: new Date(0) }, '$.when'],
  ['a Map', { m: new Map([['a', 1]]) }, '$.m'],
  ['a Set', { s: new Set([1]) }, '$.s'],
  ['a RegExp', { r: /x/ }, '$.r'],
  ['a class instance', { c: new Credentials() }, '$.c'],
  [
    'an object whose prototype has no constructor',
    { o: Object.create(Object.create(null) as object) as object },
    '$.o',
  ],
  ['a Buffer', { b: Buffer.from('x') }, '$.b'],
  ['a boxed string', { s: Object('x') as object }, '$.s'],
  ['an Array subclass', { l: new (class Scopes extends Array<string> {})() }, '$.l'],
  ['a circular reference', cyclic(), '$.self'],
  ['a cycle through an array', cyclicThroughArray(), '$.list[1].back'],
  ['a sparse array', { list: sparse() }, '$.list[1]'],
  ['an array with a named property', { list: Object.assign(['a'], { extra: true }) }, '$.list'],
  ['a sparse array with a named property', { list: sparseWithNamedProperty() }, '$.list[1]'],
  ['a symbol-keyed property', { inner: { [Symbol('k')]: 1 } }, '$.inner'],
  ['a bad array item', { scopes: ['read', 'write', undefined] }, '$.scopes[2]'],
  ['a bad item in nested arrays', [[1], [2, [Number.NaN]]], '$[1][1][0]'],
  ['a property name that is not an identifier', { ok: { 'a-b': undefined } }, '$.ok["a-b"]'],
  ['a property name starting with a digit', { '1st': Number.NaN }, '$["1st"]'],
  ['a hidden toJSON method', withHiddenToJSON(), '$'],
];

/** Refused only when stored as JSONB text; encrypted, their JSON text (with escapes) is what is stored. */
const refusedAsJsonb: [string, object, string][] = [
  ['a NUL character in a string', { note: 'a\u0000b' }, '$.note'],
  ['a NUL character in a property name', { 'a\u0000b': 1 }, '$["a\\u0000b"]'],
  ['a lone surrogate in a string', { s: 'x\uD800' }, '$.s'],
  ['a lone surrogate in a property name', { '\uDC00': 1 }, '$["\\udc00"]'],
];

describe('setSecret', () => {
  it.each(accepted)('stores %s as exactly its JSON.stringify text', async (_, value) => {
    await setSecret(value);

    expect(repository.writeSecret).toHaveBeenCalledTimes(1);
    expect(repository.writeSecret).toHaveBeenCalledWith(
      'svc/k',
      { valueJson: JSON.stringify(value), encoding: 'plain', keyId: null, writeId: expect.any(String) as unknown },
      expect.objectContaining({ operation: 'set' }),
    );
  });

  it.each(accepted)('encrypts %s so that it reads back as its JSON round trip', async (_, value) => {
    await expect(encryptedRoundTrip(value)).resolves.toStrictEqual(JSON.parse(JSON.stringify(value)));
  });

  describe.each([
    ['none', plaintext],
    ['a keyring', encrypted],
  ])('with encryption %s', (_, options) => {
    it.each(refusedEverywhere)('refuses %s before calling the repository', async (__, value, path) => {
      const error = await refusal(value, options);

      expect(error).toMatchObject({ key: 'svc/k', path, code: 'INVALID_SECRET_VALUE' });
      expect(error.message).toContain(path);
    });
  });

  it.each(refusedAsJsonb)("refuses %s with encryption 'none'", async (_, value, path) => {
    const error = await refusal(value, plaintext);

    expect(error).toMatchObject({ key: 'svc/k', path, code: 'INVALID_SECRET_VALUE' });
    expect(error.message).toContain('JSONB cannot store');
  });

  it.each(refusedAsJsonb)('accepts %s when encrypting, and reads it back unchanged', async (_, value) => {
    await expect(encryptedRoundTrip(value)).resolves.toStrictEqual(value);
    expect(upsertedValue(repository).encoding).toBe('aes-256-gcm');
  });

  it('never quotes the refused value', async () => {
    const marker = 'sk_live_MARKER_77ad';
    const error = await refusal({ token: `${marker}\u0000`, other: marker });

    expect(error.path).toBe('$.token');
    expect(error.message).not.toContain(marker);
    expect(inspect(error, { showHidden: true })).not.toContain(marker);
  });

  describe('nesting', () => {
    it.each<[string, SecretStoreOptions | undefined, number]>([
      ['the default of 64', undefined, 64],
      ['maxDepth 3', { maxDepth: 3 }, 3],
      ['maxDepth 1', { maxDepth: 1 }, 1],
    ])('accepts exactly %s levels and refuses one more', async (_, options, depth) => {
      await setSecret(nested(depth), options);
      expect(repository.writeSecret).toHaveBeenCalledTimes(1);
      repository.writeSecret.mockClear();

      const error = await refusal(nested(depth + 1), options);
      expect(error.path).toBe(`$${'.a'.repeat(depth)}`);
    });

    it('counts arrays as levels', async () => {
      await expect(refusal([[[]]], { maxDepth: 2 })).resolves.toMatchObject({ path: '$[0][0]' });
    });
  });

  describe('size', () => {
    // '{"v":""}' is 8 bytes; every 'é' adds 2 bytes of UTF-8 but only 1 UTF-16 unit.
    const ofBytes = (bytes: number) => ({ v: 'é'.repeat(Math.floor((bytes - 8) / 2)) + 'x'.repeat((bytes - 8) % 2) });

    it.each<[string, SecretStoreOptions | undefined, number]>([
      ['the default 1 MiB', undefined, MIB],
      ['a custom maxValueBytes', { maxValueBytes: 100 }, 100],
      // The limit is on the value's JSON text, not on the larger envelope that stores it.
      ['a custom maxValueBytes, encrypted', { ...encrypted, maxValueBytes: 100 }, 100],
    ])('accepts a value of exactly %s and refuses one byte more', async (_, options, limit) => {
      expect(Buffer.byteLength(JSON.stringify(ofBytes(limit)))).toBe(limit);
      await setSecret(ofBytes(limit), options);
      expect(repository.writeSecret).toHaveBeenCalledTimes(1);
      repository.writeSecret.mockClear();

      const error = expectError(
        await refusal(ofBytes(limit + 1), options),
        SecretValueTooLargeError,
        'SECRET_VALUE_TOO_LARGE',
      );

      expect(error).toMatchObject({
        path: '$',
        sizeBytes: limit + 1,
        limitBytes: limit,
      });
    });

    it('counts UTF-8 bytes, not characters', async () => {
      const value = ofBytes(MIB + 1);
      expect(JSON.stringify(value).length).toBeLessThan(MIB / 2 + 16);

      await expect(refusal(value)).resolves.toBeInstanceOf(SecretValueTooLargeError);
    });
  });
});
