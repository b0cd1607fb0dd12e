import { PostgresSecretStoreRepository, SecretStore } from '../../src';
import { DEFAULT_MAX_VERSIONS } from '../../src/secretstore/secret-store-options';
import {
  KILL_INTERVAL_FLOOR_MS,
  KILL_INTERVAL_IN_CONNECTION_COSTS,
  KILL_INTERVAL_IN_RECONNECTIONS,
  killIntervalFor,
  startBackendKiller,
  type KillReport,
} from './support/backend-killer';
import { measureConnectionCost, measureReconnectionCost } from './support/connection-cost';
import { APPLICATION_POOL, CONNECT_DELAY_MS, SERVER_URL, useScratchStore } from './support/scratch-store';
import {
  countByCode,
  exerciseStore,
  expectHistoryKept,
  expectWritesKept,
  failuresQuotingTheirValue,
  runReadLoad,
  startWriteLoad,
  unexpectedFailures,
  type WriteLoadResult,
} from './support/secret-load';
import { withinDeadline } from './support/watchdog';

const WORKERS = 16;
const WRITES = 5_000;
const READS = 2_000;
/** Writes each key of the history load gets: all of them kept (no more than maxVersions), so all checked. */
const VERSIONS_PER_KEY = 5;
/** A load stops issuing calls at this deadline whatever its count: well inside the test's timeout, on any machine. */
const LOAD_DEADLINE_MS = 45_000;
/** Ticks that must kill live backends during each load; a load that finishes its count sooner runs on until then. */
const MIN_KILLING_TICKS = 10;
/** Where calls are quick but connecting is slow, kills are far apart and a load runs long: never past this. */
const MAX_CALLS = 100_000;
/** A load must complete this share of its count, so that a slow machine still checks hundreds of calls. */
const MIN_SHARE = 0.1;

const scratch = useScratchStore(APPLICATION_POOL);
let load: WriteLoadResult | undefined;

interface KilledRun<T> {
  result: T;
  kills: KillReport;
  /** The fault rate applied and what it hit, for the test's line in the log. */
  applied: string;
}

/**
 * Measures what a connection costs, then runs `run` while every backend of the scratch database is killed
 * at the interval derived from that cost. `keepGoing(done)`, asked before each call, holds until `count`
 * calls and MIN_KILLING_TICKS killing ticks, and never past MAX_CALLS or LOAD_DEADLINE_MS.
 */
async function underKills<T>(
  count: number,
  run: (keepGoing: (done: number) => boolean) => Promise<T>,
): Promise<KilledRun<T>> {
  const { database, applicationUrl } = scratch();
  const costMs = await measureConnectionCost(applicationUrl);
  const reopenMs = await measureReconnectionCost(applicationUrl, APPLICATION_POOL.max ?? 10);
  const intervalMs = killIntervalFor(costMs, reopenMs);
  const killer = await startBackendKiller(SERVER_URL, database.name, intervalMs);
  const startedAt = Date.now();
  const deadline = startedAt + LOAD_DEADLINE_MS;
  let deadlineReached = false;
  const keepGoing = (done: number): boolean => {
    if (Date.now() >= deadline) deadlineReached = true;
    if (deadlineReached || done >= MAX_CALLS) return false;
    return done < count || killer.progress.killingTicks < MIN_KILLING_TICKS;
  };
  let result: T;
  let kills: KillReport;
  try {
    result = await run(keepGoing);
  } finally {
    kills = await killer.stop();
  }
  const proxied = CONNECT_DELAY_MS > 0 ? ` (through a proxy delaying it by ${CONNECT_DELAY_MS} ms)` : '';
  const applied =
    `connection ${costMs.toFixed(1)} ms${proxied}, the pool reopened in ${reopenMs.toFixed(1)} ms, a kill every ` +
    `${intervalMs} ms (${KILL_INTERVAL_IN_CONNECTION_COSTS} connections' or ${KILL_INTERVAL_IN_RECONNECTIONS} ` +
    `reopenings' time, at least ${KILL_INTERVAL_FLOOR_MS} ms); ${kills.ticks} ticks, ` +
    `${kills.killingTicks} of them killing ${kills.terminated} backends; ${((Date.now() - startedAt) / 1000).toFixed(1)} s` +
    (deadlineReached ? ', stopped at the deadline' : '');
  return { result, kills, applied };
}

/**
 * Writes under `prefix` from WORKERS workers while backends are killed, up to `count`: distinct keys, or each
 * key `versionsPerKey` times.
 */
function writeUnderKills(
  store: SecretStore,
  count: number,
  prefix?: string,
  versionsPerKey?: number,
): Promise<KilledRun<WriteLoadResult>> {
  return underKills(
    count,
    (keepGoing) =>
      startWriteLoad(store, {
        workers: WORKERS,
        keepGoing: ({ attempted }) => keepGoing(attempted),
        pauseAfterFailureMs: 0,
        prefix,
        versionsPerKey,
      }).finished,
  );
}

