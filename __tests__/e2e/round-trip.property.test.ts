/**
 * Property: with encryption on, every JSON object or array a caller may store reads back exactly as it was
 * written (toStrictEqual, and the same JSON text), through one SecretStore configuration over two
 * repositories.
 *
 * 12,000 generated values in all, with fixed seeds:
 *   - 4,000 through the harness database (PGlite, or a PostgreSQL server when TEST_DATABASE_URL is set):
 *     3,200 general JSON values and 800 deep-nesting values (measured: about 4.5 s on PGlite, 8 s on a
 *     local PostgreSQL 15 server);
 *   - 8,000 through an in-memory SecretStoreRepository (a Map, below): 6,400 general and 1,600 deep
 *     (about 3 s). Same store, validation, JSON text and AES-256-GCM envelope; only the storage differs.
 */
import fc from 'fast-check';
import { z } from 'zod';

import {
  generateEncryptionKey,
  InMemorySecretStoreRepository,
  parseEncryptionKeys,
  PostgresSecretStoreRepository,
  SecretStore,
} from '../../src';
import { useTestDatabase } from '../harness/database';

const SEED = 20_240_611;
const STORE_MAX_DEPTH = 64; // SecretStore's default maxDepth
const RUNS = {
  database: { general: 3_200, deep: 800 },
  memory: { general: 6_400, deep: 1_600 },
};

type Json = null | boolean | number | string | Json[] | { [name: string]: Json };
type JsonContainer = Json[] | { [name: string]: Json };

/** An object whose properties are all own data properties, `__proto__` included (a literal would set the prototype). */
function objectOf(entries: readonly (readonly [string, Json])[]): { [name: string]: Json } {
  const object: { [name: string]: Json } = {};
  for (const [name, value] of entries) {
    Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return object;
}

// ---- Arbitraries ----------------------------------------------------------------------------------------

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));
const oddCharacter = fc.constantFrom(
  '\u0000',
  '"',
  '\\',
  '/',
  '\n',
  '\u007f',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffd',
  '\u{1f511}', // 🔑, astral
  '\u{10ffff}',
  'e\u0301', // combining accent
  '\ud83d', // high surrogate alone
  '\ude00', // low surrogate alone
);
const textUnit = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: loneSurrogate },
  { weight: 2, arbitrary: oddCharacter },
);
const text = fc.string({ unit: textUnit, maxLength: 16 });

const propertyName = fc.oneof(
  { weight: 3, arbitrary: text },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '__proto__',
      '',
      'constructor',
      'prototype',
      'toString',
      'toJSON', // a data property, not a method: JSON.stringify does not call it
      'hasOwnProperty',
      'valueOf',
      '0',
      '01',
      '-1',
      '4294967295',
      '1e3',
      'a.b',
      '[0]',
      '$',
      'ключ',
      '鍵',
      '\u{1f511}',
      '\u0000',
      '\ud800',
    ),
  },
);

const notNegativeZero = (n: number): boolean => !Object.is(n, -0);
const number = fc
  .oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.maxSafeInteger(),
    fc.integer(),
    fc.constantFrom(
      0,
      1e300,
      -1e300,
      5e-324,
      -5e-324,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
      2 ** 53,
      2 ** 53 + 2,
      -(2 ** 64),
      1e21,
      1e-7,
      0.1,
      Number.EPSILON,
    ),
  )
  // -0 is refused on purpose (JSON cannot represent it); see the explicit test below.
  .filter(notNegativeZero);

const leaf: fc.Arbitrary<Json> = fc.oneof(fc.constant(null), fc.boolean(), number, text);

const { array: jsonArray, object: jsonObject } = fc.letrec<{
  value: Json;
  array: Json[];
  object: { [name: string]: Json };
}>((tie) => ({
  value: fc.oneof({ depthSize: 'small', maxDepth: 8, depthIdentifier: 'json' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 6, depthIdentifier: 'json' }),
  // fc.dictionary defines every key as an own property, `__proto__` included.
  object: fc.dictionary(propertyName, tie('value'), { maxKeys: 6, noNullPrototype: true, depthIdentifier: 'json' }),
}));

/** What a caller may store: an object or an array (never a bare primitive). */
const generalSecret: fc.Arbitrary<JsonContainer> = fc.oneof(jsonArray, jsonObject);

type Wrapper = { kind: 'array'; before: Json[] } | { kind: 'object'; name: string; siblings: [string, Json][] };

const wrapper: fc.Arbitrary<Wrapper> = fc.oneof(
  fc.record({ kind: fc.constant('array' as const), before: fc.array(leaf, { maxLength: 2 }) }),
  fc.record({
    kind: fc.constant('object' as const),
    name: propertyName,
    siblings: fc.array(fc.tuple(propertyName, leaf), { maxLength: 2 }),
  }),
);

/**
 * A chain of 1 to 64 nested containers (the store's limit), each one level deeper than its parent; the
 * innermost holds a primitive or nothing.
 */
