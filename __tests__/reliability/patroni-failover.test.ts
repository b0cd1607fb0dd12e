import { Pool } from 'pg';

import { createSecretStore, migrate, SecretStoreError, type SecretStore } from '../../src';
import { DEFAULT_MAX_VERSIONS } from '../../src/secretstore/secret-store-options';
import { codeOf } from '../support/errors';
import { startPatroniCluster, type PatroniCluster } from '../support/patroni-cluster';
import { testKeyring } from '../support/test-keyring';
import { APPLICATION_POOL } from './support/scratch-store';
import {
  countByCode,
  exerciseStore,
  expectHistoryKept,
  expectWritesKept,
  failuresQuotingTheirValue,
  startWriteLoad,
  type FailedWrite,
} from './support/secret-load';
import { waitUntil } from './support/watchdog';

/** Installing Patroni and etcd (when missing), bootstrapping, a lapsed leader lock and the writes after it. */
const SLOW_MILLIS = 240_000;
const WORKERS = 8;
/** Acknowledged writes before the kill, so that it lands mid-run. */
const WRITES_BEFORE_KILL = 200;
/** Acknowledged writes once the new leader takes writes, so that every worker shows the store carrying on. */
const WRITES_AFTER_FAILOVER = 200;
const MAX_WRITES = 20_000;
const RUN_LIMIT_MS = 150_000;
/** The leader lock lapses after Patroni's ttl (10 s); the rest is Patroni's loop and the promotion. */
const FAILOVER_LIMIT_MS = 90_000;
const VERSIONS_PER_KEY = 3;
/** What a write may fail with while its server dies and another is promoted; anything else is a bug. */
const FAILOVER_CODES: readonly string[] = ['DATABASE_UNAVAILABLE', 'WRITE_OUTCOME_UNKNOWN'];

/** Each distinct failure that is not this package's error with a failover code, as "Name (code): message". */
function unexpectedFailures(failures: readonly FailedWrite[]): string[] {
  const described = failures
    .filter(({ error }) => !(error instanceof SecretStoreError && FAILOVER_CODES.includes(error.code)))
    .map(({ error }) => `${error instanceof Error ? error.name : typeof error} (${codeOf(error)}): ${String(error)}`);
  return [...new Set(described)];
}

let cluster: PatroniCluster | undefined;
const stores: SecretStore[] = [];
const pools: Pool[] = [];

beforeAll(async () => {
  cluster = await startPatroniCluster();
  const leader = await cluster.leader();
  const pool = new Pool({ connectionString: cluster.nodes.find((node) => node.name === leader)?.url, max: 1 });
  try {
    await migrate(pool);
    // What makes "nothing acknowledged is lost" hold: the leader commits only once its standby has the WAL.
    const { rows } = await pool.query<{ sync_state: string }>('SELECT sync_state FROM pg_stat_replication');
    expect(rows).toEqual([{ sync_state: 'sync' }]);
  } finally {
    await pool.end();
  }
}, SLOW_MILLIS);

afterAll(async () => {
  // Stores before the pools one of them was given.
  await Promise.allSettled(stores.splice(0).map((store) => store.close()));
  await Promise.allSettled(pools.splice(0).map((pool) => pool.end()));
  await cluster?.close();
}, SLOW_MILLIS);

