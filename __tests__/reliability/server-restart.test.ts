import { ensurePostgresRunning, restartPostgres, serverStartTime, waitForPostgres } from './support/postgres-server';
import { APPLICATION_POOL, SERVER_URL, useScratchStore } from './support/scratch-store';
import { DEFAULT_MAX_VERSIONS } from '../../src/secretstore/secret-store-options';
import { countByCode, exerciseStore, expectHistoryKept, expectWritesKept, startWriteLoad } from './support/secret-load';
import { waitUntil } from './support/watchdog';

const WORKERS = 16;
/** Acknowledged writes before the restart begins, so that it lands mid-run. */
const WRITES_BEFORE_RESTART = 300;
const WRITES = 1_500;
/** Acknowledged writes once the server is back, so that the run shows the store recovering. */
const WRITES_AFTER_RESTART = 300;
const RUN_LIMIT_MS = 30_000;
/** Each key is written this often, so that the restart also lands between versions of one key. */
const VERSIONS_PER_KEY = 3;

// Where the suite may not restart the server (a shared or managed one), the test is skipped, and says so.
const skipRestart = process.env.RELIABILITY_SKIP_RESTART === '1';
if (skipRestart) console.warn('RELIABILITY_SKIP_RESTART=1: the PostgreSQL restart test is skipped');
const restartTest = skipRestart ? test.skip : test;

// Whatever happened in the test, the server is left running for what comes next.
const scratch = useScratchStore(APPLICATION_POOL, { beforeDrop: () => ensurePostgresRunning(SERVER_URL) });

restartTest(
  `writes from ${WORKERS} workers across a PostgreSQL restart: acknowledged writes stay, the same store recovers`,
  async () => {
    const { store, pool } = scratch();
    const startedBefore = await serverStartTime(SERVER_URL);
    const runStartedAt = Date.now();
    let restartStartedAt = Infinity;
    let restartFinishedAt = Infinity;
    let acknowledgedAtRestartEnd: number | undefined;
    let stopped = false;

    const load = startWriteLoad(store, {
      workers: WORKERS,
      keepGoing: ({ acknowledged }) => {
        if (stopped || Date.now() - runStartedAt > RUN_LIMIT_MS) return false;
        const sinceRestart = acknowledgedAtRestartEnd === undefined ? 0 : acknowledged - acknowledgedAtRestartEnd;
        return acknowledged < WRITES || sinceRestart < WRITES_AFTER_RESTART;
      },
      // Without a pause, workers would spin through thousands of refused connections while the server is down.
      pauseAfterFailureMs: 20,
      versionsPerKey: VERSIONS_PER_KEY,
    });
    try {
      await waitUntil('writes before the restart', () => load.progress.acknowledged >= WRITES_BEFORE_RESTART, 20_000);
      restartStartedAt = Date.now();
      try {
        await restartPostgres();
      } catch (error) {
        throw new Error(
          `PostgreSQL could not be restarted, so the restart was not tested: ${(error as Error).message}. ` +
            'Set RELIABILITY_SKIP_RESTART=1 where the suite may not restart the server.',
          { cause: error },
        );
      }
      await waitForPostgres(SERVER_URL);
      restartFinishedAt = Date.now();
      acknowledgedAtRestartEnd = load.progress.acknowledged;
    } catch (error) {
      stopped = true;
      await load.finished;
      throw error;
    }
    const result = await load.finished;

    const acknowledgedBefore = result.acknowledged.filter((write) => write.settledAt < restartStartedAt).length;
    const acknowledgedAfter = result.acknowledged.filter((write) => write.startedAt > restartFinishedAt).length;
    const inFlightDuringRestart = [...result.acknowledged, ...result.failed].filter(
      (write) => write.startedAt < restartFinishedAt && write.settledAt > restartStartedAt,
    ).length;
    console.log(
      `[server-restart] writes: ${result.acknowledged.length} acknowledged (${acknowledgedBefore} before the restart, ` +
        `${acknowledgedAfter} after), ${result.failed.length} failed (${countByCode(result.failed)}); ` +
        `${inFlightDuringRestart} in flight during the restart; restart ${((restartFinishedAt - restartStartedAt) / 1000).toFixed(1)} s, ` +
        `run ${((Date.now() - runStartedAt) / 1000).toFixed(1)} s`,
    );

    expect((await serverStartTime(SERVER_URL)).getTime()).toBeGreaterThan(startedBefore.getTime());
    expect(acknowledgedBefore).toBeGreaterThan(0);
    expect(acknowledgedAfter).toBeGreaterThan(0);
    expect(result.failed.length + inFlightDuringRestart).toBeGreaterThan(0);
    await expectWritesKept(store, result, 'server-restart');
    await expectHistoryKept(store, pool, result, DEFAULT_MAX_VERSIONS, 'server-restart');

    await exerciseStore(store, 'after-restart', 100);
  },
);
