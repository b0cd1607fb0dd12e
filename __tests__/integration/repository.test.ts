import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { StoredValue } from '../../src/encryption/codec';
import { PostgresSecretStoreRepository } from '../../src/secretstore/repository';
import { useTestDatabase } from '../harness/database';

const testDatabase = useTestDatabase();
let repository: PostgresSecretStoreRepository;

beforeAll(() => {
  repository = new PostgresSecretStoreRepository(testDatabase().handle);
});

beforeEach(async () => {
  await testDatabase().reset();
});

const plain = (valueJson: string): StoredValue => ({ valueJson, encoding: 'plain', keyId: null });

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function storedKeys(): Promise<string[]> {
  const { rows } = await testDatabase().database.query('SELECT key FROM secret_store ORDER BY key', []);
  return (rows as { key: string }[]).map((row) => row.key);
}

describe('PostgresSecretStoreRepository', () => {
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

    const listed = async (prefix: string) => (await repository.listSecretsByPrefix(prefix)).map((r) => r.key);
    expect(await listed('a%b')).toEqual(['a%b.1', 'a%b.2']);
    expect(await listed('a_b')).toEqual(['a_b.1']);
    expect(await listed('a\\b')).toEqual(['a\\b.1']);
    expect(await listed('a%')).toEqual(['a%', 'a%b.1', 'a%b.2', 'a%c']);
    expect(await listed('zzz')).toEqual([]);
    expect(await listed('')).toEqual([...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
  });

  it('lists by prefixes at the top of the code point range', async () => {
    const keys = ['\u{10FFFF}', '\u{10FFFF}a', '\u{10FFFE}z', 'x\u{10FFFF}', 'y'];
    for (const key of keys) await repository.upsertSecret(key, plain('{}'));

    const listed = async (prefix: string) => (await repository.listSecretsByPrefix(prefix)).map((r) => r.key);
    expect(await listed('\u{10FFFF}')).toEqual(['\u{10FFFF}', '\u{10FFFF}a']);
    expect(await listed('x')).toEqual(['x\u{10FFFF}']);
    expect(await listed('\u{10FFFE}')).toEqual(['\u{10FFFE}z']);
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

  it('round-trips testdata/secrets.json through JSONB', async () => {
    const file = path.join(__dirname, '..', '..', 'testdata', 'secrets.json');
    const secrets = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(secrets).sort()).toEqual(['api.external', 'database.postgres', 'oauth.github']);

    for (const [key, value] of Object.entries(secrets))
      await repository.upsertSecret(key, plain(JSON.stringify(value)));
    for (const [key, value] of Object.entries(secrets)) {
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
    expect((await repository.listSecretsByPrefix('clé.秘密')).map((r) => r.key)).toEqual([key]);
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

  it('commits a transaction that resolves, and returns its result', async () => {
    const result = await repository.transaction(async (tx) => {
      await tx.upsertSecret('tx.a', plain('{}'));
      await tx.upsertSecret('tx.b', plain('{}'));
      return (await tx.getSecretsByKeys(['tx.a', 'tx.b'])).length;
    });
    expect(result).toBe(2);
    expect(await storedKeys()).toEqual(['tx.a', 'tx.b']);
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
      const error = await repository.getSecret('marker-key-7f3a').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'SCHEMA_NOT_MIGRATED', sqlState: '42P01' });
      expect((error as Error).message).toContain('secret_store');
    } finally {
      await database.query('ALTER TABLE secret_store_moved RENAME TO secret_store', []);
    }
  });
});
