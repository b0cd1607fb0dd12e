import { DataPointType, MeterProvider, MetricReader, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { Pool } from 'pg';
import { z } from 'zod';

import { createSecretStore, migrate, type CreateSecretStoreOptions, type SecretStore } from '../../src';
import { eventually } from '../support/eventually';
import { FaultProxy } from '../support/fault-proxy';
import {
  startPgBouncer,
  startReplicationCluster,
  type PostgresNode,
  type ReplicationCluster,
} from '../support/postgres-cluster';
import { testKeyring } from '../support/test-keyring';

/** initdb and pg_basebackup take seconds; so do the waits for a check to notice a stopped replica. */
const SLOW_MILLIS = 120_000;

const encryption = testKeyring();
const V = z.object({ v: z.number() });

/** A reader the test collects from when it wants. */
class OnDemandMetricReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** secretstore.replica.skipped, summed by reason. */
async function skips(reader: OnDemandMetricReader): Promise<Record<string, number>> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((m) => m.descriptor.name === 'secretstore.replica.skipped') as SumMetricData | undefined;
  const counts: Record<string, number> = {};
  if (metric === undefined) return counts;
  expect(metric.dataPointType).toBe(DataPointType.SUM);
  for (const point of metric.dataPoints) {
    const reason = String(point.attributes['secretstore.replica.skip_reason']);
    counts[reason] = (counts[reason] ?? 0) + point.value;
  }
  return counts;
}

