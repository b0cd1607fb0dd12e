/**
 * Hostile input, end to end: every bad key, value, schema, stored row and configuration is refused with its
 * own error class and stable code, nothing is written, and the store works normally afterwards.
 */
import { randomBytes } from 'node:crypto';

import { z } from 'zod';

import {
  createSecretStore,
  generateEncryptionKey,
  InvalidArgumentError,
  InvalidSecretKeyError,
  InvalidSecretValueError,
  parseEncryptionKeys,
  PostgresSecretStoreRepository,
  SecretCorruptError,
  SecretDecryptionError,
  SecretStore,
  SecretStoreConfigError,
  type SecretStoreError,
  SecretValidationError,
  SecretValueTooLargeError,
  type SecretSchema,
  type SecretStoreOptions,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { sealedEnvelope, type SealedEnvelope } from '../support/envelopes';
import { expectRejection } from '../support/errors';

const testDatabase = useTestDatabase();

const LIMITS = { maxValueBytes: 4096, maxDepth: 16 };
const k1Bytes = randomBytes(32);
const keyring = parseEncryptionKeys(`k1:${k1Bytes.toString('base64')}`);
const legacyTriggerDevKey = randomBytes(16).toString('hex');
const encryptedOptions: SecretStoreOptions = { ...LIMITS, encryption: { ...keyring, legacyTriggerDevKey } };

let encrypted: SecretStore;
let plain: SecretStore;
/** Refuses plaintext rows. */
let strict: SecretStore;

function repository(): PostgresSecretStoreRepository {
  return new PostgresSecretStoreRepository(testDatabase().handle);
}

interface TableRow {
  key: string;
  value: string;
  encoding: string;
  key_id: string | null;
  version: number;
}

async function tableRows(): Promise<TableRow[]> {
  const { rows } = await testDatabase().database.query(
    'SELECT key, value::text AS value, encoding, key_id, version FROM secret_store ORDER BY key',
    [],
  );
  return rows as TableRow[];
}

/** A row as a case writes it with raw SQL, bypassing the store. */
interface ArrangedRow {
  key: string;
  value: unknown;
  encoding: 'plain' | 'aes-256-gcm' | 'triggerdev-v2';
  keyId: string | null;
}

const ARRANGED = 'arranged.';

async function insertRow(row: ArrangedRow): Promise<void> {
  await testDatabase().database.query(
    'INSERT INTO secret_store (key, value, encoding, key_id) VALUES ($1, $2::jsonb, $3, $4)',
    [row.key, JSON.stringify(row.value), row.encoding, row.keyId],
  );
}

function encryptedRow(key: string, envelope: SealedEnvelope): ArrangedRow {
  return { key, value: envelope, encoding: 'aes-256-gcm', keyId: envelope.kid };
}

const ROW = `${ARRANGED}row`;
const sealed = sealedEnvelope(k1Bytes, 'k1', ROW, '{"token":"t"}');
const truncated = { ...sealed, ct: Buffer.from(sealed.ct, 'base64').subarray(0, 5).toString('base64') };

const Token = z.object({ token: z.string() });
const OAuth = z.object({ client_id: z.string(), client_secret: z.string() });

type ErrorClass = abstract new (...args: never[]) => SecretStoreError;

interface HostileCase {
  name: string;
  /** Rows written with raw SQL before the attempt, removed after it. */
  rows?: ArrangedRow[];
  attempt: () => Promise<unknown>;
  error: ErrorClass;
  expected: { code: string } & Record<string, unknown>;
}

const badKey = (name: string, key: unknown, reason: RegExp): HostileCase => ({
  name: `key: ${name}`,
  attempt: () => encrypted.setSecret(key as string, { token: 't' }),
  error: InvalidSecretKeyError,
  expected: { code: 'INVALID_SECRET_KEY', reason: expect.stringMatching(reason) as unknown },
});

const keyCases: HostileCase[] = [
  badKey('empty', '', /empty/),
  badKey('1025 ASCII bytes', 'k'.repeat(1025), /1024 bytes/),
  badKey('513 characters, 1026 UTF-8 bytes', 'é'.repeat(513), /1024 bytes/),
  badKey('control character', 'a\u0007b', /control/),
  badKey('NUL', 'a\u0000b', /control/),
  badKey('DEL', 'a\u007fb', /control/),
  badKey('number', 42, /string, not number/),
  badKey('null', null, /string, not null/),
  badKey('undefined', undefined, /string, not undefined/),
  badKey('object', { key: 'k' }, /string, not object/),
  badKey('leading whitespace', ' key', /whitespace/),
  badKey('trailing whitespace', 'key ', /whitespace/),
  badKey('leading no-break space', '\u00a0key', /whitespace/),
  badKey('lone high surrogate', 'key\ud800', /surrogate/),
  badKey('lone low surrogate', '\udc00key', /surrogate/),
  {
    name: 'key: NUL, on getSecret',
    attempt: () => encrypted.getSecret(Token, 'seed.\u0000'),
    error: InvalidSecretKeyError,
    expected: { code: 'INVALID_SECRET_KEY' },
  },
  {
    name: 'key: empty, on deleteSecret',
    attempt: () => encrypted.deleteSecret(''),
    error: InvalidSecretKeyError,
    expected: { code: 'INVALID_SECRET_KEY' },
  },
  {
    name: 'key: a number among valid keys, on getSecretsByKeys',
    attempt: () => encrypted.getSecretsByKeys(Token, ['seed.api', 7 as unknown as string]),
    error: InvalidSecretKeyError,
    expected: { code: 'INVALID_SECRET_KEY' },
  },
  {
    name: 'argument: a string where getSecretsByKeys takes an array',
    attempt: () => encrypted.getSecretsByKeys(Token, 'seed.api' as unknown as string[]),
    error: InvalidArgumentError,
    expected: { code: 'INVALID_ARGUMENT', argument: 'keys' },
  },
  {
    name: 'key: control character in a prefix, on getSecrets',
    attempt: () => encrypted.getSecrets(Token, 'seed\u001b'),
    error: InvalidSecretKeyError,
    expected: { code: 'INVALID_SECRET_KEY' },
  },
];

class Credentials {
  token = 't';
}

function nested(levels: number): object {
  let value: object = { leaf: true };
  for (let level = 1; level < levels; level++) value = { next: value };
  return value;
}

const circular: Record<string, unknown> = { token: 't' };
circular.self = circular;
const sparse: unknown[] = ['a'];
sparse[2] = 'c';

/** [name, value, JSONPath the error names] */
const refusedEverywhere: [string, unknown, unknown][] = [
  ['top-level string', 'secret', '$'],
  ['top-level number', 42, '$'],
  ['top-level boolean', true, '$'],
  ['top-level null', null, '$'],
  ['top-level undefined', undefined, '$'],
  ['top-level function', () => 'secret', '$'],
  ['nested undefined', { v: undefined }, '$.v'],
  ['nested function', { v: () => 'secret' }, '$.v'],
  ['symbol', { v: Symbol('secret') }, '$.v'],
  ['BigInt', { v: 10n }, '$.v'],
  ['NaN', { v: Number.NaN }, '$.v'],
  ['Infinity', { v: Number.POSITIVE_INFINITY }, '$.v'],
  ['-Infinity', { v: [1, Number.NEGATIVE_INFINITY] }, '$.v[1]'],
  ['-0', { v: -0 }, '$.v'],
  ['circular', circular, '$.self'],
  ['Date', { expires: new Date(0) }, '$.expires'],
  ['Map', { m: new Map([['a', 1]]) }, '$.m'],
  ['Set', new Set(['a']), '$'],
  ['class instance', { c: new Credentials() }, '$.c'],
  ['symbol-keyed property', { [Symbol('k')]: 1 }, '$'],
  ['sparse array', { list: sparse }, '$.list[1]'],
  ['toJSON method', { v: { toJSON: () => 'other' } }, '$.v'],
  [`nesting deeper than ${LIMITS.maxDepth}`, nested(LIMITS.maxDepth + 1), expect.stringMatching(/^\$(\.next){16}$/)],
];

function badValue(storeName: 'encrypted' | 'plain', name: string, value: unknown, path: unknown): HostileCase {
  return {
    name: `value (${storeName}): ${name}`,
    attempt: () => (storeName === 'encrypted' ? encrypted : plain).setSecret('hostile.value', value as object),
    error: InvalidSecretValueError,
    expected: { code: 'INVALID_SECRET_VALUE', key: 'hostile.value', path },
  };
}

const oversized = (storeName: 'encrypted' | 'plain'): HostileCase => ({
  name: `value (${storeName}): over maxValueBytes`,
  attempt: () => (storeName === 'encrypted' ? encrypted : plain).setSecret('hostile.value', { blob: 'x'.repeat(4096) }),
  error: SecretValueTooLargeError,
  expected: { code: 'SECRET_VALUE_TOO_LARGE', limitBytes: 4096, sizeBytes: 4096 + '{"blob":""}'.length },
});

const valueCases: HostileCase[] = [
  ...(['encrypted', 'plain'] as const).flatMap((storeName) => [
    ...refusedEverywhere.map(([name, value, path]) => badValue(storeName, name, value, path)),
    oversized(storeName),
  ]),
  // JSONB cannot hold these; encrypted, they are escapes inside the ciphertext and are accepted (tested below).
  badValue('plain', 'NUL in a string', { v: 'a\u0000b' }, '$.v'),
  badValue('plain', 'lone surrogate in a string', { v: ['ok', 'a\ud800'] }, '$.v[1]'),
  badValue('plain', 'NUL in a property name', { 'a\u0000': 1 }, '$["a\\u0000"]'),
];

const schemaCases: HostileCase[] = [
  {
    name: 'schema: stored value fails validation',
    attempt: () => encrypted.getSecret(z.object({ client_id: z.number(), client_secret: z.string() }), 'seed.oauth'),
    error: SecretValidationError,
    expected: { code: 'SECRET_VALIDATION_FAILED', key: 'seed.oauth', paths: ['$.client_id'] },
  },
  {
    name: 'schema: a listed value fails validation',
    attempt: () => encrypted.getSecrets(z.object({ token: z.literal('other') }), 'seed.'),
    error: SecretValidationError,
    expected: { code: 'SECRET_VALIDATION_FAILED', key: 'seed.api', paths: ['$.token'] },
  },
  {
    name: 'schema: a plain object that is not a schema',
    attempt: () =>
      encrypted.getSecret({ parse: (value: unknown) => value } as unknown as SecretSchema<unknown>, 'seed.api'),
    error: InvalidArgumentError,
    expected: { code: 'INVALID_ARGUMENT', argument: 'schema' },
  },
  {
    name: 'schema: a Standard Schema of another version',
    attempt: () =>
      encrypted.getSecretOrThrow(
        {
          '~standard': { version: 2, vendor: 'x', validate: () => ({ value: {} }) },
        } as unknown as SecretSchema<unknown>,
        'seed.api',
      ),
    error: InvalidArgumentError,
    expected: { code: 'INVALID_ARGUMENT', argument: 'schema' },
  },
  {
    name: 'schema: null',
    attempt: () => encrypted.getSecretsByKeys(null as unknown as SecretSchema<unknown>, ['seed.api']),
    error: InvalidArgumentError,
    expected: { code: 'INVALID_ARGUMENT', argument: 'schema' },
  },
];

function storedCase(
  name: string,
  rows: ArrangedRow[],
  error: ErrorClass,
  expected: HostileCase['expected'],
  reader: () => SecretStore = () => encrypted,
): HostileCase {
  return { name: `stored: ${name}`, rows, attempt: () => reader().getSecret(Token, ROW), error, expected };
}

const storedCases: HostileCase[] = [
  storedCase(
    'malformed envelope',
    [{ key: ROW, value: { v: 1, kid: 'k1' }, encoding: 'aes-256-gcm', keyId: 'k1' }],
    SecretCorruptError,
    { code: 'SECRET_CORRUPT', key: ROW, reason: 'the envelope is malformed' },
  ),
  storedCase('envelope of another version', [encryptedRow(ROW, { ...sealed, v: 3 })], SecretCorruptError, {
    code: 'SECRET_CORRUPT',
    reason: 'the envelope is malformed',
  }),
  storedCase(
    'envelope that is an array',
    [{ key: ROW, value: [sealed], encoding: 'aes-256-gcm', keyId: 'k1' }],
    SecretCorruptError,
    { code: 'SECRET_CORRUPT', reason: 'the envelope is not an object' },
  ),
  storedCase('nonce not base64', [encryptedRow(ROW, { ...sealed, nonce: 'not base64!' })], SecretCorruptError, {
    code: 'SECRET_CORRUPT',
    reason: expect.stringContaining('"nonce"') as unknown,
  }),
  storedCase(
    'tag of 12 bytes',
    [encryptedRow(ROW, { ...sealed, tag: Buffer.from(sealed.tag, 'base64').subarray(0, 12).toString('base64') })],
    SecretCorruptError,
    { code: 'SECRET_CORRUPT', reason: 'the tag is not 16 bytes' },
  ),
  storedCase('truncated ciphertext', [encryptedRow(ROW, truncated)], SecretDecryptionError, {
    code: 'SECRET_DECRYPTION_FAILED',
    key: ROW,
    keyId: 'k1',
  }),
  storedCase(
    'unknown key id',
    [encryptedRow(ROW, sealedEnvelope(randomBytes(32), 'k9', ROW, '{"token":"t"}'))],
    SecretDecryptionError,
    { code: 'SECRET_DECRYPTION_FAILED', keyId: 'k9', reason: 'the key id is not in the keyring' },
  ),
  storedCase(
    'known key id, other key material',
    [encryptedRow(ROW, sealedEnvelope(randomBytes(32), 'k1', ROW, '{"token":"t"}'))],
    SecretDecryptionError,
    { code: 'SECRET_DECRYPTION_FAILED', keyId: 'k1' },
  ),
  storedCase(
    'ciphertext sealed for another key',
    [encryptedRow(ROW, sealedEnvelope(k1Bytes, 'k1', `${ARRANGED}other`, '{"token":"t"}'))],
    SecretDecryptionError,
    { code: 'SECRET_DECRYPTION_FAILED', keyId: 'k1' },
  ),
  storedCase(
    'valid ciphertext of text that is not JSON',
    [encryptedRow(ROW, sealedEnvelope(k1Bytes, 'k1', ROW, '{"token": unquoted}'))],
    SecretCorruptError,
    { code: 'SECRET_CORRUPT', key: ROW, reason: 'the stored value is not JSON' },
  ),
  storedCase(
    'trigger.dev envelope with bad hex',
    [
      {
        key: ROW,
        value: { nonce: 'zz', ciphertext: 'ab', tag: '00'.repeat(16) },
        encoding: 'triggerdev-v2',
        keyId: null,
      },
    ],
    SecretCorruptError,
    { code: 'SECRET_CORRUPT', reason: expect.stringContaining('"nonce" is not hex') as unknown },
  ),
  storedCase(
    'trigger.dev envelope with upper-case hex',
    [
      {
        key: ROW,
        value: { nonce: 'AB'.repeat(12), ciphertext: 'ab', tag: '00'.repeat(16) },
        encoding: 'triggerdev-v2',
        keyId: null,
      },
    ],
    SecretCorruptError,
    { code: 'SECRET_CORRUPT' },
  ),
  storedCase(
    'plain row, store refusing plaintext',
    [{ key: ROW, value: { token: 't' }, encoding: 'plain', keyId: null }],
    SecretDecryptionError,
    { code: 'SECRET_DECRYPTION_FAILED', key: ROW },
    () => strict,
  ),
  storedCase(
    'encrypted row, store without keyring',
    [encryptedRow(ROW, sealed)],
    SecretDecryptionError,
    {
      code: 'SECRET_DECRYPTION_FAILED',
      keyId: 'k1',
    },
    () => plain,
  ),
  storedCase(
    'plain row holding a JSON string',
    [{ key: ROW, value: 'just text', encoding: 'plain', keyId: null }],
    SecretValidationError,
    { code: 'SECRET_VALIDATION_FAILED', paths: ['$'] },
  ),
];

const configCase = (name: string, attempt: () => unknown, setting: string): HostileCase => ({
  name: `configuration: ${name}`,
  attempt: async () => attempt(),
  error: SecretStoreConfigError,
  expected: { code: 'INVALID_CONFIGURATION', setting },
});
const db = () => testDatabase().handle;
const keyOf = (bytes: number) => randomBytes(bytes).toString('base64');

const configCases: HostileCase[] = [
  configCase('no encryption decision, new SecretStore', () => new SecretStore(repository(), {}), 'encryption'),
  configCase(
    'no encryption decision, createSecretStore',
    () => createSecretStore({ db: db(), env: {} }),
    'SECRETSTORE_ENCRYPTION_KEYS',
  ),
  configCase(
    "encryption neither keyring nor 'none'",
    () => new SecretStore(repository(), { encryption: 'plain' as unknown as 'none' }),
    'encryption',
  ),
  configCase(
    'key of 16 bytes, new SecretStore',
    () => new SecretStore(repository(), { encryption: { keys: { k1: randomBytes(16) }, activeKeyId: 'k1' } }),
    'encryption.keys["k1"]',
  ),
  configCase(
    'key of 33 bytes, createSecretStore',
    () => createSecretStore({ db: db(), encryption: { keys: { k1: randomBytes(33) }, activeKeyId: 'k1' } }),
    'encryption.keys["k1"]',
  ),
  configCase(
    'key of 16 bytes in SECRETSTORE_ENCRYPTION_KEYS',
    () => createSecretStore({ db: db(), env: { SECRETSTORE_ENCRYPTION_KEYS: `k1:${keyOf(16)}` } }),
    'SECRETSTORE_ENCRYPTION_KEYS (key "k1")',
  ),
  configCase(
    'bad base64 in SECRETSTORE_ENCRYPTION_KEYS',
    () => createSecretStore({ db: db(), env: { SECRETSTORE_ENCRYPTION_KEYS: 'k1:not*base64' } }),
    'SECRETSTORE_ENCRYPTION_KEYS (key "k1")',
  ),
  configCase(
    'duplicate ids in SECRETSTORE_ENCRYPTION_KEYS',
    () =>
      createSecretStore({
        db: db(),
        env: { SECRETSTORE_ENCRYPTION_KEYS: `k1:${generateEncryptionKey()},k1:${generateEncryptionKey()}` },
      }),
    'SECRETSTORE_ENCRYPTION_KEYS',
  ),
  configCase(
    'entry without an id in SECRETSTORE_ENCRYPTION_KEYS',
    () => createSecretStore({ db: db(), env: { SECRETSTORE_ENCRYPTION_KEYS: generateEncryptionKey() } }),
    'SECRETSTORE_ENCRYPTION_KEYS',
  ),
  configCase(
    'SECRETSTORE_ENCRYPTION_KEYS holding only separators',
    () => createSecretStore({ db: db(), env: { SECRETSTORE_ENCRYPTION_KEYS: ' , ' } }),
    'SECRETSTORE_ENCRYPTION_KEYS',
  ),
  configCase(
    'active id missing from the keyring, new SecretStore',
    () => new SecretStore(repository(), { encryption: { ...keyring, activeKeyId: 'k2' } }),
    'encryption.activeKeyId',
  ),
  configCase(
    'active id missing from the keyring, createSecretStore',
    () => createSecretStore({ db: db(), encryption: { keys: keyring.keys, activeKeyId: 'missing' } }),
    'encryption.activeKeyId',
  ),
  configCase(
    'invalid key id',
    () => new SecretStore(repository(), { encryption: { keys: { 'bad id': randomBytes(32) }, activeKeyId: 'bad id' } }),
    'encryption.keys',
  ),
  configCase(
    'empty keyring',
    () => new SecretStore(repository(), { encryption: { keys: {}, activeKeyId: 'k1' } }),
    'encryption.keys',
  ),
  configCase(
    'legacy trigger.dev key of 31 bytes',
    () =>
      createSecretStore({
        db: db(),
        env: {
          SECRETSTORE_ENCRYPTION_KEYS: `k1:${generateEncryptionKey()}`,
          SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY: 'x'.repeat(31),
        },
      }),
    'SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY',
  ),
  configCase(
    'maxValueBytes of 0',
    () => new SecretStore(repository(), { ...encryptedOptions, maxValueBytes: 0 }),
    'maxValueBytes',
  ),
  configCase(
    'maxDepth of 2.5',
    () => new SecretStore(repository(), { ...encryptedOptions, maxDepth: 2.5 }),
    'maxDepth',
  ),
  configCase('rotation without a keyring', () => plain.rotateEncryptionKeys(), 'encryption'),
];

const cases: HostileCase[] = [...keyCases, ...valueCases, ...schemaCases, ...storedCases, ...configCases];

let seeded: TableRow[];

beforeAll(async () => {
  encrypted = new SecretStore(repository(), encryptedOptions);
  plain = new SecretStore(repository(), { ...LIMITS, encryption: 'none' });
  strict = new SecretStore(repository(), { ...LIMITS, encryption: { ...keyring, acceptPlaintext: false } });
  await encrypted.setSecret('seed.oauth', { client_id: 'Iv1.abc', client_secret: 's3cr3t' });
  await encrypted.setSecret('seed.api', { token: 'tok' });
  await plain.setSecret('seed.plain', { token: 'plain' });
  await encrypted.setSecret('seed.api', { token: 'tok-2' });
  seeded = await tableRows();
});

/** A normal write, read and delete through both stores, leaving the table as it was. */
async function assertStoreStillWorks(): Promise<void> {
  const health = { token: 'health', list: [1, 'two', { three: null }] };
  for (const store of [encrypted, plain]) {
    await store.setSecret('health.check', health);
    expect(await store.getSecretOrThrow(z.unknown(), 'health.check')).toEqual(health);
    // Destroyed, not deleted: a soft delete would leave the row behind.
    expect((await store.destroySecret('health.check')).destroyed).not.toHaveLength(0);
  }
  expect(await encrypted.getSecretsByKeys(z.union([Token, OAuth]), ['seed.oauth', 'seed.api'])).toEqual([
    { key: 'seed.api', value: { token: 'tok-2' } },
    { key: 'seed.oauth', value: { client_id: 'Iv1.abc', client_secret: 's3cr3t' } },
  ]);
  expect(await plain.getSecret(Token, 'seed.plain')).toEqual({ token: 'plain' });
}

describe('hostile input', () => {
  it('has the seeds it compares against', () => {
    expect(seeded.map(({ key, encoding, key_id, version }) => ({ key, encoding, key_id, version }))).toEqual([
      { key: 'seed.api', encoding: 'aes-256-gcm', key_id: 'k1', version: 2 },
      { key: 'seed.oauth', encoding: 'aes-256-gcm', key_id: 'k1', version: 1 },
      { key: 'seed.plain', encoding: 'plain', key_id: null, version: 1 },
    ]);
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((hostile) => hostile.name)).size).toBe(cases.length);
  });

  it.each(cases)('refuses $name', async ({ rows = [], attempt, error, expected }) => {
    for (const row of rows) await insertRow(row);
    const before = await tableRows();

    const thrown = await expectRejection(attempt(), error, expected.code);
    expect(thrown).toMatchObject(expected);
    expect(await tableRows()).toEqual(before);

    await testDatabase().database.query('DELETE FROM secret_store WHERE key LIKE $1', [`${ARRANGED}%`]);
    expect(await tableRows()).toEqual(seeded);
    await assertStoreStillWorks();
    expect(await tableRows()).toEqual(seeded);
  });

  it('reads a row sealed by hand, so the sealed rows above fail for the reason they name', async () => {
    await insertRow(encryptedRow(ROW, sealedEnvelope(k1Bytes, 'k1', ROW, '{"token":"by hand"}')));
    try {
      expect(await encrypted.getSecret(Token, ROW)).toEqual({ token: 'by hand' });
    } finally {
      await testDatabase().database.query('DELETE FROM secret_store WHERE key = $1', [ROW]);
    }
  });

  it.each([
    ['NUL in a string', { v: 'a\u0000b' }],
    ['lone surrogate in a string', { v: ['ok', 'a\ud800', '\udfff'] }],
    ['NUL in a property name', { 'a\u0000': 1 }],
  ])('stores %s when encrypted, and reads it back unchanged', async (_name, value) => {
    await encrypted.setSecret('hostile.escapes', value);
    try {
      const stored = (await tableRows()).find((row) => row.key === 'hostile.escapes');
      // Versions never repeat: a key written again after its delete by an earlier case continues from it.
      expect(stored).toMatchObject({ encoding: 'aes-256-gcm', key_id: 'k1', version: expect.any(Number) as unknown });
      expect(await encrypted.getSecretOrThrow(z.unknown(), 'hostile.escapes')).toEqual(value);
    } finally {
      await encrypted.destroySecret('hostile.escapes');
    }
    expect(await tableRows()).toEqual(seeded);
  });
});