test(
  `writes from ${WORKERS} workers over a multi-host URL while Patroni fails over: nothing acknowledged is lost, the same store carries on`,
  async () => {
    if (cluster === undefined) throw new Error('the Patroni cluster did not start');
    const running = cluster;
    const encryption = testKeyring();
    const store = await createSecretStore({
      db: running.multiHostUrl,
      encryption,
      pool: APPLICATION_POOL,
      retry: { attempts: 1 },
    });
    stores.push(store);

    const runStartedAt = Date.now();
    let killedAt = Infinity;
    let newLeaderAt = Infinity;
    let acknowledgedAtNewLeader: number | undefined;
    let stopped = false;
    const load = startWriteLoad(store, {
      workers: WORKERS,
      keepGoing: ({ attempted, acknowledged }) => {
        if (stopped || attempted >= MAX_WRITES || Date.now() - runStartedAt > RUN_LIMIT_MS) return false;
        return acknowledgedAtNewLeader === undefined || acknowledged - acknowledgedAtNewLeader < WRITES_AFTER_FAILOVER;
      },
      // Without a pause, workers would spin through refused connections while no server takes writes.
      pauseAfterFailureMs: 100,
      versionsPerKey: VERSIONS_PER_KEY,
    });

    let oldLeader: string;
    let newLeader: string;
    try {
      await waitUntil('writes before the kill', () => load.progress.acknowledged >= WRITES_BEFORE_KILL, 60_000);
      oldLeader = await running.killLeader();
      killedAt = Date.now();
      newLeader = await running.waitForNewLeader(oldLeader, FAILOVER_LIMIT_MS);
      newLeaderAt = Date.now();
      acknowledgedAtNewLeader = load.progress.acknowledged;
    } catch (error) {
      stopped = true;
      await load.finished;
      throw error;
    }
    const result = await load.finished;

    // Started after the kill: only the new leader can have acknowledged them.
    const afterKill = result.acknowledged.filter((write) => write.startedAt > killedAt);
    const firstOnNewLeader = Math.min(...afterKill.map((write) => write.settledAt));
    const acknowledgedBefore = result.acknowledged.filter((write) => write.settledAt <= killedAt).length;
    console.log(
      `[patroni-failover] ${oldLeader} killed, ${newLeader} led ${((newLeaderAt - killedAt) / 1000).toFixed(1)} s later; ` +
        `first write acknowledged on ${newLeader} ${((firstOnNewLeader - killedAt) / 1000).toFixed(1)} s after the kill; ` +
        `writes: ${result.acknowledged.length} acknowledged (${acknowledgedBefore} before the kill, ${afterKill.length} after), ` +
        `${result.failed.length} failed (${countByCode(result.failed)}); run ${((Date.now() - runStartedAt) / 1000).toFixed(1)} s`,
    );

    expect(newLeader).not.toBe(oldLeader);
    expect(acknowledgedBefore).toBeGreaterThanOrEqual(WRITES_BEFORE_KILL);
    expect(unexpectedFailures(result.failed)).toEqual([]);
    expect(failuresQuotingTheirValue(result.failed)).toEqual([]);
    // Every worker, not just the load as a whole, had writes acknowledged once the new leader took them.
    const workersAfter = new Set(
      result.acknowledged.filter((w) => w.startedAt > newLeaderAt).map((w) => w.value.worker),
    );
    expect([...workersAfter].sort((a, b) => a - b)).toEqual(Array.from({ length: WORKERS }, (_, worker) => worker));

    // Read back from the new leader alone: every acknowledged write is there with its value and its version.
    const leaderUrl = running.nodes.find((node) => node.name === newLeader)?.url;
    const leaderPool = new Pool({ connectionString: leaderUrl, max: 4 });
    pools.push(leaderPool);
    const onLeader = await createSecretStore({ db: leaderPool, encryption, retry: { attempts: 1 } });
    stores.push(onLeader);
    await expectWritesKept(onLeader, result, 'patroni-failover');
    await expectHistoryKept(onLeader, leaderPool, result, DEFAULT_MAX_VERSIONS, 'patroni-failover');

    // The store that saw the failover writes and reads on, and what it writes lands on the new leader.
    await exerciseStore(store, 'after-failover', 20);
    const { rows } = await leaderPool.query<{ count: string }>(
      "SELECT count(*) AS count FROM secret_store WHERE key LIKE 'after-failover.%'",
    );
    expect(Number(rows[0].count)).toBe(20);
  },
  SLOW_MILLIS,
);