const deepSecret: fc.Arbitrary<JsonContainer> = fc
  .tuple(
    fc.array(wrapper, { minLength: 1, maxLength: STORE_MAX_DEPTH, size: 'max' }),
    fc.option(leaf, { nil: undefined }),
  )
  .map(([wrappers, innermost]) => {
    // What the container being built holds of the level below it: nothing, or one value.
    let below: Json[] = innermost === undefined ? [] : [innermost];
    let value: JsonContainer = [];
    for (let level = wrappers.length - 1; level >= 0; level--) {
      const layer = wrappers[level];
      if (layer.kind === 'array') {
        value = [...layer.before, ...below];
      } else {
        const siblings = layer.siblings.filter(([name]) => name !== layer.name);
        value = objectOf(below.length === 0 ? siblings : [...siblings, [layer.name, below[0]]]);
      }
      below = [value];
    }
    return value;
  });

const secretKey = fc
  .tuple(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.nat({ max: 999 }))
  // eslint-disable-next-line no-control-regex
  .map(([name, n]) => `roundtrip/${name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '')}/${n}`);

// ---- What the generators produced (asserted after the runs, so that a weakened generator fails) --------

function depthOf(value: Json): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

interface Coverage {
  maxDepth: number;
  ownProtoKey: boolean;
  emptyKey: boolean;
  emptyObject: boolean;
  emptyArray: boolean;
  nul: boolean;
  loneSurrogate: boolean;
  astral: boolean;
  beyondSafeInteger: boolean;
  subnormal: boolean;
  negative: boolean;
}

function emptyCoverage(): Coverage {
  return {
    maxDepth: 0,
    ownProtoKey: false,
    emptyKey: false,
    emptyObject: false,
    emptyArray: false,
    nul: false,
    loneSurrogate: false,
    astral: false,
    beyondSafeInteger: false,
    subnormal: false,
    negative: false,
  };
}

function noteText(coverage: Coverage, value: string): void {
  if (value.includes('\u0000')) coverage.nul = true;
  if (!value.isWellFormed()) coverage.loneSurrogate = true;
  if (/[\u{10000}-\u{10ffff}]/u.test(value)) coverage.astral = true;
}

function note(coverage: Coverage, value: Json): void {
  if (typeof value === 'string') noteText(coverage, value);
  if (typeof value === 'number') {
    if (Math.abs(value) > Number.MAX_SAFE_INTEGER) coverage.beyondSafeInteger = true;
    if (value !== 0 && Math.abs(value) < 2.2250738585072014e-308) coverage.subnormal = true;
    if (value < 0) coverage.negative = true;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    if (value.length === 0) coverage.emptyArray = true;
    value.forEach((item) => note(coverage, item));
    return;
  }
  const names = Object.keys(value);
  if (names.length === 0) coverage.emptyObject = true;
  if (Object.hasOwn(value, '__proto__') && Object.getPrototypeOf(value) === Object.prototype) {
    coverage.ownProtoKey = true;
  }
  for (const name of names) {
    if (name === '') coverage.emptyKey = true;
    noteText(coverage, name);
    note(coverage, value[name]);
  }
}

/**
 * The value as a tree toStrictEqual compares exactly: prototypes, own keys in order, -0. Comparing the values
 * themselves with toStrictEqual is not exact here: jest also compares `a.constructor === b.constructor`, so
 * two equal objects with an own "constructor" property ({ constructor: {} } twice) compare unequal.
 */
function structureOf(value: unknown): unknown {
  if (typeof value === 'number') return { number: Object.is(value, -0) ? '-0' : value };
  if (typeof value !== 'object' || value === null) return value;
  const prototype: unknown = Object.getPrototypeOf(value);
  const prototypeName =
    prototype === Object.prototype ? 'Object' : prototype === Array.prototype ? 'Array' : String(prototype);
  const entries = Object.keys(value).map((name) => [
    name,
    structureOf(Object.getOwnPropertyDescriptor(value, name)?.value),
  ]);
  return { prototype: prototypeName, entries };
}

// ---- The property --------------------------------------------------------------------------------------

const testDatabase = useTestDatabase();
const encryption = parseEncryptionKeys(`k1:${generateEncryptionKey()}`);
// Accepts anything and returns it as it is: what is compared is what the store decoded.
const Anything = z.unknown();

async function assertRoundTrips(
  store: SecretStore,
  secrets: fc.Arbitrary<JsonContainer>,
  numRuns: number,
  seed: number,
): Promise<Coverage> {
  const coverage = emptyCoverage();
  await fc.assert(
    fc.asyncProperty(secretKey, secrets, async (key, value) => {
      await store.setSecret(key, value);
      const read = await store.getSecret(Anything, key);
      expect(structureOf(read)).toStrictEqual(structureOf(value));
      expect(JSON.stringify(read)).toBe(JSON.stringify(value));
      coverage.maxDepth = Math.max(coverage.maxDepth, depthOf(value));
      note(coverage, value);
    }),
    { seed, numRuns },
  );
  return coverage;
}

const everythingCovered: Omit<Coverage, 'maxDepth'> = {
  ownProtoKey: true,
  emptyKey: true,
  emptyObject: true,
  emptyArray: true,
  nul: true,
  loneSurrogate: true,
  astral: true,
  beyondSafeInteger: true,
  subnormal: true,
  negative: true,
};

