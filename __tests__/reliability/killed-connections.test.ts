import { PostgresSecretStoreRepository, SecretStore } from '../../src';
import { startBackendKiller, type KillReport } from './support/backend-killer';
import { APPLICATION_POOL, SERVER_URL, useScratchStore } from './support/scratch-store';
import {
  countByCode,
  exerciseStore,
  expectWritesKept,
  failuresQuotingTheirValue,
  runReadLoad,
  type ReadLoadResult,
  startWriteLoad,
  unexpectedFailures,
  type WriteLoadResult,
} from './support/secret-load';

const WORKERS = 16;
const WRITES = 5_000;
const READS = 2_000;
const KILL_INTERVAL_MS = 50;

const scratch = useScratchStore(APPLICATION_POOL);
let load: WriteLoadResult | undefined;

function summary(kills: KillReport, startedAt: number): string {
  return (
    `${kills.terminated} backends terminated in ${kills.ticks} ticks (all of the database's backends every ${KILL_INTERVAL_MS} ms); ` +
    `${((Date.now() - startedAt) / 1000).toFixed(1)} s`
  );
}

test(`${WRITES} writes from ${WORKERS} workers while backends are killed: acknowledged writes stay, failures are typed`, async () => {
  const { store, database } = scratch();
  const killer = await startBackendKiller(SERVER_URL, database.name, KILL_INTERVAL_MS);
  const startedAt = Date.now();
  let kills: KillReport;
  try {
    load = await startWriteLoad(store, {
      workers: WORKERS,
      keepGoing: (progress) => progress.attempted < WRITES,
      pauseAfterFailureMs: 0,
    }).finished;
  } finally {
    kills = await killer.stop();
  }
  console.log(
    `[killed-connections] writes: ${load.acknowledged.length} acknowledged, ${load.failed.length} failed ` +
      `(${countByCode(load.failed)}); ${summary(kills, startedAt)}`,
  );

  expect(kills.firstFailure).toBeUndefined();
  // Kills spread over the load, not one lucky tick at its end.
  expect(kills.ticks).toBeGreaterThanOrEqual(3);
  expect(kills.terminated).toBeGreaterThan(0);
  expect(load.acknowledged.length + load.failed.length).toBe(WRITES);
  await expectWritesKept(store, load, 'killed-connections');
});

test(`${READS} reads from ${WORKERS} workers while backends are killed: right values, typed failures`, async () => {
  expect(load?.acknowledged.length).toBeGreaterThan(0);
  const { store, database } = scratch();
  const killer = await startBackendKiller(SERVER_URL, database.name, KILL_INTERVAL_MS);
  const startedAt = Date.now();
  let reads: ReadLoadResult;
  let kills: KillReport;
  try {
    reads = await runReadLoad(store, load!.acknowledged, READS, WORKERS);
  } finally {
    kills = await killer.stop();
  }
  console.log(
    `[killed-connections] reads: ${reads.succeeded} right, ${reads.wrong.length} wrong, ${reads.failed.length} failed ` +
      `(${countByCode(reads.failed)}); ${summary(kills, startedAt)}`,
  );

  expect(kills.terminated).toBeGreaterThan(0);
  expect(reads.wrong).toEqual([]);
  expect(unexpectedFailures(reads.failed)).toEqual([]);
  expect(failuresQuotingTheirValue(reads.failed)).toEqual([]);
  expect(reads.succeeded + reads.failed.length).toBe(READS);
});

test('the same store serves 100 writes and 100 reads once the kills stop', async () => {
  await exerciseStore(scratch().store, 'after-kills', 100);
});

// With retries the store usually absorbs every kill, so the tests above may see no failure at all. Without
// them the kills must surface, and every one of them typed, with the same guarantees on what is stored.
test(`without retries, writes under the same kills fail typed, and acknowledged writes still stay`, async () => {
  const { pool, encryption, database } = scratch();
  const store = new SecretStore(new PostgresSecretStoreRepository(pool), { encryption, retry: { attempts: 1 } });
  const killer = await startBackendKiller(SERVER_URL, database.name, KILL_INTERVAL_MS);
  const startedAt = Date.now();
  let unretried: WriteLoadResult;
  let kills: KillReport;
  try {
    unretried = await startWriteLoad(store, {
      workers: WORKERS,
      keepGoing: (progress) => progress.attempted < WRITES / 2,
      pauseAfterFailureMs: 0,
      prefix: 'unretried.',
    }).finished;
  } finally {
    kills = await killer.stop();
  }
  console.log(
    `[killed-connections] writes without retries: ${unretried.acknowledged.length} acknowledged, ` +
      `${unretried.failed.length} failed (${countByCode(unretried.failed)}); ${summary(kills, startedAt)}`,
  );

  expect(kills.terminated).toBeGreaterThan(0);
  expect(unretried.failed.length).toBeGreaterThan(0);
  expect(unretried.acknowledged.length + unretried.failed.length).toBe(WRITES / 2);
  await expectWritesKept(store, unretried, 'killed-connections, no retries');
});
