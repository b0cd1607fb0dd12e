import { Pool } from 'pg';
import { z } from 'zod';

import {
  createSecretStore,
  generateEncryptionKey,
  migrate,
  type SecretChangeEvent,
  type SecretStore,
  type SecretStoreError,
} from '../../src';
import { parseLsn } from '../../src/database/replicated-database';
import { secretstore } from '../support/cli-run';
import { eventually } from '../support/eventually';
import { FaultProxy } from '../support/fault-proxy';
import { startReplicationCluster, type PostgresNode, type ReplicationCluster } from '../support/postgres-cluster';
import { testKeyring } from '../support/test-keyring';

/** initdb, pg_basebackup and a promotion take seconds. */
const SLOW_MILLIS = 120_000;

const encryption = testKeyring();
const V = z.object({ v: z.number() });

/** libpq's multi-host form over `nodes`, in that order. */
function listing(nodes: readonly PostgresNode[], attrs = 'read-write'): string {
  return `postgres://postgres@${nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}/postgres?target_session_attrs=${attrs}`;
}

describe('a store over several servers (libpq multi-host connection strings)', () => {
  let cluster: ReplicationCluster;
  let primary: PostgresNode;
  let standby: PostgresNode;
  const stores: SecretStore[] = [];

  async function storeOf(db: string, options: Parameters<typeof createSecretStore>[0] = {}): Promise<SecretStore> {
    const store = await createSecretStore({ db, encryption, retry: { attempts: 1 }, ...options });
    stores.push(store);
    return store;
  }

  beforeAll(async () => {
    cluster = await startReplicationCluster();
    primary = cluster.primary;
    standby = cluster.standbys[0];
    const pool = new Pool({ connectionString: primary.url });
    await migrate(pool);
    await pool.end();
  }, SLOW_MILLIS);

  afterAll(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await cluster?.close();
  }, SLOW_MILLIS);

  it(
    'writes to the server that takes writes, wherever it is listed, and says where it is without credentials',
    async () => {
      const store = await storeOf(listing([standby, primary]).replace('postgres@', 'postgres:not-shown@'));
      expect(await store.setSecret('listed.token', { v: 1 })).toEqual({ version: 1 });
      const rows = await primary.query<{ version: number }>(
        "SELECT version FROM secret_store WHERE key = 'listed.token'",
      );
      expect(rows).toEqual([{ version: 1 }]);
      expect(store.describe().location).toEqual({
        kind: 'server',
        description: `127.0.0.1:${standby.port},127.0.0.1:${primary.port}/postgres`,
      });
      expect(JSON.stringify(store.describe())).not.toContain('not-shown');

      // target_session_attrs=primary asks pg_is_in_recovery() instead of transaction_read_only: the same server.
      const byRecovery = await storeOf(listing([standby, primary], 'primary'));
      expect(await byRecovery.getSecret(V, 'listed.token')).toEqual({ v: 1 });

      // `any` (libpq's default) takes the first server that answers: here the standby, which reads but refuses
      // writes, and says so as DATABASE_UNAVAILABLE, having written nothing.
      await cluster.caughtUp();
      const first = await storeOf(listing([standby, primary], 'any'));
      expect(await first.getSecret(V, 'listed.token')).toEqual({ v: 1 });
      await expect(first.setSecret('listed.token', { v: 2 })).rejects.toMatchObject({
        code: 'DATABASE_UNAVAILABLE',
        message: expect.stringContaining('read-only transaction') as string,
      });
      expect(await byRecovery.getSecret(V, 'listed.token')).toEqual({ v: 1 });
    },
    SLOW_MILLIS,
  );

  it(
    'fails with DATABASE_UNAVAILABLE, naming the servers, when none takes writes, having written nothing',
    async () => {
      const store = await storeOf(listing([standby]));
      const failure = (await store
        .setSecret('nowhere.token', { v: 1 })
        .catch((error: unknown) => error)) as SecretStoreError;
      expect(failure).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      expect(failure.message).toContain(`none of the servers 127.0.0.1:${standby.port} is a read-write server`);
      expect(await primary.query("SELECT 1 FROM secret_store WHERE key = 'nowhere.token'")).toEqual([]);
    },
    SLOW_MILLIS,
  );

  it(
    'is what the CLI reads from DATABASE_URL',
    async () => {
      const env = {
        DATABASE_URL: listing([standby, primary]),
        SECRETSTORE_ENCRYPTION_KEYS: `k1:${generateEncryptionKey()}`,
      };
      expect(await secretstore(['set', 'cli.token', '{"v":7}'], { env })).toMatchObject({ code: 0 });
      const read = await secretstore(['get', 'cli.token', '--json'], { env });
      expect(read.code).toBe(0);
      expect(JSON.parse(read.stdout)).toEqual({ key: 'cli.token', value: { v: 7 } });
    },
    SLOW_MILLIS,
  );

  it(
    'fails a connection lost while its server is checked with DATABASE_UNAVAILABLE, and the process lives on',
    async () => {
      const proxy = await FaultProxy.inFrontOf(primary.url);
      try {
        const store = await storeOf(
          `postgres://postgres@127.0.0.1:${proxy.port}/postgres?target_session_attrs=read-write`,
        );
        // The first check is the search's own connection; the second, the pool's new connection.
        proxy.arm({ sql: /transaction_read_only/, action: 'cut-before', skip: 1 });
        await expect(store.setSecret('checked.token', { v: 1 })).rejects.toMatchObject({
          code: 'DATABASE_UNAVAILABLE',
        });
        expect(proxy.fired).toHaveLength(1);
        expect(await store.setSecret('checked.token', { v: 1 })).toEqual({ version: 1 });
      } finally {
        await proxy.close();
      }
    },
    SLOW_MILLIS,
  );

  it(
    'leaves a primary that stops taking writes while its connections stay open (demoted behind a pooler): DATABASE_UNAVAILABLE, nothing written, the connection dropped',
    async () => {
      const store = await storeOf(listing([primary, standby]));
      await store.setSecret('demoted.token', { v: 1 });
      await primary.query('ALTER SYSTEM SET default_transaction_read_only = on');
      await primary.query('SELECT pg_reload_conf()');
      try {
        await eventually('the pooled connection refuses writes', async () => {
          const failure = (await store.setSecret('demoted.token', { v: 2 }).catch((error: unknown) => error)) as
            SecretStoreError | { version: number };
          return 'code' in failure ? failure : undefined;
        }).then((failure) => {
          expect(failure.code).toBe('DATABASE_UNAVAILABLE');
          expect(failure.message).toMatch(/read-only transaction|is no longer a read-write server|none of the servers/);
        });
        // The refused connection went: the next one is checked, and no server listed takes writes now.
        await expect(store.setSecret('demoted.token', { v: 3 })).rejects.toMatchObject({
          code: 'DATABASE_UNAVAILABLE',
          message: expect.stringMatching(/is no longer a read-write server|none of the servers/) as string,
        });
      } finally {
        await primary.query('ALTER SYSTEM RESET default_transaction_read_only');
        await primary.query('SELECT pg_reload_conf()');
      }
      const rows = await primary.query<{ version: number }>(
        "SELECT version FROM secret_store WHERE key = 'demoted.token'",
      );
      expect(rows).toEqual([{ version: 1 }]);
      await eventually('writes are taken again', () =>
        store.setSecret('demoted.token', { v: 4 }).catch(() => undefined),
      );
    },
    SLOW_MILLIS,
  );

  it(
    'after the primary dies and the standby is promoted, the same store writes to the new primary, and its cache and watchers follow',
    async () => {
      const url = listing([primary, standby]);
      const store = await storeOf(url, { cache: { ttlMillis: 3_600_000, maxEntries: 100 } });
      const withReplica = await storeOf(url, { replicas: [standby.url], replicaCheckIntervalMillis: 50 });
      const events: SecretChangeEvent[] = [];
      const stopWatching = await store.watch({ prefix: 'fo.' }, (event) => {
        events.push(event);
      });
      await store.setSecret('fo.token', { v: 1 });
      expect(await store.getSecret(V, 'fo.token')).toEqual({ v: 1 });
      await cluster.caughtUp();

      await primary.stop('immediate');
      const failure = (await store
        .setSecret('fo.token', { v: 2 })
        .catch((error: unknown) => error)) as SecretStoreError;
      expect(['DATABASE_UNAVAILABLE', 'WRITE_OUTCOME_UNKNOWN']).toContain(failure.code);

      await standby.promote();
      const written = await eventually(
        'a write lands on the promoted standby',
        () => store.setSecret('fo.token', { v: 3 }).catch(() => undefined),
        60_000,
      );
      expect(written.version).toBeGreaterThanOrEqual(2);
      const [row] = await standby.query<{ version: number }>("SELECT version FROM secret_store WHERE key = 'fo.token'");
      expect(row.version).toBe(written.version);
      expect(await store.getSecret(V, 'fo.token')).toEqual({ v: 3 });
      // The promoted standby is a primary now, not a replica of one: it gets no reads as a replica.
      await eventually('the promoted replica is set aside', async () =>
        withReplica.describe().replicas?.[0]?.state === 'down' ? true : undefined,
      );
      expect(await withReplica.getSecret(V, 'fo.token')).toEqual({ v: 3 });

      // The LISTEN connection found the new primary too: a change made there by another store reaches the
      // cache (which keeps values for an hour) and the watcher.
      await eventually(
        'the cache hears changes again',
        async () => (store.describe().cache?.live ? true : undefined),
        60_000,
      );
      const other = await storeOf(standby.url);
      await other.setSecret('fo.token', { v: 4 });
      await eventually("the cached store reads the other store's write", async () =>
        (await store.getSecret(V, 'fo.token'))?.v === 4 ? true : undefined,
      );
      await eventually('the watcher is told', async () =>
        events.some((event) => event.type === 'change' && event.version === written.version + 1) ? true : undefined,
      );
      expect(events.some((event) => event.type === 'resync')).toBe(true);
      await stopWatching();
    },
    SLOW_MILLIS,
  );
});