describe('round trip of arbitrary JSON with encryption on', () => {
  describe('through the database', () => {
    let store: SecretStore;

    beforeAll(() => {
      store = new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), { encryption });
    });

    it(`returns ${RUNS.database.general} general JSON values exactly as written`, async () => {
      const coverage = await assertRoundTrips(store, generalSecret, RUNS.database.general, SEED);
      expect(coverage).toMatchObject(everythingCovered);
      // Stored encrypted: no row holds a plaintext value.
      const { rows } = await testDatabase().database.query(
        "SELECT count(*)::int AS n FROM secret_store WHERE encoding <> 'aes-256-gcm' OR key_id <> 'k1'",
        [],
      );
      expect(rows).toEqual([{ n: 0 }]);
    }, 120_000);

    it(`returns ${RUNS.database.deep} values nested up to ${STORE_MAX_DEPTH} levels exactly as written`, async () => {
      const coverage = await assertRoundTrips(store, deepSecret, RUNS.database.deep, SEED + 1);
      expect(coverage.maxDepth).toBe(STORE_MAX_DEPTH);
    }, 120_000);
  });

  describe('through an in-memory repository', () => {
    const repository = new InMemorySecretStoreRepository();
    const store = new SecretStore(repository, { encryption });

    it(`returns ${RUNS.memory.general} general JSON values exactly as written`, async () => {
      const coverage = await assertRoundTrips(store, generalSecret, RUNS.memory.general, SEED + 2);
      expect(coverage).toMatchObject(everythingCovered);
    }, 120_000);

    it(`returns ${RUNS.memory.deep} values nested up to ${STORE_MAX_DEPTH} levels exactly as written`, async () => {
      const coverage = await assertRoundTrips(store, deepSecret, RUNS.memory.deep, SEED + 3);
      expect(coverage.maxDepth).toBe(STORE_MAX_DEPTH);
    }, 120_000);

    it('hands the repository ciphertext only', async () => {
      await store.setSecret('memory.plain-check', { password: 'hunter2-\u{1f511}' });
      const stored = await repository.getSecret('memory.plain-check');
      expect(stored).toMatchObject({ encoding: 'aes-256-gcm', keyId: 'k1' });
      expect(stored?.valueJson).not.toContain('hunter2');
    });
  });

  describe('edges stated once', () => {
    let store: SecretStore;

    beforeAll(() => {
      store = new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), { encryption });
    });

    it('uses a schema that returns its input as it is', () => {
      const value = { a: [1, { b: '\u0000' }] };
      const result = Anything['~standard'].validate(value);
      expect(result).toEqual({ value });
      expect((result as { value: unknown }).value).toBe(value);
    });

    it('refuses -0, which JSON would read back as 0, and writes nothing', async () => {
      await expect(store.setSecret('edge.negative-zero', { n: -0 })).rejects.toMatchObject({
        code: 'INVALID_SECRET_VALUE',
        path: '$.n',
      });
      await expect(store.setSecret('edge.negative-zero', [1, -0])).rejects.toMatchObject({
        code: 'INVALID_SECRET_VALUE',
        path: '$[1]',
      });
      expect(await store.getSecret(Anything, 'edge.negative-zero')).toBeUndefined();
    });

    it('keeps an own "__proto__" property an ordinary property', async () => {
      const value = JSON.parse('{"__proto__":{"admin":true},"user":"u"}') as { [name: string]: Json };
      expect(Object.hasOwn(value, '__proto__')).toBe(true);
      await store.setSecret('edge.proto', value);
      const read = (await store.getSecret(Anything, 'edge.proto')) as { [name: string]: Json };
      expect(read).toStrictEqual(value);
      expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
      expect(Object.hasOwn(read, '__proto__')).toBe(true);
      expect(Object.getOwnPropertyDescriptor(read, '__proto__')?.value).toEqual({ admin: true });
      expect('admin' in read).toBe(false);
    });

    it('stores an object whose "toJSON" is a data property, which JSON.stringify does not call', async () => {
      const value = JSON.parse('{"toJSON":"not a method","nested":{"toJSON":null}}') as { [name: string]: Json };
      await store.setSecret('edge.to-json', value);
      expect(await store.getSecret(Anything, 'edge.to-json')).toStrictEqual(value);
    });

    it(`stores nesting of exactly ${STORE_MAX_DEPTH} levels and refuses one more`, async () => {
      let value: Json[] = [];
      for (let level = 1; level < STORE_MAX_DEPTH; level++) value = [value];
      expect(depthOf(value)).toBe(STORE_MAX_DEPTH);
      await store.setSecret('edge.deep', value);
      expect(await store.getSecret(Anything, 'edge.deep')).toStrictEqual(value);

      await expect(store.setSecret('edge.deeper', [value])).rejects.toMatchObject({ code: 'INVALID_SECRET_VALUE' });
      expect(await store.getSecret(Anything, 'edge.deeper')).toBeUndefined();
    });
  });
});
