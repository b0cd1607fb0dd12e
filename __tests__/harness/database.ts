/**
 * One database per test file, on whatever global-setup chose: a scratch database on a real server, or a
 * fresh in-memory PGlite. Either way it is migrated with the package's own migrate().
 */
import { PGlite } from '@electric-sql/pglite';
import type { Pool } from 'pg';

import { createScratchDatabase } from '../../scripts/scratch-database';
import { migrate, type Queryable } from '../../src';
import type { Database } from '../../src/database/database';
import { createPool } from '../../src/database/pool';
import { toDatabase } from '../../src/database/to-database';
import { servePGlite, type ServedPGlite } from '../support/pglite-server';
import { HARNESS_MODE_VARIABLE, HARNESS_SERVER_VARIABLE, type HarnessMode } from './mode';

export interface TestDatabase {
  mode: HarnessMode;
  /** The handle as an application would pass it: a pg Pool or a PGlite instance. */
  handle: Pool | PGlite;
  /** The same, wrapped the way the package wraps it, for raw SQL in assertions. */
  database: Database;
  /** Connection string of this file's database (server mode only). */
  url: string | undefined;
  /**
   * The same database on the server itself, never through a pooler (server mode only): where a LISTEN goes,
   * since PgBouncer in transaction mode does not keep one.
   */
  directUrl: string | undefined;
  /**
   * A connection string for this file's database that a pg Pool, the CLI or a proxy can use in either mode:
   * the server's, or the PGlite instance served on 127.0.0.1 by pglite-socket (started at the first call).
   */
  tcpUrl(): Promise<string>;
  /** Runs `work` inside a transaction the test itself opens on one connection, then commits or rolls back. */
  inCallerTransaction(outcome: 'commit' | 'rollback', work: (connection: Queryable) => Promise<void>): Promise<void>;
  /** Removes every secret. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

function harnessMode(): HarnessMode {
  const mode = process.env[HARNESS_MODE_VARIABLE];
  if (mode === 'server' || mode === 'pglite') return mode;
  throw new Error(`${HARNESS_MODE_VARIABLE} is not set: run database tests through jest so that global-setup runs`);
}

type OpenedDatabase = Omit<TestDatabase, 'reset'>;

/**
 * Where CREATE and DROP DATABASE go: TEST_DATABASE_ADMIN_URL, the server itself, when TEST_DATABASE_URL is a
 * pooler in front of it (PgBouncer reaches each new database through its `*` entry); else the server URL.
 */
function adminUrlFor(serverUrl: string): string | undefined {
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL;
  return adminUrl && process.env.TEST_DATABASE_URL === serverUrl ? adminUrl : undefined;
}

async function openServerDatabase(serverUrl: string): Promise<OpenedDatabase> {
  const adminUrl = adminUrlFor(serverUrl);
  const scratch = await createScratchDatabase(serverUrl, 'secretstore_test', { adminUrl });
  const direct = new URL(adminUrl ?? scratch.url);
  direct.pathname = `/${scratch.name}`;
  // The package's pool absorbs errors of idle clients, such as those ended by DROP DATABASE … WITH (FORCE).
  const pool = createPool({ connectionString: scratch.url }, { max: 12 });
  const database = toDatabase(pool);
  await migrate(database);
  return {
    mode: 'server',
    handle: pool,
    database,
    url: scratch.url,
    directUrl: direct.toString(),
    tcpUrl: () => Promise.resolve(scratch.url),
    async inCallerTransaction(outcome, work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await work(client);
        await client.query(outcome === 'commit' ? 'COMMIT' : 'ROLLBACK');
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
      await scratch.drop();
    },
  };
}

async function openPGliteDatabase(): Promise<OpenedDatabase> {
  const pglite = await PGlite.create();
  const database = toDatabase(pglite);
  await migrate(database);
  let served: Promise<ServedPGlite> | undefined;
  return {
    mode: 'pglite',
    handle: pglite,
    database,
    url: undefined,
    directUrl: undefined,
    async tcpUrl() {
      served ??= servePGlite(pglite, { maxConnections: 16 });
      return (await served).url;
    },
    async inCallerTransaction(outcome, work) {
      await pglite.transaction(async (tx) => {
        await work(toDatabase(tx));
        if (outcome === 'rollback') await tx.rollback();
      });
    },
    async close() {
      // The socket server first: stopping it rolls back what its clients left open, on the live instance.
      await (await served)?.stop();
      await pglite.close();
    },
  };
}

export async function openTestDatabase(): Promise<TestDatabase> {
  let opened: OpenedDatabase;
  if (harnessMode() === 'server') {
    const serverUrl = process.env[HARNESS_SERVER_VARIABLE];
    if (!serverUrl) throw new Error(`${HARNESS_SERVER_VARIABLE} is not set`);
    opened = await openServerDatabase(serverUrl);
  } else {
    opened = await openPGliteDatabase();
  }
  return {
    ...opened,
    reset: async () => {
      await opened.database.query(
        'TRUNCATE secret_store, secret_store_tombstones, secret_store_key_fingerprints, secret_versions, secret_audit_log, secret_audit_checkpoints',
      );
    },
  };
}

/** Registers beforeAll/afterAll for this file's database and returns a getter for it. */
export function useTestDatabase(): () => TestDatabase {
  let testDatabase: TestDatabase | undefined;
  beforeAll(async () => {
    testDatabase = await openTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await testDatabase?.close();
  });
  return () => {
    if (!testDatabase) throw new Error('the test database is not open yet');
    return testDatabase;
  };
}
