/**
 * Never leak: secret values and key material must not reach an error (message, stack, properties, cause),
 * a printed store or options object, the process's output, or the table in readable form.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

import type { StandardSchemaV1 } from '@standard-schema/spec';
import { z } from 'zod';

import {
  createSecretStore,
  EncryptionKey,
  parseEncryptionKeys,
  PostgresSecretStoreRepository,
  SecretStore,
  type SecretSchema,
  type SecretStoreOptions,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { captureOutput } from '../support/capture-output';
import { triggerDevEnvelope } from '../support/envelopes';
import { codeOf } from '../support/errors';

const testDatabase = useTestDatabase();

/** Every secret marker and every piece of key material the tests create: none may ever show up. */
const forbidden: string[] = [];

/** A unique string planted in secret values; numbers are never markers. */
function marker(): string {
  const text = `MARKER-${randomBytes(8).toString('hex')}`;
  forbidden.push(text);
  return text;
}

/** Registers key bytes as forbidden in every form they could be printed in, and returns their base64. */
function keyMaterial(bytes: Buffer): string {
  forbidden.push(bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'));
  return bytes.toString('base64');
}

function leaksIn(text: string): string[] {
  return forbidden.filter((secret) => text.includes(secret));
}

function markedCredentials(): { user: string; password: string; extra: { tokens: string[]; port: number } } {
  return { user: marker(), password: marker(), extra: { tokens: [marker(), marker()], port: 5432 } };
}

const Credentials = z.object({
  user: z.string(),
  password: z.string(),
  extra: z.object({ tokens: z.array(z.string()), port: z.number() }),
});

function jsonOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch (error) {
    return `<JSON.stringify threw ${String(error)}>`;
  }
}

function stringOf(value: unknown): string {
  try {
    return String(value);
  } catch (error) {
    return `<String() threw ${inspect(error)}>`;
  }
}

/** Every way an error is commonly printed, for the error and each error in its cause chain. */
function renderError(error: unknown): string[] {
  const renderings: string[] = [];
  const pending: unknown[] = [error];
  const visited = new Set<unknown>();
  while (pending.length > 0) {
    const current = pending.pop();
    if (current === undefined || current === null || visited.has(current)) continue;
    visited.add(current);
    renderings.push(stringOf(current), inspect(current, { depth: 10, showHidden: true }), jsonOf(current));
    if (current instanceof Error) {
      renderings.push(current.message, current.stack ?? '');
      pending.push(current.cause);
      if (current instanceof AggregateError) pending.push(...(current.errors as unknown[]));
    }
  }
  return renderings;
}

function renderValue(value: unknown): string[] {
  return [inspect(value, { depth: 10, showHidden: true }), inspect(value), jsonOf(value), stringOf(value)];
}

interface Outcome {
  what: string;
  code: string;
}

/** Runs actions that must fail, remembering which code each failed with and every rendering of the error. */
class FailureLog {
  readonly expected: Outcome[] = [];
  readonly seen: Outcome[] = [];
  readonly renderings: string[] = [];

  async fails(what: string, code: string, action: () => unknown): Promise<unknown> {
    this.expected.push({ what, code });
    try {
      await action();
      this.seen.push({ what, code: '<no error>' });
      return undefined;
    } catch (error) {
      this.seen.push({ what, code: codeOf(error) });
      this.renderings.push(...renderError(error));
      return error;
    }
  }

  show(...values: unknown[]): void {
    values.forEach((value) => this.renderings.push(...renderValue(value)));
  }
}

const EXPECTED_CODES = [
  'INVALID_SECRET_KEY',
  'INVALID_SECRET_VALUE',
  'SECRET_VALUE_TOO_LARGE',
  'SECRET_VALIDATION_FAILED',
  'SECRET_NOT_FOUND',
  'SECRET_DECRYPTION_FAILED',
  'SECRET_CORRUPT',
  'INVALID_CONFIGURATION',
  'INVALID_ARGUMENT',
  'SCHEMA_NOT_MIGRATED',
  'DATABASE_ERROR',
  'DATABASE_UNAVAILABLE',
  'TRANSACTION_UNSUPPORTED',
];

