/**
 * Replicas and failover, on real streaming clusters on loopback (the tests' harness, __tests__/support/
 * postgres-cluster.ts):
 *
 * (a) Read throughput: getSecret by key from 32 callers for a fixed time, by a store over the primary alone and
 *     by the same store with `replicas: [standby]`, each in a process of its own (this script again, with
 *     --reader), one at a time, rounds alternating which goes first. On a machine where Node and both servers
 *     share the same cores, the ratio measures what routing reads to a replica costs, not how reads scale.
 * (b) Failover time: a store over the multi-host URL of a synchronous cluster writes in a loop; the primary is
 *     stopped with `pg_ctl stop -m immediate` and the standby promoted at once. Measured: from the stop
 *     returning to the first write acknowledged by the promoted standby, and the promotion on its own. Each
 *     trial on a fresh cluster.
 *
 *   npm run build && npx tsx bench/failover.ts [--seconds 5] [--rounds 3] [--trials 5]
 *
 * Prints the figures and writes bench/results/failover-<time>.json. Needs the PostgreSQL binaries that the
 * harness finds under /usr/lib/postgresql; every cluster lives in a temporary folder removed afterwards.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

import { Pool } from 'pg';
import { format, resolveConfig } from 'prettier';

import {
  startReplicationCluster,
  type PostgresNode,
  type ReplicationCluster,
} from '../__tests__/support/postgres-cluster';
import {
  createSecretStore,
  generateEncryptionKey,
  isSecretStoreError,
  migrate,
  parseEncryptionKeys,
} from '../dist/index.js';
import { POOL_MAX, secretFor, secretSchema } from './fixture';

const READER_FLAG = '--reader';
const KEYS = 1_000;
const READ_CONCURRENCY = 32;
/** Unmeasured reads first: the replica is checked once a second, and reads go to the primary until it is. */
const WARMUP_MS = 2_000;
/** Writers of the failover trials, each writing its own key in a loop. */
const FAILOVER_WRITERS = 4;
/** Acknowledged writes before the primary is stopped. */
const WRITES_BEFORE_STOP = 200;
/** A writer's pause after a failed write: the resolution of "first write acknowledged", with a connection's cost. */
const PAUSE_AFTER_FAILURE_MS = 5;
/** No trial waits longer than this for a write on the promoted standby. */
const TRIAL_LIMIT_MS = 60_000;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at === -1 ? fallback : Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

const keyOf = (index: number): string => `bench.replica.${index}`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** What a reader process is told: where to read, with which keyring, for how long. */
interface ReaderSetup {
  primaryUrl: string;
  replicaUrl?: string;
  keys: string;
  measureMs: number;
}

interface ReaderResult {
  reads: number;
  opsPerSec: number;
  /** Reads whose value did not name the key asked for: must be 0. */
  wrong: number;
}

/** A reader process: `READ_CONCURRENCY` callers read keys round robin, warm up, then count; one JSON line out. */
async function read(setup: ReaderSetup): Promise<void> {
  const store = await createSecretStore({
    db: setup.primaryUrl,
    ...(setup.replicaUrl !== undefined && { replicas: [setup.replicaUrl] }),
    encryption: parseEncryptionKeys(setup.keys),
    pool: { max: POOL_MAX },
  });
  try {
    let next = 0;
    let wrong = 0;
    const readUntil = async (end: number): Promise<number> => {
      let reads = 0;
      await Promise.all(
        Array.from({ length: READ_CONCURRENCY }, async () => {
          while (performance.now() < end) {
            const key = keyOf(next++ % KEYS);
            if ((await store.getSecret(secretSchema, key))?.owner !== key) wrong++;
            reads++;
          }
        }),
      );
      return reads;
    };
    await readUntil(performance.now() + WARMUP_MS);
    const started = performance.now();
    const reads = await readUntil(started + setup.measureMs);
    const result: ReaderResult = { reads, opsPerSec: (reads * 1000) / (performance.now() - started), wrong };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await store.close();
  }
}

