/**
 * A transaction whose connection is lost, through a fault-injecting proxy in front of this file's database: lost
 * after COMMIT was sent, nobody can tell whether it was committed (WRITE_OUTCOME_UNKNOWN); lost before, the
 * server rolled it back (DATABASE_UNAVAILABLE). Each case checks what was really committed over a connection
 * that bypasses the proxy.
 */
import { Client } from 'pg';
import { z } from 'zod';

import { createSecretStore, generateEncryptionKey, SecretWriteOutcomeUnknownError, type SecretStore } from '../../src';
import { exitCodeFor } from '../../src/cli/exit-codes';
import { useTestDatabase } from '../harness/database';
import { secretstore } from '../support/cli-run';
import { expectRejection, rejectionOf } from '../support/errors';
import { FaultProxy, type FaultAction } from '../support/fault-proxy';
import { testKeyring } from '../support/test-keyring';

const testDatabase = useTestDatabase();
const TIMEOUT = 60_000;
// One keyring for the file: the database remembers which key wrote under an id.
const encryption = testKeyring('lost-commit');
const Value = z.object({ n: z.number() });

let url: string;
let proxy: FaultProxy;
let store: SecretStore | undefined;

beforeEach(async () => {
  await testDatabase().reset();
  url = await testDatabase().tcpUrl();
  proxy = await FaultProxy.inFrontOf(url);
});
afterEach(async () => {
  await store?.close();
  store = undefined;
  await proxy.close();
});

async function storeThroughProxy(): Promise<SecretStore> {
  store = await createSecretStore({ db: proxy.urlFor(url), encryption });
  return store;
}

/** key → version of every stored secret, read over a connection of its own that bypasses the proxy. */
async function committed(): Promise<Record<string, number>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ key: string; version: number }>(
      'SELECT key, version FROM secret_store ORDER BY key',
    );
    return Object.fromEntries(rows.map((row) => [row.key, row.version]));
  } finally {
    await client.end();
  }
}

describe('a transaction whose connection is lost', () => {
  it(
    'after COMMIT was sent and run, its answer lost: WRITE_OUTCOME_UNKNOWN, and the transaction is committed',
    async () => {
      const secrets = await storeThroughProxy();
      proxy.arm({ sql: /^COMMIT/i, action: 'lose-reply' });

      const error = await expectRejection(
        secrets.transaction(async (tx) => {
          await tx.setSecret('commit.lost.a', { n: 1 });
          await tx.setSecret('commit.lost.b', { n: 2 });
        }),
        SecretWriteOutcomeUnknownError,
        'WRITE_OUTCOME_UNKNOWN',
      );

      expect(proxy.fired.map((fault) => fault.statement)).toEqual(['COMMIT']);
      expect(error).toMatchObject({
        key: undefined,
        operation: 'Committing transaction',
        message: expect.stringContaining('after COMMIT was sent') as unknown,
      });
      expect(await committed()).toEqual({ 'commit.lost.a': 1, 'commit.lost.b': 1 });
      // The store opens a new connection and reads what was committed.
      expect(await secrets.getSecret(Value, 'commit.lost.b')).toEqual({ n: 2 });
    },
    TIMEOUT,
  );

  it(
    'while COMMIT was on its way: WRITE_OUTCOME_UNKNOWN too, since the client cannot tell that from a lost answer',
    async () => {
      const secrets = await storeThroughProxy();
      proxy.arm({ sql: /^COMMIT/i, action: 'cut-before' });

      const error = await rejectionOf(secrets.transaction((tx) => tx.setSecret('commit.cut', { n: 1 })));

      expect(proxy.fired.map((fault) => fault.statement)).toEqual(['COMMIT']);
      expect(error).toMatchObject({ code: 'WRITE_OUTCOME_UNKNOWN', key: undefined });
      // This time the server never saw COMMIT: "unknown" was the honest answer either way.
      expect(await committed()).toEqual({});
    },
    TIMEOUT,
  );

  it.each<[string, FaultAction]>([
    ['before it reached the server', 'cut-before'],
    ['after the server ran it', 'lose-reply'],
  ])(
    'on a statement inside it, %s: DATABASE_UNAVAILABLE, not unknown, and nothing is committed',
    async (_, action) => {
      const secrets = await storeThroughProxy();
      // The second write of the transaction: the first one has already run.
      proxy.arm({ sql: /^WITH updated AS/, action, skip: 1 });

      const error = await rejectionOf(
        secrets.transaction(async (tx) => {
          await tx.setSecret('in.tx.first', { n: 1 });
          await tx.setSecret('in.tx.second', { n: 2 }, { ifVersion: 0 });
        }),
      );

      expect(proxy.fired).toHaveLength(1);
      expect(error).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      expect(error).not.toBeInstanceOf(SecretWriteOutcomeUnknownError);
      expect(await committed()).toEqual({});
      // The lost connection was dropped, not returned to the pool: the store goes on.
      await secrets.transaction((tx) => tx.setSecret('in.tx.first', { n: 3 }));
      expect(await committed()).toEqual({ 'in.tx.first': 1 });
    },
    TIMEOUT,
  );
});

describe('secretstore set', () => {
  it(
    'reports WRITE_OUTCOME_UNKNOWN, with its exit code, when the answer to its COMMIT is lost; the secret is stored',
    async () => {
      const env = { SECRETSTORE_ENCRYPTION_KEYS: `cli-lost:${generateEncryptionKey()}` };
      const viaProxy = ['--json', '--database-url', proxy.urlFor(url)];
      proxy.arm({ sql: /^COMMIT/i, action: 'lose-reply' });

      const set = await secretstore([...viaProxy, 'set', 'cli.lost', '{"n":7}'], { env });

      expect(proxy.fired.map((fault) => fault.statement)).toEqual(['COMMIT']);
      expect(set.stdout).toBe('');
      expect(set.code).toBe(exitCodeFor(new SecretWriteOutcomeUnknownError('Committing transaction', undefined, '')));
      expect(JSON.parse(set.stderr)).toMatchObject({ error: { code: 'WRITE_OUTCOME_UNKNOWN' } });
      expect(await committed()).toEqual({ 'cli.lost': 1 });
      const get = await secretstore([...viaProxy, 'get', 'cli.lost'], { env });
      expect({ code: get.code, stdout: JSON.parse(get.stdout) as unknown }).toEqual({
        code: 0,
        stdout: { key: 'cli.lost', value: { n: 7 } },
      });
    },
    TIMEOUT,
  );
});