const k1 = keyMaterial(randomBytes(32));
const keyring = parseEncryptionKeys(`k1:${k1}`);
// trigger.dev's ENCRYPTION_KEY is a 32-character string used as the key's bytes.
const legacyTriggerDevKey = randomBytes(16).toString('hex');
forbidden.push(legacyTriggerDevKey);
const options: SecretStoreOptions = { encryption: keyring, maxValueBytes: 4096, maxDepth: 16 };

let store: SecretStore;
let plainStore: SecretStore;
/** Reads rows imported from trigger.dev. Its options are not printed: legacyTriggerDevKey is a plain string. */
let legacyStore: SecretStore;

function repository(): PostgresSecretStoreRepository {
  return new PostgresSecretStoreRepository(testDatabase().handle);
}

function query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> {
  return testDatabase().database.query(text, values);
}

async function storedValue(key: string): Promise<Record<string, unknown>> {
  const { rows } = await query('SELECT value::text AS value FROM secret_store WHERE key = $1', [key]);
  return JSON.parse((rows as { value: string }[])[0].value) as Record<string, unknown>;
}

async function replaceStoredValue(key: string, value: unknown): Promise<void> {
  await query('UPDATE secret_store SET value = $2::jsonb WHERE key = $1', [key, JSON.stringify(value)]);
}

beforeAll(() => {
  store = new SecretStore(repository(), options);
  plainStore = new SecretStore(repository(), { encryption: 'none', maxValueBytes: 4096, maxDepth: 16 });
  legacyStore = new SecretStore(repository(), { ...options, encryption: { ...keyring, legacyTriggerDevKey } });
});

beforeEach(async () => {
  await testDatabase().reset();
});

describe('never leak', () => {
  it('keeps secret values and key material out of every error, printed object and output', async () => {
    const output = captureOutput();
    const log = new FailureLog();
    try {
      // The capture works: a probe through each channel is seen.
      const probe = `PROBE-${randomBytes(4).toString('hex')}`;
      console.warn(probe);
      process.stderr.write(`${probe}\n`);
      expect(output.text().split(probe)).toHaveLength(3);

      const written = { 'leak.a': markedCredentials(), 'leak.b': markedCredentials() };
      for (const [key, value] of Object.entries(written)) await store.setSecret(key, value);
      // The markers are real: reading back yields them, and leaksIn finds them.
      const readBack = await store.getSecretOrThrow(Credentials, 'leak.a');
      expect(readBack).toEqual(written['leak.a']);
      expect(leaksIn(jsonOf(readBack))).toHaveLength(4);

      await driveInputErrors(log);
      await driveValidationErrors(log);
      await driveStoredDataErrors(log);
      await driveConfigurationErrors(log);
      await driveDatabaseErrors(log);

      log.show(store, plainStore, legacyStore, options, keyring);
      const rotator = new SecretStore(repository(), {
        encryption: parseEncryptionKeys(`k3:${keyMaterial(randomBytes(32))},k1:${k1}`),
      });
      const rotation = await rotator.rotateEncryptionKeys();
      // The tampered and corrupt rows of driveStoredDataErrors are reported by key and code only.
      expect(rotation.failed.length).toBeGreaterThan(0);
      expect(rotation.reEncrypted).toBeGreaterThan(0);
      log.show(rotator, rotation);
    } finally {
      output.restore();
    }

    expect(log.seen).toEqual(log.expected);
    expect([...new Set(log.seen.map((outcome) => outcome.code))].sort()).toEqual([...EXPECTED_CODES].sort());
    expect(leaksIn(log.renderings.join('\n'))).toEqual([]);
    expect(leaksIn(output.text())).toEqual([]);
  }, 60_000);

  it('keeps a secret passed by mistake where a key belongs out of the error', async () => {
    // A JavaScript caller that swaps setSecret's arguments hands the secret over as the key.
    const secret = markedCredentials();
    const asKey = secret as unknown as string;
    const errors = [
      await store.setSecret(asKey, { swapped: true }).catch((error: unknown) => error),
      await store.getSecret(Credentials, asKey).catch((error: unknown) => error),
      await store.deleteSecret(asKey).catch((error: unknown) => error),
      await store.getSecretsByKeys(Credentials, ['leak.a', asKey]).catch((error: unknown) => error),
      await store.getSecretsByKeys(Credentials, secret as unknown as string[]).catch((error: unknown) => error),
      await store.getSecrets(Credentials, asKey).catch((error: unknown) => error),
    ];
    // A secret given where the list of keys belongs is a wrong argument; anywhere a key belongs, a bad key.
    expect(errors.map(codeOf)).toEqual([
      ...Array.from({ length: 4 }, () => 'INVALID_SECRET_KEY'),
      'INVALID_ARGUMENT',
      'INVALID_SECRET_KEY',
    ]);
    expect(leaksIn(errors.flatMap(renderError).join('\n'))).toEqual([]);
  });

  it('stores no plaintext: a raw scan of the table finds no marker and no key material', async () => {
    const secrets = {
      'scan.oauth': markedCredentials(),
      'scan.list': [marker(), { nested: [marker(), 42] }],
      'scan.unicode': { note: `${marker()} ✓ ü`, nul: `${marker()}\u0000`, deep: { a: { b: { c: marker() } } } },
    };
    for (const [key, value] of Object.entries(secrets)) await store.setSecret(key, value);

    const { rows } = await query('SELECT key, value::text AS value, encoding, key_id FROM secret_store ORDER BY key');
    const table = rows as { key: string; value: string; encoding: string; key_id: string | null }[];
    expect(table.map((row) => row.key)).toEqual(Object.keys(secrets).sort());
    expect(table.map(({ encoding, key_id }) => ({ encoding, key_id }))).toEqual(
      table.map(() => ({ encoding: 'aes-256-gcm', key_id: 'k1' })),
    );
    expect(leaksIn(jsonOf(table))).toEqual([]);
    // The store reads every one back: what was scanned is the secrets, encrypted.
    for (const [key, value] of Object.entries(secrets)) expect(await store.getSecret(z.unknown(), key)).toEqual(value);
  });
});