/** Runs one reader process to its end and resolves its result. */
async function runReader(setup: ReaderSetup): Promise<ReaderResult> {
  const child = spawn(process.execPath, [...process.execArgv, __filename, READER_FLAG], {
    env: { ...process.env, BENCH_FAILOVER_READER: JSON.stringify(setup) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines: string[] = [];
  for await (const line of createInterface({ input: child.stdout })) lines.push(line);
  const code = await exited;
  if (code !== 0 || lines.length === 0) throw new Error(`the reader process exited with code ${code}`);
  return JSON.parse(lines[lines.length - 1]) as ReaderResult;
}

/** Transactions a node has committed in the postgres database: where the reads went. */
async function committedTransactions(node: PostgresNode): Promise<number> {
  const [row] = await node.query<{ commits: string }>(
    "SELECT xact_commit::text AS commits FROM pg_stat_database WHERE datname = 'postgres'",
  );
  return Number(row.commits);
}

async function migrated(cluster: ReplicationCluster): Promise<void> {
  const pool = new Pool({ connectionString: cluster.primary.url, max: 1 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
}

interface ThroughputRound {
  contender: 'primary alone' | 'with a replica';
  opsPerSec: number;
  reads: number;
  /** Transactions each node committed while the contender ran (its reads, the replica checks, connections). */
  primaryTransactions: number;
  standbyTransactions: number;
}

/** Part (a): both contenders, `rounds` rounds each, on one asynchronous cluster seeded with KEYS secrets. */
async function measureThroughput(keys: string, rounds: number, measureMs: number): Promise<ThroughputRound[]> {
  const cluster = await startReplicationCluster({ standbys: 1 });
  try {
    await migrated(cluster);
    const seeder = await createSecretStore({ db: cluster.primary.url, encryption: parseEncryptionKeys(keys) });
    try {
      const entries = Array.from({ length: KEYS }, (_, index) => ({
        key: keyOf(index),
        value: secretFor(keyOf(index)),
      }));
      await seeder.setSecrets(entries);
    } finally {
      await seeder.close();
    }
    await cluster.caughtUp();
    const [standby] = cluster.standbys;
    const results: ThroughputRound[] = [];
    for (let round = 0; round < rounds; round++) {
      const contenders: ThroughputRound['contender'][] = ['primary alone', 'with a replica'];
      if (round % 2 === 1) contenders.reverse();
      for (const contender of contenders) {
        const before = await Promise.all([committedTransactions(cluster.primary), committedTransactions(standby)]);
        const result = await runReader({
          primaryUrl: cluster.primary.url,
          replicaUrl: contender === 'with a replica' ? standby.url : undefined,
          keys,
          measureMs,
        });
        if (result.wrong > 0) throw new Error(`${contender}: ${result.wrong} reads returned another key's value`);
        // A backend reports its counts as it exits: give the reader's a moment.
        await sleep(1_000);
        const after = await Promise.all([committedTransactions(cluster.primary), committedTransactions(standby)]);
        results.push({
          contender,
          opsPerSec: result.opsPerSec,
          reads: result.reads,
          primaryTransactions: after[0] - before[0],
          standbyTransactions: after[1] - before[1],
        });
        process.stdout.write(
          `  round ${round + 1}, ${contender}: ${Math.round(result.opsPerSec)} reads/s ` +
            `(transactions: primary ${after[0] - before[0]}, standby ${after[1] - before[1]})\n`,
        );
      }
    }
    return results;
  } finally {
    await cluster.close();
  }
}

interface FailoverTrial {
  /** `pg_ctl stop -m immediate -w` of the primary. */
  stopMs: number;
  /** `pg_ctl promote -w` of the standby, and the harness's one query that sees recovery ended. */
  promoteMs: number;
  /** From the stop returning to the first write acknowledged by the promoted standby. */
  failoverMs: number;
  writesBeforeStop: number;
  failedWrites: Record<string, number>;
}

/** Part (b), one trial: a fresh synchronous cluster, writers through the multi-host URL, the failover. */
async function failoverTrial(keys: string): Promise<FailoverTrial> {
  const cluster = await startReplicationCluster({ synchronous: true });
  try {
    await migrated(cluster);
    await cluster.caughtUp();
    const store = await createSecretStore({
      db: cluster.multiHostUrl,
      encryption: parseEncryptionKeys(keys),
      pool: { max: POOL_MAX },
      // Each failure reaches the loop at once: the store's backoff would otherwise set the resolution.
      retry: { attempts: 1 },
    });
    const acknowledged: { startedAt: number; settledAt: number }[] = [];
    const failedWrites: Record<string, number> = {};
    const limit = performance.now() + TRIAL_LIMIT_MS;
    let stoppedAt = Infinity;
    let done = false;
    const writers = Array.from({ length: FAILOVER_WRITERS }, async (_, writer) => {
      for (let n = 0; !done && performance.now() < limit; n++) {
        const startedAt = performance.now();
        try {
          await store.setSecret(`bench.failover.${writer}`, { writer, n });
          acknowledged.push({ startedAt, settledAt: performance.now() });
        } catch (error) {
          const code = isSecretStoreError(error) ? error.code : 'untyped';
          failedWrites[code] = (failedWrites[code] ?? 0) + 1;
          await sleep(PAUSE_AFTER_FAILURE_MS);
        }
      }
    });
    // Writes begun after the stop returned can only have been acknowledged by the promoted standby.
    const firstOnPromoted = () =>
      Math.min(...acknowledged.filter((write) => write.startedAt >= stoppedAt).map((write) => write.settledAt));
    try {
      while (acknowledged.length < WRITES_BEFORE_STOP && performance.now() < limit) await sleep(10);
      const writesBeforeStop = acknowledged.length;
      const stopStartedAt = performance.now();
      await cluster.primary.stop('immediate');
      stoppedAt = performance.now();
      await cluster.standbys[0].promote();
      const promotedAt = performance.now();
      while (firstOnPromoted() === Infinity && performance.now() < limit) await sleep(5);
      const first = firstOnPromoted();
      if (first === Infinity) throw new Error(`no write reached the promoted standby within ${TRIAL_LIMIT_MS} ms`);
      return {
        stopMs: stoppedAt - stopStartedAt,
        promoteMs: promotedAt - stoppedAt,
        failoverMs: first - stoppedAt,
        writesBeforeStop,
        failedWrites,
      };
    } finally {
      done = true;
      await Promise.all(writers);
      await store.close();
    }
  } finally {
    await cluster.close();
  }
}

/** bench/results/failover-<time>.json, formatted as the repository's prettier would. */
async function writeReport(report: object): Promise<string> {
  const directory = join(__dirname, 'results');
  await mkdir(directory, { recursive: true });
  const path = join(directory, `failover-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(path, await format(JSON.stringify(report), { ...(await resolveConfig(path)), parser: 'json' }));
  return path;
}

async function main(): Promise<void> {
  const measureMs = option('--seconds', 5) * 1000;
  const rounds = option('--rounds', 3);
  const trials = option('--trials', 5);
  const keys = `bench:${generateEncryptionKey()}`;

  process.stdout.write(
    `(a) getSecret throughput, concurrency ${READ_CONCURRENCY}, ${measureMs / 1000} s per round, ${rounds} rounds\n`,
  );
  const throughput = await measureThroughput(keys, rounds, measureMs);
  const medianOf = (contender: ThroughputRound['contender']) =>
    median(throughput.filter((round) => round.contender === contender).map((round) => round.opsPerSec));
  const alone = medianOf('primary alone');
  const withReplica = medianOf('with a replica');
  process.stdout.write(
    `primary alone ${Math.round(alone)} reads/s, with a replica ${Math.round(withReplica)} reads/s: ` +
      `ratio ${(withReplica / alone).toFixed(2)} (medians; on shared cores this is overhead, not scale)\n`,
  );

  process.stdout.write(`(b) failover, synchronous cluster, ${trials} trials\n`);
  const failovers: FailoverTrial[] = [];
  for (let trial = 1; trial <= trials; trial++) {
    const result = await failoverTrial(keys);
    failovers.push(result);
    process.stdout.write(
      `  trial ${trial}: first write on the promoted standby ${result.failoverMs.toFixed(0)} ms after the stop ` +
        `(promote ${result.promoteMs.toFixed(0)} ms, stop ${result.stopMs.toFixed(0)} ms); ` +
        `failed writes ${JSON.stringify(result.failedWrites)}\n`,
    );
  }
  const summary = (values: number[]) => ({ medianMs: median(values), maxMs: Math.max(...values) });
  const failover = summary(failovers.map((trial) => trial.failoverMs));
  const promote = summary(failovers.map((trial) => trial.promoteMs));
  process.stdout.write(
    `failover: median ${failover.medianMs.toFixed(0)} ms, max ${failover.maxMs.toFixed(0)} ms; ` +
      `pg_ctl promote: median ${promote.medianMs.toFixed(0)} ms, max ${promote.maxMs.toFixed(0)} ms\n`,
  );

  const path = await writeReport({
    createdAt: new Date().toISOString(),
    node: process.version,
    throughput: {
      settings: { keys: KEYS, concurrency: READ_CONCURRENCY, poolMax: POOL_MAX, measureMs, warmupMs: WARMUP_MS },
      rounds: throughput,
      primaryAloneOpsPerSec: alone,
      withReplicaOpsPerSec: withReplica,
      ratio: withReplica / alone,
    },
    failover: {
      settings: {
        writers: FAILOVER_WRITERS,
        writesBeforeStop: WRITES_BEFORE_STOP,
        pauseAfterFailureMs: PAUSE_AFTER_FAILURE_MS,
      },
      trials: failovers,
      firstWriteAfterStop: failover,
      promote,
    },
  });
  process.stdout.write(`results: ${path}\n`);
}

if (process.argv.includes(READER_FLAG)) {
  void read(JSON.parse(process.env.BENCH_FAILOVER_READER ?? '') as ReaderSetup);
} else {
  void main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