function expectKillsLanded(kills: KillReport): void {
  expect(kills.firstFailure).toBeUndefined();
  // Kills spread over the load and cut live connections, or nothing was tested.
  expect(kills.killingTicks).toBeGreaterThanOrEqual(MIN_KILLING_TICKS);
}

test(`up to ${WRITES} writes from ${WORKERS} workers while backends are killed: acknowledged writes stay, failures are typed`, async () => {
  const { store } = scratch();
  const { result, kills, applied } = await writeUnderKills(store, WRITES);
  load = result;
  console.log(
    `[killed-connections] writes: ${applied}; ${result.attempted} attempted, ${result.acknowledged.length} acknowledged, ` +
      `${result.failed.length} failed (${countByCode(result.failed)})`,
  );

  expectKillsLanded(kills);
  expect(result.acknowledged.length + result.failed.length).toBe(result.attempted);
  expect(result.acknowledged.length).toBeGreaterThanOrEqual(WRITES * MIN_SHARE);
  await expectWritesKept(store, result, 'killed-connections');
  await expectHistoryKept(store, scratch().pool, result, DEFAULT_MAX_VERSIONS, 'killed-connections');
});

test(`up to ${READS} reads from ${WORKERS} workers while backends are killed: right values, typed failures`, async () => {
  expect(load?.acknowledged.length).toBeGreaterThan(0);
  const { store } = scratch();
  const {
    result: reads,
    kills,
    applied,
  } = await underKills(READS, (keepGoing) => runReadLoad(store, load!.acknowledged, WORKERS, keepGoing));
  console.log(
    `[killed-connections] reads: ${applied}; ${reads.attempted} attempted, ${reads.succeeded} right, ` +
      `${reads.wrong.length} wrong, ${reads.failed.length} failed (${countByCode(reads.failed)})`,
  );

  expectKillsLanded(kills);
  expect(reads.wrong).toEqual([]);
  expect(unexpectedFailures(reads.failed)).toEqual([]);
  expect(failuresQuotingTheirValue(reads.failed)).toEqual([]);
  expect(reads.succeeded + reads.failed.length).toBe(reads.attempted);
  expect(reads.succeeded).toBeGreaterThanOrEqual(READS * MIN_SHARE);
});

test('the same store serves 100 writes and 100 reads once the kills stop', async () => {
  await exerciseStore(scratch().store, 'after-kills', 100);
});

// With retries the store usually absorbs every kill, so the tests above may see no failure at all. Without
// them the kills must surface, and every one of them typed, with the same guarantees on what is stored.
test(`without retries, writes under the same kills fail typed, and acknowledged writes still stay`, async () => {
  const { pool, encryption } = scratch();
  const store = new SecretStore(new PostgresSecretStoreRepository(pool), { encryption, retry: { attempts: 1 } });
  const { result: unretried, kills, applied } = await writeUnderKills(store, WRITES / 2, 'unretried.');
  console.log(
    `[killed-connections] writes without retries: ${applied}; ${unretried.attempted} attempted, ` +
      `${unretried.acknowledged.length} acknowledged, ${unretried.failed.length} failed (${countByCode(unretried.failed)})`,
  );

  expectKillsLanded(kills);
  expect(unretried.failed.length).toBeGreaterThan(0);
  expect(unretried.acknowledged.length + unretried.failed.length).toBe(unretried.attempted);
  expect(unretried.acknowledged.length).toBeGreaterThanOrEqual((WRITES / 2) * MIN_SHARE);
  await expectWritesKept(store, unretried, 'killed-connections, no retries');
  await expectHistoryKept(store, pool, unretried, DEFAULT_MAX_VERSIONS, 'killed-connections, no retries');
});

test(`with history: up to ${WRITES} writes, ${VERSIONS_PER_KEY} to each key, while backends are killed: every acknowledged version kept, none without its write`, async () => {
  const { store, pool } = scratch();
  const { result, kills, applied } = await writeUnderKills(store, WRITES, 'history.', VERSIONS_PER_KEY);
  console.log(
    `[killed-connections] rewrites: ${applied}; ${result.attempted} attempted, ${result.acknowledged.length} ` +
      `acknowledged, ${result.failed.length} failed (${countByCode(result.failed)})`,
  );

  expectKillsLanded(kills);
  expect(result.acknowledged.length + result.failed.length).toBe(result.attempted);
  expect(result.acknowledged.length).toBeGreaterThanOrEqual(WRITES * MIN_SHARE);
  // Keys were written over, or history was not put to work.
  expect(Math.max(...result.acknowledged.map(({ version }) => version))).toBe(VERSIONS_PER_KEY);
  await expectWritesKept(store, result, 'killed-connections, rewrites');
  await expectHistoryKept(store, pool, result, DEFAULT_MAX_VERSIONS, 'killed-connections, rewrites');

  // Every load of this file so far, retried or not, left a trail that verifies.
  const verification = await withinDeadline('verifyAuditTrail', store.verifyAuditTrail());
  expect(verification.firstProblem).toBeUndefined();
  expect(verification).toMatchObject({ ok: true });
  expect(verification.checked).toBeGreaterThanOrEqual(result.acknowledged.length);
});