async function driveInputErrors(log: FailureLog): Promise<void> {
  const value = markedCredentials();
  await log.fails('empty key', 'INVALID_SECRET_KEY', () => store.setSecret('', value));
  await log.fails('long key', 'INVALID_SECRET_KEY', () => store.setSecret('k'.repeat(1025), value));
  await log.fails('NUL in key', 'INVALID_SECRET_KEY', () => store.setSecret('a\u0000b', value));
  await log.fails('edge whitespace', 'INVALID_SECRET_KEY', () => store.getSecret(Credentials, ' leak.a'));
  await log.fails('lone surrogate', 'INVALID_SECRET_KEY', () => store.deleteSecret('leak.\ud800'));
  await log.fails('control prefix', 'INVALID_SECRET_KEY', () => store.getSecrets(Credentials, 'leak.\u0007'));
  await log.fails('number in keys', 'INVALID_SECRET_KEY', () =>
    store.getSecretsByKeys(Credentials, ['leak.a', 42 as unknown as string]),
  );

  const circular: Record<string, unknown> = { token: marker() };
  circular.self = circular;
  class Token {
    readonly secret = marker();
  }
  let deep: unknown = { token: marker() };
  for (let level = 0; level < 20; level++) deep = { level: deep };

  const invalid: [string, unknown][] = [
    ['function', { token: marker(), callback: () => marker() }],
    ['Date', { token: marker(), expires: new Date() }],
    ['circular', circular],
    ['too deep', deep],
    ['Map', new Map([['token', marker()]])],
    ['Set', new Set([marker()])],
    ['class instance', { holder: new Token() }],
    ['BigInt', { token: marker(), big: 10n }],
    ['NaN', { token: marker(), n: Number.NaN }],
    ['toJSON', { token: marker(), toJSON: () => marker() }],
    ['top-level string', marker()],
  ];
  for (const [what, bad] of invalid) {
    await log.fails(what, 'INVALID_SECRET_VALUE', () => store.setSecret('leak.invalid', bad as object));
  }
  await log.fails('NUL, plaintext store', 'INVALID_SECRET_VALUE', () =>
    plainStore.setSecret('leak.invalid', { token: `${marker()}\u0000` }),
  );
  await log.fails('lone surrogate, plaintext store', 'INVALID_SECRET_VALUE', () =>
    plainStore.setSecret('leak.invalid', { token: `${marker()}\ud800` }),
  );
  await log.fails('oversized', 'SECRET_VALUE_TOO_LARGE', () =>
    store.setSecret('leak.invalid', { token: marker(), padding: Array.from({ length: 200 }, () => marker()) }),
  );
  await log.fails('oversized, plaintext store', 'SECRET_VALUE_TOO_LARGE', () =>
    plainStore.setSecret('leak.invalid', { padding: Array.from({ length: 200 }, () => marker()) }),
  );
  await log.fails('missing key', 'SECRET_NOT_FOUND', () => store.getSecretOrThrow(Credentials, 'leak.missing'));
  expect(await store.getSecret(z.unknown(), 'leak.invalid')).toBeUndefined();
}

