/**
 * The SecretStoreRepository contract, run against both implementations the package exports:
 * PostgresSecretStoreRepository on this file's database and InMemorySecretStoreRepository. What the service
 * relies on must hold for both: key order, versions that never repeat, compare-and-set, bulk writes, the rotation
 * listing, key fingerprints, and transactions that put everything back when their work throws.
 */
import {
  InMemorySecretStoreRepository,
  PostgresSecretStoreRepository,
  type SecretStoreRepository,
  type StoredValue,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { rejectionOf } from '../support/errors';
import { testdata } from '../support/repository-files';

const testDatabase = useTestDatabase();

/** An implementation with its storage emptied, and a way to see every key it holds. */
interface RepositoryUnderTest {
  repository: SecretStoreRepository;
  /** Every stored key, in key order, as the storage itself holds them. */
  storedKeys(): Promise<string[]>;
}

const implementations: [string, () => Promise<RepositoryUnderTest>][] = [
  [
    'PostgresSecretStoreRepository',
    async () => {
      await testDatabase().reset();
      return {
        repository: new PostgresSecretStoreRepository(testDatabase().handle),
        async storedKeys() {
          const { rows } = await testDatabase().database.query('SELECT key FROM secret_store ORDER BY key', []);
          return (rows as { key: string }[]).map((row) => row.key);
        },
      };
    },
  ],
  [
    'InMemorySecretStoreRepository',
    () => {
      const repository = new InMemorySecretStoreRepository();
      return Promise.resolve({
        repository,
        storedKeys: async () => (await repository.listSecretsByPrefix('')).map((record) => record.key),
      });
    },
  ],
];

const plain = (valueJson: string): StoredValue => ({ valueJson, encoding: 'plain', keyId: null });
const encrypted = (keyId: string, valueJson = '{"ct":"x"}'): StoredValue => ({
  valueJson,
  encoding: 'aes-256-gcm',
  keyId,
});
const triggerDev = (valueJson = '{"nonce":"00","ciphertext":"00","tag":"00"}'): StoredValue => ({
  valueJson,
  encoding: 'triggerdev-v2',
  keyId: null,
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keys in the order of their UTF-8 bytes: the "C" collation's order, which is code point order. */
const byBytes = (keys: readonly string[]): string[] =>
  [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));

describe.each(implementations)('%s', (_, open) => {
  let repository: SecretStoreRepository;
  let storedKeys: () => Promise<string[]>;

  beforeEach(async () => {
    ({ repository, storedKeys } = await open());
  });

  const listed = async (prefix: string) => (await repository.listSecretsByPrefix(prefix)).map((r) => r.key);

  it('inserts a secret and reads it back with its timestamps', async () => {
    const before = Date.now();
    const written = await repository.upsertSecret('oauth.github', plain('{"client_id":"abc"}'));
    const read = await repository.getSecret('oauth.github');

    expect(written).toEqual({ version: 1 });
    expect(read).toMatchObject({ key: 'oauth.github', version: 1 });
    expect(JSON.parse(read!.valueJson)).toEqual({ client_id: 'abc' });
    expect(read!.createdAt).toBeInstanceOf(Date);
    expect(read!.updatedAt).toBeInstanceOf(Date);
    expect(read!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 5_000);
    expect(read!.updatedAt.getTime()).toBe(read!.createdAt.getTime());
  });

  it('updates a secret: version bumped, updatedAt moved, createdAt kept', async () => {
    expect(await repository.upsertSecret('api.external', plain('{"api_key":"v1"}'))).toEqual({ version: 1 });
    const first = (await repository.getSecret('api.external'))!;
    await pause(20);
    expect(await repository.upsertSecret('api.external', plain('{"api_key":"v2"}'))).toEqual({ version: 2 });
    const second = (await repository.getSecret('api.external'))!;
    expect(await repository.upsertSecret('api.external', plain('{"api_key":"v3"}'))).toEqual({ version: 3 });
    const third = (await repository.getSecret('api.external'))!;

    expect(second.version).toBe(2);
    expect(third.version).toBe(3);
    expect(second.createdAt.getTime()).toBe(first.createdAt.getTime());
    expect(third.createdAt.getTime()).toBe(first.createdAt.getTime());
    expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
    expect(JSON.parse((await repository.getSecret('api.external'))!.valueJson)).toEqual({ api_key: 'v3' });
    expect(await storedKeys()).toEqual(['api.external']);
  });

  it('reads a missing key as undefined', async () => {
    await repository.upsertSecret('present', plain('{}'));
    expect(await repository.getSecret('absent')).toBeUndefined();
  });

  it('deletes a secret and reports whether it existed', async () => {
    await repository.upsertSecret('database.postgres', plain('{"password":"x"}'));

    expect(await repository.deleteSecret('database.postgres')).toBe(true);
    expect(await repository.getSecret('database.postgres')).toBeUndefined();
    expect(await repository.deleteSecret('database.postgres')).toBe(false);
    expect(await repository.deleteSecret('never.existed')).toBe(false);
  });

  it('lists by prefix in key order, taking %, _ and \\ literally', async () => {
    const keys = [
      'a%b.1',
      'a%b.2',
      'aXb.1', // would match LIKE 'a%b%' and 'a_b%'
      'a_b.1',
      'a\\b.1',
      'a\\\\b.1',
      'a%',
      'b',
      'a%c',
    ];
    for (const key of keys) await repository.upsertSecret(key, plain(JSON.stringify({ key })));

    expect(await listed('a%b')).toEqual(['a%b.1', 'a%b.2']);
    expect(await listed('a_b')).toEqual(['a_b.1']);
    expect(await listed('a\\b')).toEqual(['a\\b.1']);
    expect(await listed('a%')).toEqual(['a%', 'a%b.1', 'a%b.2', 'a%c']);
    expect(await listed('zzz')).toEqual([]);
    expect(await listed('')).toEqual(byBytes(keys));
  });

  it('lists by prefixes at the top of the code point range', async () => {
    const keys = ['\u{10FFFF}', '\u{10FFFF}a', '\u{10FFFE}z', 'x\u{10FFFF}', 'y'];
    for (const key of keys) await repository.upsertSecret(key, plain('{}'));

    expect(await listed('\u{10FFFF}')).toEqual(['\u{10FFFF}', '\u{10FFFF}a']);
    expect(await listed('x')).toEqual(['x\u{10FFFF}']);
    expect(await listed('\u{10FFFE}')).toEqual(['\u{10FFFE}z']);
  });

  it('orders keys by code point (the "C" collation) wherever it lists them, not by UTF-16 unit or locale', async () => {
    // UTF-16 puts U+1F600 (a surrogate pair, D83D DE00) before U+FFFD; a locale puts "a" before "B".
    const keys = ['\u{1F600}', 'a', '\uFFFD', 'é', 'B', '\u{10000}', 'Z', 'b'];
    const inOrder = ['B', 'Z', 'a', 'b', 'é', '\uFFFD', '\u{10000}', '\u{1F600}'];
    expect(byBytes(keys)).toEqual(inOrder);
    for (const key of keys) await repository.upsertSecret(key, plain('{}'));

    expect(await listed('')).toEqual(inOrder);
    expect((await repository.getSecretsByKeys(keys)).map((r) => r.key)).toEqual(inOrder);
    expect((await repository.listSecretsToRotate('k1', '', 100)).map((r) => r.key)).toEqual(inOrder);
    expect((await repository.listSecretsToRotate('k1', 'b', 100)).map((r) => r.key)).toEqual(inOrder.slice(4));
    expect(await storedKeys()).toEqual(inOrder);
  });

  it('gets many by keys: missing keys are absent, order is by key', async () => {
    await repository.upsertSecret('k.2', plain('{"n":2}'));
    await repository.upsertSecret('k.1', plain('{"n":1}'));
    await repository.upsertSecret('k.3', plain('{"n":3}'));

    const records = await repository.getSecretsByKeys(['k.3', 'missing', 'k.1']);
    expect(records.map((r) => r.key)).toEqual(['k.1', 'k.3']);
    expect(records.map((r) => JSON.parse(r.valueJson) as unknown)).toEqual([{ n: 1 }, { n: 3 }]);
    expect(await repository.getSecretsByKeys(['nope'])).toEqual([]);
    expect(await repository.getSecretsByKeys([])).toEqual([]);
  });

  it('passes keys with quotes, commas and braces to the array parameter intact', async () => {
    const keys = ['has "quotes"', 'has,comma', '{braces}', 'back\\slash', 'NULL'];
    for (const key of keys) await repository.upsertSecret(key, plain('{}'));

    const records = await repository.getSecretsByKeys(keys);
    expect(records.map((r) => r.key).sort()).toEqual([...keys].sort());
  });

  it('round-trips testdata/secrets.json', async () => {
    expect(Object.keys(testdata).sort()).toEqual(['api.external', 'database.postgres', 'oauth.github']);

    for (const [key, value] of Object.entries(testdata))
      await repository.upsertSecret(key, plain(JSON.stringify(value)));
    for (const [key, value] of Object.entries(testdata)) {
      expect(JSON.parse((await repository.getSecret(key))!.valueJson)).toEqual(value);
    }
  });

  it('stores unicode keys and values', async () => {
    const key = 'clé.秘密.🔑.ключ';
    const value = {
      emoji: '🔐👩‍💻',
      cjk: '中文字符',
      rtl: 'مفتاح',
      combining: 'e\u0301',
      astral: '\u{1F600}',
      quote: '"\\',
    };
    await repository.upsertSecret(key, plain(JSON.stringify(value)));

    const read = await repository.getSecret(key);
    expect(read!.key).toBe(key);
    expect(JSON.parse(read!.valueJson)).toEqual(value);
    expect(await listed('clé.秘密')).toEqual([key]);
  });

  it('never gives a key a version it had before, across deletes and every way of writing', async () => {
    expect(await repository.upsertSecret('v.a', plain('{"n":1}'))).toEqual({ version: 1 });
    expect(await repository.upsertSecret('v.a', plain('{"n":2}'))).toEqual({ version: 2 });
    expect(await repository.deleteSecret('v.a')).toBe(true);
    expect(await repository.upsertSecret('v.a', plain('{"n":3}'))).toEqual({ version: 3 });
    expect(await repository.deleteSecret('v.a')).toBe(true);
    expect(await repository.writeSecretIfVersion('v.a', plain('{"n":4}'), 0)).toEqual({ version: 4 });
    expect(await repository.deleteSecret('v.a')).toBe(true);
    expect(await repository.upsertSecrets([{ key: 'v.a', value: plain('{"n":5}') }])).toEqual([
      { key: 'v.a', version: 5 },
    ]);

    expect(await repository.getSecret('v.a')).toMatchObject({ version: 5 });
    // Another key starts at 1: the count is per key.
    expect(await repository.upsertSecret('v.b', plain('{}'))).toEqual({ version: 1 });
  });

  it('writes with compare-and-set only over the expected version, 0 meaning absent', async () => {
    expect(await repository.writeSecretIfVersion('cas.a', plain('{"n":1}'), 0)).toEqual({ version: 1 });
    expect(await repository.writeSecretIfVersion('cas.a', plain('{"n":2}'), 0)).toBeUndefined();
    expect(await repository.writeSecretIfVersion('cas.a', plain('{"n":3}'), 2)).toBeUndefined();
    expect(JSON.parse((await repository.getSecret('cas.a'))!.valueJson)).toEqual({ n: 1 });

    expect(await repository.writeSecretIfVersion('cas.a', plain('{"n":4}'), 1)).toEqual({ version: 2 });
    expect(await repository.writeSecretIfVersion('cas.a', plain('{"n":5}'), 1)).toBeUndefined();
    expect(await repository.getSecret('cas.a')).toMatchObject({ version: 2 });
    expect(JSON.parse((await repository.getSecret('cas.a'))!.valueJson)).toEqual({ n: 4 });

    // An expected version of a key that does not exist writes nothing.
    expect(await repository.writeSecretIfVersion('cas.missing', plain('{}'), 3)).toBeUndefined();
    expect(await storedKeys()).toEqual(['cas.a']);
  });

  it('writes many secrets at once, creating and replacing, and returns each new version', async () => {
    await repository.upsertSecret('bulk.b', plain('{"n":0}'));

    const written = await repository.upsertSecrets([
      { key: 'bulk.c', value: plain('{"n":3}') },
      { key: 'bulk.a', value: plain('{"n":1}') },
      { key: 'bulk.b', value: encrypted('k1', '{"ct":"b"}') },
    ]);

    // Which order the versions come back in is not part of the contract: they are matched by key.
    expect([...written].sort((x, y) => x.key.localeCompare(y.key))).toEqual([
      { key: 'bulk.a', version: 1 },
      { key: 'bulk.b', version: 2 },
      { key: 'bulk.c', version: 1 },
    ]);
    expect(await storedKeys()).toEqual(['bulk.a', 'bulk.b', 'bulk.c']);
    expect(await repository.getSecret('bulk.b')).toMatchObject({ encoding: 'aes-256-gcm', keyId: 'k1', version: 2 });
    expect(JSON.parse((await repository.getSecret('bulk.c'))!.valueJson)).toEqual({ n: 3 });
    expect(await repository.upsertSecrets([])).toEqual([]);
  });

  it('lists the secrets to rotate: not under the active key, in key order after a key, a page at a time', async () => {
    await repository.upsertSecret('r.1', encrypted('k2'));
    await repository.upsertSecret('r.2', plain('{}'));
    await repository.upsertSecret('r.3', encrypted('k1'));
    await repository.upsertSecret('r.4', triggerDev());
    await repository.upsertSecret('r.5', encrypted('k2'));
    const keysOf = async (afterKey: string, limit: number) =>
      (await repository.listSecretsToRotate('k2', afterKey, limit)).map((r) => r.key);

    expect(await keysOf('', 100)).toEqual(['r.2', 'r.3', 'r.4']);
    expect(await keysOf('', 2)).toEqual(['r.2', 'r.3']);
    expect(await keysOf('r.3', 2)).toEqual(['r.4']);
    expect(await keysOf('r.4', 2)).toEqual([]);
    expect(await repository.listSecretsToRotate('k2', '', 1)).toEqual([
      expect.objectContaining({ key: 'r.2', encoding: 'plain', keyId: null, version: 1 }),
    ]);
  });

  it('re-encrypts a secret only at the version it read, keeping the version and updatedAt', async () => {
    await repository.upsertSecret('re.a', plain('{"n":1}'));
    await repository.upsertSecret('re.a', plain('{"n":2}'));
    const before = (await repository.getSecret('re.a'))!;
    await pause(20);

    expect(await repository.reencryptSecret('re.a', 1, encrypted('k1', '{"ct":"stale"}'))).toBe(false);
    expect(await repository.reencryptSecret('re.a', 2, encrypted('k1', '{"ct":"fresh"}'))).toBe(true);
    expect(await repository.reencryptSecret('re.missing', 1, encrypted('k1'))).toBe(false);

    const after = (await repository.getSecret('re.a'))!;
    expect(after).toMatchObject({ encoding: 'aes-256-gcm', keyId: 'k1', version: 2 });
    expect(JSON.parse(after.valueJson)).toEqual({ ct: 'fresh' });
    expect(after.updatedAt.getTime()).toBe(before.updatedAt.getTime());
    expect(after.createdAt.getTime()).toBe(before.createdAt.getTime());
    expect(await storedKeys()).toEqual(['re.a']);
  });

  it('counts secrets by encoding, then key id', async () => {
    expect(await repository.countSecretsByEncryption()).toEqual([]);
    // Key ids of lowercase letters and digits: they sort the same in every collation.
    await repository.upsertSecret('c.1', encrypted('k2'));
    await repository.upsertSecret('c.2', triggerDev());
    await repository.upsertSecret('c.3', encrypted('k1'));
    await repository.upsertSecret('c.4', plain('{}'));
    await repository.upsertSecret('c.5', encrypted('k1'));

    expect(await repository.countSecretsByEncryption()).toEqual([
      { encoding: 'aes-256-gcm', keyId: 'k1', secrets: 2 },
      { encoding: 'aes-256-gcm', keyId: 'k2', secrets: 1 },
      { encoding: 'plain', keyId: null, secrets: 1 },
      { encoding: 'triggerdev-v2', keyId: null, secrets: 1 },
    ]);
  });

  it('records the first fingerprint of a key id and keeps it, listing them by key id', async () => {
    expect(await repository.getKeyFingerprints()).toEqual([]);

    expect(await repository.recordKeyFingerprint('k2', 'fingerprint-2')).toBe('fingerprint-2');
    expect(await repository.recordKeyFingerprint('k2', 'another')).toBe('fingerprint-2');
    expect(await repository.recordKeyFingerprint('k1', 'fingerprint-1')).toBe('fingerprint-1');

    expect(await repository.getKeyFingerprints()).toEqual([
      { keyId: 'k1', fingerprint: 'fingerprint-1' },
      { keyId: 'k2', fingerprint: 'fingerprint-2' },
    ]);
  });

  it('rolls back every write of a transaction that throws', async () => {
    await repository.upsertSecret('kept', plain('{"v":1}'));

    await expect(
      repository.transaction(async (tx) => {
        await tx.upsertSecret('tx.one', plain('{}'));
        await tx.upsertSecret('kept', plain('{"v":2}'));
        await tx.deleteSecret('kept');
        throw new Error('abort the transaction');
      }),
    ).rejects.toThrow('abort the transaction');

    expect(await storedKeys()).toEqual(['kept']);
    expect(await repository.getSecret('kept')).toMatchObject({ version: 1 });
  });

  it('puts back the versions of deleted keys and the fingerprints of a transaction that throws', async () => {
    await repository.upsertSecret('kept', plain('{"v":1}'));

    await expect(
      repository.transaction(async (tx) => {
        await tx.deleteSecret('kept');
        expect(await tx.upsertSecret('kept', plain('{"v":2}'))).toEqual({ version: 2 });
        await tx.deleteSecret('kept');
        await tx.upsertSecrets([{ key: 'tx.bulk', value: plain('{}') }]);
        expect(await tx.writeSecretIfVersion('tx.cas', plain('{}'), 0)).toEqual({ version: 1 });
        await tx.recordKeyFingerprint('k1', 'fingerprint-1');
        throw new Error('abort the transaction');
      }),
    ).rejects.toThrow('abort the transaction');

    expect(await storedKeys()).toEqual(['kept']);
    expect(await repository.getKeyFingerprints()).toEqual([]);
    // Had the deletes inside counted, the key would continue from version 2.
    expect(await repository.deleteSecret('kept')).toBe(true);
    expect(await repository.upsertSecret('kept', plain('{"v":3}'))).toEqual({ version: 2 });
    expect(await repository.recordKeyFingerprint('k1', 'fingerprint-other')).toBe('fingerprint-other');
  });

  it('commits a transaction that resolves, and returns its result', async () => {
    const result = await repository.transaction(async (tx) => {
      await tx.upsertSecret('tx.a', plain('{}'));
      await tx.upsertSecret('tx.b', plain('{}'));
      return (await tx.getSecretsByKeys(['tx.a', 'tx.b'])).length;
    });
    expect(result).toBe(2);
    expect(await storedKeys()).toEqual(['tx.a', 'tx.b']);
  });
});

// What only a database has: a connection a caller manages (and its transaction), and a schema that can be
// missing. What the in-memory repository also leaves out, untested here: isolation between concurrent
// transactions (it runs them one at a time, and its calls outside them see their writes), and the table's
// constraints, which refuse a row no service would write.
describe('PostgresSecretStoreRepository on the database', () => {
  let repository: PostgresSecretStoreRepository;
  const storedKeys = async (): Promise<string[]> => {
    const { rows } = await testDatabase().database.query('SELECT key FROM secret_store ORDER BY key', []);
    return (rows as { key: string }[]).map((row) => row.key);
  };

  beforeEach(async () => {
    await testDatabase().reset();
    repository = new PostgresSecretStoreRepository(testDatabase().handle);
  });

  it.each(['commit', 'rollback'] as const)("runs inside the caller's own transaction (%s)", async (outcome) => {
    await testDatabase().inCallerTransaction(outcome, async (connection) => {
      const inTransaction = new PostgresSecretStoreRepository(connection);
      await inTransaction.upsertSecret('caller.tx', plain('{}'));
      expect(await inTransaction.getSecret('caller.tx')).toBeDefined();
      // A store over a caller's connection does not open transactions of its own.
      await expect(inTransaction.transaction(async () => undefined)).rejects.toMatchObject({
        code: 'TRANSACTION_UNSUPPORTED',
      });
    });
    expect(await storedKeys()).toEqual(outcome === 'commit' ? ['caller.tx'] : []);
  });

  it('reports a missing table as SCHEMA_NOT_MIGRATED without SQL parameters', async () => {
    const { database } = testDatabase();
    await database.query('ALTER TABLE secret_store RENAME TO secret_store_moved', []);
    try {
      const error = await rejectionOf(repository.getSecret('marker-key-7f3a'));
      expect(error).toMatchObject({ code: 'SCHEMA_NOT_MIGRATED', sqlState: '42P01' });
      expect((error as Error).message).toContain('secret_store');
    } finally {
      await database.query('ALTER TABLE secret_store_moved RENAME TO secret_store', []);
    }
  });
});