describe('a replica left behind by a failover', () => {
  let cluster: ReplicationCluster;
  let store: SecretStore | undefined;

  beforeAll(async () => {
    cluster = await startReplicationCluster({ standbys: 2 });
    const pool = new Pool({ connectionString: cluster.primary.url });
    await migrate(pool);
    await pool.end();
    await cluster.caughtUp();
  }, SLOW_MILLIS);

  afterAll(async () => {
    await store?.close();
    await cluster?.close();
  }, SLOW_MILLIS);

  it(
    'gets no reads: its WAL is of the dead primary, ahead of the promoted one, and holds none of the new writes',
    async () => {
      const [promoted, leftBehind] = cluster.standbys;
      // The standby to be promoted misses WAL that the other one gets: after the failover the other one has
      // replayed further, by position, than the new primary's own timeline has reached.
      await promoted.stop('fast');
      await cluster.primary.query('CREATE TABLE filler AS SELECT g FROM generate_series(1, 20000) AS g');
      await cluster.caughtUp();
      // The store knows the old primary's WAL positions before the failover; the new one's are lower.
      store = await createSecretStore({
        db: listing([cluster.primary, promoted]),
        replicas: [leftBehind.url],
        replicaCheckIntervalMillis: 50,
        encryption,
        retry: { attempts: 1 },
      });
      expect(store.describe().replicas?.[0]?.state).toBe('up');
      await cluster.primary.stop('immediate');
      await promoted.start();
      await promoted.promote();

      const writer = store;
      await eventually('a write lands on the promoted standby', () =>
        writer.setSecret('behind.token', { v: 1 }).catch(() => undefined),
      );
      const [{ replayed, written }] = await leftBehind.query<{ replayed: string; written: string }>(
        'SELECT pg_last_wal_replay_lsn()::text AS replayed, $1::text AS written',
        [
          (await promoted.query<{ position: string }>('SELECT pg_current_wal_insert_lsn()::text AS position'))[0]
            .position,
        ],
      );
      // The trap: by position alone, the replica looks as if it had the write.
      expect(parseLsn(replayed) > parseLsn(written)).toBe(true);
      expect(store.describe().replicas?.[0]?.state).toBe('down');
      expect(await store.getSecret(V, 'behind.token')).toEqual({ v: 1 });
    },
    SLOW_MILLIS,
  );
});