/** A Standard Schema whose issue messages quote the value, as a careless validator's would. */
const quotingSchema: StandardSchemaV1<unknown, never> = {
  '~standard': {
    version: 1,
    vendor: 'leak-test',
    validate: (value) => ({ issues: [{ message: `rejected ${JSON.stringify(value)}`, path: ['password'] }] }),
  },
};

async function driveValidationErrors(log: FailureLog): Promise<void> {
  const schemas: [string, SecretSchema<unknown>][] = [
    ['wrong type', z.object({ user: z.number() })],
    ['enum', z.object({ user: z.enum(['admin', 'root']), password: z.enum(['hunter2']) })],
    ['literal', z.object({ password: z.literal('hunter2'), extra: z.object({ tokens: z.array(z.literal('x')) }) })],
    [
      'refinement quoting the value',
      z.object({
        password: z.string().superRefine((text, context) => {
          context.addIssue({ code: 'custom', message: `weak password ${text}`, input: text });
        }),
      }),
    ],
    ['strict object', z.object({ user: z.string() }).strict()],
    ['quoting Standard Schema', quotingSchema],
  ];
  for (const [what, schema] of schemas) {
    await log.fails(`${what}: getSecret`, 'SECRET_VALIDATION_FAILED', () => store.getSecret(schema, 'leak.a'));
    await log.fails(`${what}: getSecrets`, 'SECRET_VALIDATION_FAILED', () => store.getSecrets(schema, 'leak.'));
    await log.fails(`${what}: getSecretsByKeys`, 'SECRET_VALIDATION_FAILED', () =>
      store.getSecretsByKeys(schema, ['leak.b', 'leak.a']),
    );
  }
  const notASchema = { parse: () => markedCredentials() } as unknown as SecretSchema<unknown>;
  await log.fails('not a schema', 'INVALID_ARGUMENT', () => store.getSecret(notASchema, 'leak.a'));
}