describe('read replicas', () => {
  let cluster: ReplicationCluster;
  let primary: PostgresNode;
  let standby: PostgresNode;
  const stores: SecretStore[] = [];

  /** A store over the cluster's primary, with its standby as replica unless told otherwise. */
  async function storeOf(options: Partial<CreateSecretStoreOptions> = {}): Promise<SecretStore> {
    const store = await createSecretStore({
      db: primary.url,
      replicas: [standby.url],
      encryption,
      replicaCheckIntervalMillis: 50,
      retry: { attempts: 1 },
      ...options,
    });
    stores.push(store);
    return store;
  }

  /** The primary's WAL position, for waiting until the standby has everything up to it. */
  async function primaryPosition(): Promise<string> {
    const [{ position }] = await primary.query<{ position: string }>(
      'SELECT pg_current_wal_insert_lsn()::text AS position',
    );
    return position;
  }

  beforeAll(async () => {
    cluster = await startReplicationCluster();
    primary = cluster.primary;
    standby = cluster.standbys[0];
    const pool = new Pool({ connectionString: primary.url });
    await migrate(pool);
    await pool.end();
    await cluster.caughtUp();
  }, SLOW_MILLIS);

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await standby.resumeReplay().catch(() => undefined);
  });

  afterAll(async () => {
    await cluster?.close();
  }, SLOW_MILLIS);

  it(
    'read the writing store its own writes from the primary while replay is paused, and the replica to any other store',
    async () => {
      const writer = await storeOf();
      const reader = await storeOf();
      await writer.setSecret('rw.token', { v: 1 });
      await standby.waitForReplay(await primaryPosition());
      await eventually('the reader reads the first value from the replica', async () =>
        (await reader.getSecret(V, 'rw.token'))?.v === 1 ? true : undefined,
      );

      await standby.pauseReplay();
      await writer.setSecret('rw.token', { v: 2 });
      // The writer reads its own write (from the primary); the reader reads the replica's older state.
      expect(await writer.getSecret(V, 'rw.token')).toEqual({ v: 2 });
      expect(await writer.getSecretWithMetadata(V, 'rw.token')).toMatchObject({ value: { v: 2 }, version: 2 });
      expect(await reader.getSecret(V, 'rw.token')).toEqual({ v: 1 });
      expect(await reader.getSecrets(V, 'rw.')).toEqual([{ key: 'rw.token', value: { v: 1 } }]);

      await standby.resumeReplay();
      await standby.waitForReplay(await primaryPosition());
      expect(await reader.getSecret(V, 'rw.token')).toEqual({ v: 2 });
      expect(await writer.getSecret(V, 'rw.token')).toEqual({ v: 2 });
    },
    SLOW_MILLIS,
  );

  it(
    'go back to the replica once it has replayed the write: a change made past the store is not seen there',
    async () => {
      const writer = await storeOf();
      const bystander = await storeOf({ replicas: undefined });
      await writer.setSecret('back.token', { v: 1 });
      await standby.waitForReplay(await primaryPosition());
      // The store learns the replica's position from its checks, or from a read that found it behind.
      await eventually('the writer reads from the replica again', async () => {
        await standby.pauseReplay();
        await bystander.setSecret('back.token', { v: 1 + Math.random() });
        const seen = await writer.getSecret(V, 'back.token');
        await standby.resumeReplay();
        await standby.waitForReplay(await primaryPosition());
        return seen?.v === 1 ? true : undefined;
      });
    },
    SLOW_MILLIS,
  );

  it(
    'wait for the commit of a transaction, not a position read before it: replay paused just before COMMIT',
    async () => {
      const writer = await storeOf();
      await writer.setSecret('tx.token', { v: 1 });
      await writer.transaction(async (tx) => {
        await tx.setSecret('tx.token', { v: 2 });
        // Everything but the commit record reaches the replica and is replayed there (another session's commit
        // flushes the WAL that holds the transaction's row).
        const position = await primaryPosition();
        await primary.query('SELECT pg_current_xact_id()');
        await standby.waitForReplay(position);
        await standby.pauseReplay();
      });
      expect(await writer.getSecret(V, 'tx.token')).toEqual({ v: 2 });
      const [row] = await standby.query<{ version: number }>("SELECT version FROM secret_store WHERE key = 'tx.token'");
      expect(row.version).toBe(1);
    },
    SLOW_MILLIS,
  );

  it(
    'skip a replica that lags beyond maxReplicaLagMillis, counted, and use it again once it catches up',
    async () => {
      const reader = new OnDemandMetricReader();
      const store = await storeOf({
        maxReplicaLagMillis: 200,
        telemetry: { meterProvider: new MeterProvider({ readers: [reader] }) },
      });
      const bystander = await storeOf({ replicas: undefined });
      await bystander.setSecret('lag.token', { v: 1 });
      await standby.waitForReplay(await primaryPosition());

      await standby.pauseReplay();
      await bystander.setSecret('lag.token', { v: 2 });
      await eventually('the replica is seen lagging', async () =>
        store.describe().replicas?.[0]?.state === 'lagging' ? true : undefined,
      );
      // Its reads go to the primary: the paused replica's value is not served.
      expect(await store.getSecret(V, 'lag.token')).toEqual({ v: 2 });
      expect((await skips(reader)).lagging).toBeGreaterThanOrEqual(1);

      await standby.resumeReplay();
      await eventually('the replica serves again', async () =>
        store.describe().replicas?.[0]?.state === 'up' ? true : undefined,
      );
      expect(store.describe().replicas?.[0]?.lagMillis).toBeLessThanOrEqual(200);
    },
    SLOW_MILLIS,
  );

  it(
    'skip a replica that is down, counted, with no failed read, and use it again once it is back',
    async () => {
      const reader = new OnDemandMetricReader();
      const store = await storeOf({ telemetry: { meterProvider: new MeterProvider({ readers: [reader] }) } });
      await store.setSecret('down.token', { v: 1 });
      await standby.stop('fast');
      try {
        // A read that meets the stopped replica goes to the primary, and so does every one after.
        for (let i = 0; i < 5; i++) expect(await store.getSecret(V, 'down.token')).toEqual({ v: 1 });
        expect(store.describe().replicas?.[0]).toMatchObject({ state: 'down', lagMillis: undefined });
        expect((await skips(reader)).down).toBeGreaterThanOrEqual(1);
      } finally {
        await standby.start();
      }
      await eventually(
        'the replica serves again',
        async () => (store.describe().replicas?.[0]?.state === 'up' ? true : undefined),
        60_000,
      );
    },
    SLOW_MILLIS,
  );

  it(
    'are not used by a store that audits reads: its reads are recorded on the primary',
    async () => {
      const store = await storeOf({ auditReads: true });
      expect(store.describe().replicas).toEqual([]);
      const bystander = await storeOf({ replicas: undefined });
      await bystander.setSecret('audited.token', { v: 1 });
      await standby.waitForReplay(await primaryPosition());
      await standby.pauseReplay();
      await bystander.setSecret('audited.token', { v: 2 });
      expect(await store.getSecret(V, 'audited.token')).toEqual({ v: 2 });
    },
    SLOW_MILLIS,
  );

  it(
    'sit behind their own PgBouncer, while the cache listens on the primary itself and queries go through its PgBouncer',
    async () => {
      const primaryBouncer = await startPgBouncer(primary);
      const standbyBouncer = await startPgBouncer(standby);
      const pooled = (options: Partial<CreateSecretStoreOptions> = {}) =>
        storeOf({ db: primaryBouncer.url, replicas: [standbyBouncer.url], listenDatabase: primary.url, ...options });
      const writer = await pooled();
      const cached = await pooled({ cache: { ttlMillis: 60_000, maxEntries: 100 } });
      await writer.setSecret('pooled.token', { v: 1 });
      await standby.waitForReplay(await primaryPosition());
      await eventually('the cached store reads the value', async () =>
        (await cached.getSecret(V, 'pooled.token'))?.v === 1 ? true : undefined,
      );

      await standby.pauseReplay();
      await writer.setSecret('pooled.token', { v: 2 });
      expect(await writer.getSecret(V, 'pooled.token')).toEqual({ v: 2 });
      // The cache heard the change on the primary, through the LISTEN that goes straight to it, and fills from
      // the primary: v2, while the paused replica still has v1, which a store without a cache reads.
      await eventually('the cached store reads the new value', async () =>
        (await cached.getSecret(V, 'pooled.token'))?.v === 2 ? true : undefined,
      );
      const [row] = await standby.query<{ version: number }>(
        "SELECT version FROM secret_store WHERE key = 'pooled.token'",
      );
      expect(row.version).toBe(1);
      const uncached = await pooled();
      expect(await uncached.getSecret(V, 'pooled.token')).toEqual({ v: 1 });
      expect(cached.describe().cache?.live).toBe(true);
    },
    SLOW_MILLIS,
  );

  it(
    'keep a store on the primary after a write whose position, or whose outcome, was lost with its connection',
    async () => {
      const proxy = await FaultProxy.inFrontOf(primary.url);
      try {
        // Unnamed statements: the proxy sees the SQL of each one it should cut.
        const writer = await storeOf({
          db: proxy.urlFor(primary.url),
          preparedStatements: false,
        });
        await writer.setSecret('lost.token', { v: 1 });
        await standby.waitForReplay(await primaryPosition());
        await standby.pauseReplay();

        // The write commits; the answer to the position query after it is lost.
        proxy.arm({ sql: /pg_current_wal_insert_lsn/, action: 'lose-reply' });
        await writer.setSecret('lost.token', { v: 2 });
        expect(proxy.fired).toHaveLength(1);
        expect(await writer.getSecret(V, 'lost.token')).toEqual({ v: 2 });

        // The write itself commits and its answer is lost: the store finds its audit record, and reads it back.
        proxy.arm({ sql: /^WITH updated AS/, action: 'lose-reply' });
        await expect(writer.setSecret('lost.token', { v: 3 })).resolves.toEqual({ version: 3 });
        expect(proxy.fired).toHaveLength(2);
        expect(await writer.getSecret(V, 'lost.token')).toEqual({ v: 3 });
        const [row] = await standby.query<{ version: number }>(
          "SELECT version FROM secret_store WHERE key = 'lost.token'",
        );
        expect(row.version).toBe(1);
      } finally {
        await proxy.close();
      }
    },
    SLOW_MILLIS,
  );

  it(
    'send a read whose replica connection fails to the primary, with the value, and set the replica aside until a check',
    async () => {
      const proxy = await FaultProxy.inFrontOf(standby.url);
      try {
        const reader = new OnDemandMetricReader();
        const store = await storeOf({
          replicas: [proxy.urlFor(standby.url)],
          // No check during the test: only the failed read can set the replica aside.
          replicaCheckIntervalMillis: 600_000,
          preparedStatements: false,
          telemetry: { meterProvider: new MeterProvider({ readers: [reader] }) },
        });
        const bystander = await storeOf({ replicas: undefined });
        await bystander.setSecret('cut.token', { v: 1 });
        await standby.waitForReplay(await primaryPosition());
        expect(store.describe().replicas?.[0]?.state).toBe('up');

        proxy.arm({ sql: /^SELECT key, value::text/, action: 'cut-before' });
        expect(await store.getSecret(V, 'cut.token')).toEqual({ v: 1 });
        expect(proxy.fired).toHaveLength(1);
        expect(store.describe().replicas?.[0]?.state).toBe('down');
        expect((await skips(reader)).down).toBe(1);
        expect(await store.getSecret(V, 'cut.token')).toEqual({ v: 1 });
        expect((await skips(reader)).down).toBe(2);
      } finally {
        await proxy.close();
      }
    },
    SLOW_MILLIS,
  );

  it(
    'pass on an error of the read itself, not of the connection: a replica address that leads to a database without the schema',
    async () => {
      const store = await storeOf({ replicas: [standby.url.replace(/\/postgres$/, '/template1')] });
      await store.setSecret('schema.token', { v: 1 });
      await standby.waitForReplay(await primaryPosition());
      await expect(store.getSecret(V, 'schema.token')).rejects.toMatchObject({ code: 'SCHEMA_NOT_MIGRATED' });
    },
    SLOW_MILLIS,
  );

  it(
    'take a pg Pool of the application, described by where it points and left open at close',
    async () => {
      const pool = new Pool({ connectionString: standby.url });
      try {
        const store = await storeOf({ replicas: [pool] });
        expect(store.describe().replicas).toEqual([
          { location: `127.0.0.1:${standby.port}/postgres`, state: 'up', lagMillis: expect.any(Number) as number },
        ]);
        await store.setSecret('pool.token', { v: 1 });
        expect(await store.getSecret(V, 'pool.token')).toEqual({ v: 1 });
        await store.close();
        expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      } finally {
        await pool.end();
      }
    },
    SLOW_MILLIS,
  );

  it('are refused, having opened nothing, where they cannot work', async () => {
    const client = new Pool({ connectionString: primary.url });
    const handle = await client.connect();
    try {
      await expect(storeOf({ replicas: [] })).rejects.toMatchObject({
        code: 'INVALID_CONFIGURATION',
        setting: 'replicas',
      });
      await expect(storeOf({ replicas: [''] })).rejects.toMatchObject({
        code: 'INVALID_CONFIGURATION',
        setting: 'replicas',
      });
      await expect(storeOf({ maxReplicaLagMillis: -1 })).rejects.toMatchObject({
        code: 'INVALID_CONFIGURATION',
        setting: 'maxReplicaLagMillis',
      });
      // A single connection has no pool to read the primary's WAL position on after each commit.
      await expect(storeOf({ db: handle })).rejects.toMatchObject({
        code: 'INVALID_CONFIGURATION',
        message: expect.stringContaining('replicas: need `db` to be a PostgreSQL server') as string,
      });
      await expect(
        createSecretStore({ env: {}, dataDir: '/nonexistent/never-made', replicas: [standby.url] }),
      ).rejects.toMatchObject({ code: 'INVALID_CONFIGURATION', setting: 'replicas' });
    } finally {
      handle.release();
      await client.end();
    }
  });
});
