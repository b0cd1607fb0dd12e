/**
 * 57014 means both "statement timeout" and "cancelled": the store tells them apart by the timeout it set and
 * how long the statement ran, never by the server's message (whose words depend on its locale).
 */
import { Client } from 'pg';

import { PostgresSecretStoreRepository, SecretStore } from '../../src';
import { createPool } from '../../src/database/pool';
import { useTestDatabase } from '../harness/database';
import { testKeyring } from '../support/test-keyring';

const testDatabase = useTestDatabase();
const encryption = testKeyring('cancel');

/** Runs `write` while another session holds the row's lock, cancelling the waiting statement after `cancelAfter`. */
async function whileLocked(
  url: string,
  write: () => Promise<unknown>,
  cancelAfter: number | undefined,
): Promise<unknown> {
  const holder = new Client({ connectionString: url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query("SELECT 1 FROM secret_store WHERE key = 'cancel.locked' FOR UPDATE");
    const outcome = write().catch((error: unknown) => error);
    if (cancelAfter !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, cancelAfter));
      const { rows } = await holder.query<{ cancelled: boolean }>(
        `SELECT pg_cancel_backend(pid) AS cancelled FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
      );
      expect(rows).toEqual([{ cancelled: true }]);
    }
    return await outcome;
  } finally {
    await holder.query('ROLLBACK');
    await holder.end();
  }
}

describe('a statement cancelled by the server (57014)', () => {
  beforeEach(async () => {
    await testDatabase().reset();
    await new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), { encryption }).setSecret(
      'cancel.locked',
      { n: 0 },
    );
  });

  it.each([
    ['no statement timeout', undefined],
    ['a statement timeout that had not run out', 30_000],
  ])('is STATEMENT_CANCELLED with %s', async (_, statementTimeoutMillis) => {
    const { mode, url } = testDatabase();
    if (mode !== 'server') {
      // PGlite is one session: no other session can hold the lock, nor cancel the statement waiting on it.
      expect(mode).toBe('pglite');
      return;
    }
    const pool = createPool({ connectionString: url }, { max: 2, statementTimeoutMillis });
    try {
      const store = new SecretStore(new PostgresSecretStoreRepository(pool), { encryption, retry: { attempts: 1 } });

      const outcome = await whileLocked(url!, () => store.setSecret('cancel.locked', { n: 1 }), 300);

      expect(outcome).toMatchObject({ code: 'STATEMENT_CANCELLED', sqlState: '57014' });
    } finally {
      await pool.end();
    }
  });

  it("is STATEMENT_TIMEOUT when the store's statement timeout ran out", async () => {
    const { mode, url } = testDatabase();
    if (mode !== 'server') {
      expect(mode).toBe('pglite');
      return;
    }
    const pool = createPool({ connectionString: url }, { max: 2, statementTimeoutMillis: 200 });
    try {
      const store = new SecretStore(new PostgresSecretStoreRepository(pool), { encryption, retry: { attempts: 1 } });

      const outcome = await whileLocked(url!, () => store.setSecret('cancel.locked', { n: 1 }), undefined);

      expect(outcome).toMatchObject({ code: 'STATEMENT_TIMEOUT', sqlState: '57014' });
    } finally {
      await pool.end();
    }
  });
});