async function driveStoredDataErrors(log: FailureLog): Promise<void> {
  const stranger = new SecretStore(repository(), {
    encryption: parseEncryptionKeys(`k2:${keyMaterial(randomBytes(32))}`),
  });
  const strict = new SecretStore(repository(), { encryption: { ...keyring, acceptPlaintext: false } });
  log.show(stranger, strict);

  await log.fails('unknown key id', 'SECRET_DECRYPTION_FAILED', () => stranger.getSecret(Credentials, 'leak.a'));
  await log.fails('unknown key id, listed', 'SECRET_DECRYPTION_FAILED', () => stranger.getSecrets(Credentials, ''));

  await store.setSecret('leak.tampered', markedCredentials());
  const tampered = await storedValue('leak.tampered');
  const ciphertext = Buffer.from(tampered.ct as string, 'base64');
  ciphertext[0] ^= 0x01;
  await replaceStoredValue('leak.tampered', { ...tampered, ct: ciphertext.toString('base64') });
  await log.fails('tampered ciphertext', 'SECRET_DECRYPTION_FAILED', () =>
    store.getSecret(Credentials, 'leak.tampered'),
  );

  await store.setSecret('leak.victim', markedCredentials());
  await query('UPDATE secret_store SET value = (SELECT value FROM secret_store WHERE key = $2) WHERE key = $1', [
    'leak.victim',
    'leak.b',
  ]);
  await log.fails('swapped ciphertext', 'SECRET_DECRYPTION_FAILED', () => store.getSecret(Credentials, 'leak.victim'));

  await plainStore.setSecret('leak.plain', markedCredentials());
  await log.fails('plaintext refused', 'SECRET_DECRYPTION_FAILED', () => strict.getSecret(Credentials, 'leak.plain'));
  await log.fails('ciphertext without keyring', 'SECRET_DECRYPTION_FAILED', () =>
    plainStore.getSecret(Credentials, 'leak.a'),
  );

  const corrupt: [string, unknown][] = [
    ['envelope with an extra field', { ...(await storedValue('leak.b')), note: marker() }],
    ['envelope fields not base64', { v: 1, kid: 'k1', nonce: marker(), ct: marker(), tag: marker() }],
    ['envelope that is an array', [marker(), marker()]],
  ];
  for (const [what, value] of corrupt) {
    await store.setSecret('leak.corrupt', markedCredentials());
    await replaceStoredValue('leak.corrupt', value);
    await log.fails(what, 'SECRET_CORRUPT', () => store.getSecret(Credentials, 'leak.corrupt'));
  }

  // JSON.parse's own message would quote the decrypted text; the store's must not.
  await query(`INSERT INTO secret_store (key, value, encoding, key_id) VALUES ($1, $2::jsonb, 'triggerdev-v2', NULL)`, [
    'leak.triggerdev.text',
    JSON.stringify(triggerDevEnvelope(legacyTriggerDevKey, `${marker()} is not JSON`)),
  ]);
  await log.fails('decrypted text not JSON', 'SECRET_CORRUPT', () =>
    legacyStore.getSecret(Credentials, 'leak.triggerdev.text'),
  );
  await query(`INSERT INTO secret_store (key, value, encoding, key_id) VALUES ($1, $2::jsonb, 'triggerdev-v2', NULL)`, [
    'leak.triggerdev.hex',
    JSON.stringify({ nonce: marker(), ciphertext: marker(), tag: marker() }),
  ]);
  await log.fails('trigger.dev envelope not hex', 'SECRET_CORRUPT', () =>
    legacyStore.getSecret(Credentials, 'leak.triggerdev.hex'),
  );
  await log.fails('trigger.dev row, no legacy key', 'SECRET_DECRYPTION_FAILED', () =>
    store.getSecret(Credentials, 'leak.triggerdev.text'),
  );
}

async function driveConfigurationErrors(log: FailureLog): Promise<void> {
  const markerAsBase64 = Buffer.from(marker()).toString('base64');
  forbidden.push(markerAsBase64);
  const shortKey = keyMaterial(randomBytes(16));
  const otherKey = keyMaterial(randomBytes(32));
  const parsed: [string, string][] = [
    ['marker as key', `k1:${marker()}`],
    ['marker in base64 as key', `k1:${markerAsBase64}`],
    ['marker as the whole keyring', marker()],
    ['short key', `k1:${shortKey}`],
    ['duplicate ids', `k1:${k1},k1:${otherKey}`],
    ['bad id', `${marker()}!:${k1}`],
  ];
  for (const [what, spec] of parsed) {
    await log.fails(`parseEncryptionKeys: ${what}`, 'INVALID_CONFIGURATION', () => parseEncryptionKeys(spec));
  }
  log.show(parseEncryptionKeys(`k2:${otherKey},k1:${k1}`), EncryptionKey.fromBase64(k1));
  await log.fails('fromBase64', 'INVALID_CONFIGURATION', () => EncryptionKey.fromBase64(marker()));
  await log.fails('fromBytes', 'INVALID_CONFIGURATION', () =>
    EncryptionKey.fromBytes(Buffer.from(keyMaterial(randomBytes(31)), 'base64')),
  );

  const db = testDatabase().handle;
  await log.fails('active id missing', 'INVALID_CONFIGURATION', () =>
    createSecretStore({ db, encryption: { ...keyring, activeKeyId: 'k9' } }),
  );
  await log.fails('key not an EncryptionKey', 'INVALID_CONFIGURATION', () =>
    createSecretStore({ db, encryption: { keys: { k1: marker() as unknown as EncryptionKey }, activeKeyId: 'k1' } }),
  );
  await log.fails('short legacy key', 'INVALID_CONFIGURATION', () =>
    createSecretStore({ db, encryption: { ...keyring, legacyTriggerDevKey: marker() } }),
  );
  await log.fails('env keyring', 'INVALID_CONFIGURATION', () =>
    createSecretStore({ db, env: { SECRETSTORE_ENCRYPTION_KEYS: `k1:${marker()},k2:${shortKey}` } }),
  );
  await log.fails('env legacy key', 'INVALID_CONFIGURATION', () =>
    createSecretStore({
      db,
      env: { SECRETSTORE_ENCRYPTION_KEYS: `k1:${k1}`, SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY: marker() },
    }),
  );
  await log.fails('no encryption decision', 'INVALID_CONFIGURATION', () => createSecretStore({ db, env: {} }));
  await log.fails(
    'maxValueBytes',
    'INVALID_CONFIGURATION',
    () => new SecretStore(repository(), { ...options, maxValueBytes: -1 }),
  );
  await log.fails('rotation without keyring', 'INVALID_CONFIGURATION', () => plainStore.rotateEncryptionKeys());
}

