import { Client } from 'pg';

import { PostgresSecretStoreRepository, SecretStore, TransactionAbortedError } from '../../src';
import { createPool } from '../../src/database/pool';
import { toDatabase } from '../../src/database/to-database';
import { useTestDatabase } from '../harness/database';
import { expectRejection } from '../support/errors';
import { testKeyring } from '../support/test-keyring';

const testDatabase = useTestDatabase();

beforeEach(() => testDatabase().reset());

async function keys(): Promise<string[]> {
  const { rows } = await testDatabase().database.query('SELECT key FROM secret_store ORDER BY key', []);
  return (rows as { key: string }[]).map((row) => row.key);
}

describe('a transaction whose work swallowed a failed statement', () => {
  it('fails with TRANSACTION_ABORTED instead of resolving as if it had committed', async () => {
    const database = toDatabase(testDatabase().handle);
    const outcome = await expectRejection(
      database.transaction!(async (tx) => {
        await tx.query(
          "INSERT INTO secret_store (key, value, encoding) VALUES ('aborted.a', '{}'::jsonb, 'plain')",
          [],
        );
        // The division fails; the work catches it and goes on, but the database has aborted the transaction.
        await tx.query('SELECT 1 / 0', []).catch(() => undefined);
        return 'resolved';
      }),
      TransactionAbortedError,
      'TRANSACTION_ABORTED',
    );

    expect(outcome).toMatchObject({ sqlState: '25P02' });
    expect(await keys()).toEqual([]);
  });

  it('still commits work whose statements all succeeded', async () => {
    const database = toDatabase(testDatabase().handle);
    await database.transaction!(async (tx) => {
      await tx.query("INSERT INTO secret_store (key, value, encoding) VALUES ('aborted.b', '{}'::jsonb, 'plain')", []);
    });
    expect(await keys()).toEqual(['aborted.b']);
  });

  it('reports it through store.transaction(), when a statement timed out and the work went on', async () => {
    const { mode, url } = testDatabase();
    if (mode !== 'server') {
      // PGlite is one session: no other connection can hold the row lock that makes the statement time out.
      expect(mode).toBe('pglite');
      return;
    }
    const encryption = testKeyring();
    const seeding = new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), { encryption });
    await seeding.setSecret('aborted.locked', { n: 0 });
    const pool = createPool({ connectionString: url }, { max: 2, statementTimeoutMillis: 200 });
    const holder = new Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query("SELECT 1 FROM secret_store WHERE key = 'aborted.locked' FOR UPDATE");
      const store = new SecretStore(new PostgresSecretStoreRepository(pool), { encryption });

      const outcome = await store
        .transaction(async (tx) => {
          await tx.setSecret('aborted.written', { n: 1 });
          const timedOut = await tx.setSecret('aborted.locked', { n: 2 }).catch((error: unknown) => error);
          expect(timedOut).toMatchObject({ code: 'STATEMENT_TIMEOUT' });
        })
        .catch((error: unknown) => error);

      expect(outcome).toMatchObject({ code: 'TRANSACTION_ABORTED' });
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
      await pool.end();
    }
    expect(await keys()).toEqual(['aborted.locked']);
  });
});