async function driveDatabaseErrors(log: FailureLog): Promise<void> {
  await query('ALTER TABLE secret_store RENAME TO secret_store_away');
  try {
    await log.fails('table missing: write', 'SCHEMA_NOT_MIGRATED', () =>
      store.setSecret('leak.away', markedCredentials()),
    );
    await log.fails('table missing: read', 'SCHEMA_NOT_MIGRATED', () => store.getSecret(Credentials, 'leak.a'));
    await log.fails('table missing: list', 'SCHEMA_NOT_MIGRATED', () => store.getSecrets(Credentials, 'leak.'));
  } finally {
    await query('ALTER TABLE secret_store_away RENAME TO secret_store');
  }

  // A trigger whose error quotes the row, as a check or audit trigger might: the driver's message, detail
  // and hint all carry the value.
  await query(`
    CREATE FUNCTION leak_probe() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'refused %', NEW.value::text USING DETAIL = NEW.value::text, HINT = NEW.value::text,
        ERRCODE = CASE WHEN NEW.key LIKE '%.check' THEN '23514' ELSE 'P0001' END;
    END $$;
    CREATE TRIGGER leak_probe BEFORE INSERT OR UPDATE ON secret_store FOR EACH ROW EXECUTE FUNCTION leak_probe();
  `);
  try {
    await log.fails('trigger error, plaintext', 'DATABASE_ERROR', () =>
      plainStore.setSecret('leak.trigger', markedCredentials()),
    );
    await log.fails('check error, plaintext', 'DATABASE_ERROR', () =>
      plainStore.setSecret('leak.trigger.check', markedCredentials()),
    );
    await log.fails('trigger error, encrypted', 'DATABASE_ERROR', () =>
      store.setSecret('leak.trigger', markedCredentials()),
    );
  } finally {
    await query('DROP TRIGGER leak_probe ON secret_store; DROP FUNCTION leak_probe();');
  }

  const password = marker();
  const unreachable = await createSecretStore({
    db: `postgres://secretstore:${password}@127.0.0.1:1/secrets`,
    encryption: keyring,
    pool: { connectionTimeoutMillis: 2_000 },
  });
  try {
    await log.fails('unreachable: write', 'DATABASE_UNAVAILABLE', () =>
      unreachable.setSecret('leak.far', markedCredentials()),
    );
    await log.fails('unreachable: read', 'DATABASE_UNAVAILABLE', () => unreachable.getSecret(Credentials, 'leak.a'));
    log.show(unreachable);
  } finally {
    await unreachable.close();
  }

  await log.fails('rolled back transaction', 'SECRET_NOT_FOUND', () =>
    store.transaction(async (tx) => {
      log.show(tx);
      await tx.setSecret('leak.tx', markedCredentials());
      await tx.getSecretOrThrow(Credentials, 'leak.tx.missing');
    }),
  );
  await log.fails('invalid value in a transaction', 'INVALID_SECRET_VALUE', () =>
    store.transaction(async (tx) => {
      await tx.setSecret('leak.tx', markedCredentials());
      await tx.setSecret('leak.tx.bad', { token: marker(), n: Number.POSITIVE_INFINITY });
    }),
  );
  expect(await store.getSecret(Credentials, 'leak.tx')).toBeUndefined();

  const connection = { query: (text: string, values?: unknown[]) => testDatabase().database.query(text, values) };
  const onConnection = await createSecretStore({ db: connection, encryption: keyring });
  await log.fails('transaction on a connection', 'TRANSACTION_UNSUPPORTED', () =>
    onConnection.transaction((tx) => tx.setSecret('leak.tx', markedCredentials())),
  );
}
