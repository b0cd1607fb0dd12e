/**
 * Staleness of the cache across processes: process A (this one, a store without a cache) writes one key with
 * setSecret; process B (this script again, with --reader: a store with a cache, on its own connections) is
 * told A's acknowledgement time over a pipe, then reads the key with getSecret until its cache stops serving
 * the old value. Each trial's staleness is B's first fresh read minus A's acknowledgement, both taken as
 * performance.timeOrigin + performance.now() (the same machine's clock; a fresh read that B makes before the
 * message reaches it counts from the message, so a trial never measures below the pipe's delay).
 *
 *   npm run build && npx tsx bench/staleness.ts [--trials 1000] [--seconds 60]
 *
 * Prints p50/p99/max and writes bench/results/staleness/<time>.json and latest.json. DATABASE_URL names the
 * server (default the local one); the bench works in a scratch database there and drops it afterwards.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setImmediate as yieldToEvents } from 'node:timers/promises';

import { createScratchDatabase } from '../scripts/scratch-database';
import {
  createSecretStore,
  generateEncryptionKey,
  migrate,
  parseEncryptionKeys,
  PostgresSecretStoreRepository,
  SecretStore,
} from '../dist/index.js';
import { benchPool, POOL_MAX, secretFor, secretSchema } from './fixture';
import { writeResults } from './report';

const KEY = 'bench.staleness';
const READER_FLAG = '--reader';
/** The cache of the "SecretStore cached" contender: an hour, so that only a notification can end a stale entry. */
const CACHE = { ttlMillis: 3_600_000, maxEntries: 100_000 };
/** A trial whose new value B has not read by then counts as missed (the TTL would serve the old one for an hour). */
const GIVE_UP_MS = 5_000;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at === -1 ? fallback : Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

/** Wall-clock milliseconds with the monotonic clock's resolution, comparable between processes on one machine. */
function clock(): number {
  return performance.timeOrigin + performance.now();
}

/** The value of trial `trial`: it names the trial, so that a read tells which write it saw. */
function valueOf(trial: number) {
  return { ...secretFor(KEY), rotatedAt: `trial ${trial}` };
}

function trialOf(value: { rotatedAt: string } | undefined): number {
  return value ? Number(value.rotatedAt.slice('trial '.length)) : -1;
}

interface Setup {
  url: string;
  keys: string;
}

/** A message from A: trial `trial` was acknowledged at `ackedAt` (A's clock()). */
interface Written {
  trial: number;
  ackedAt: number;
}

/** B's answer: how long after the acknowledgement its cache served the new value, and how many reads were stale. */
interface Observed {
  trial: number;
  stalenessMs: number;
  staleReads: number;
  missed: boolean;
  /** How long the first fresh read took, and the read right after it: a cache that serves shows the second in µs. */
  freshReadUs: number;
  repeatReadUs: number;
}

/** Process B: a cached store that answers each Written with an Observed, on stdout, until stdin closes. */
async function read(setup: Setup): Promise<void> {
  const store = await createSecretStore({
    db: setup.url,
    encryption: parseEncryptionKeys(setup.keys),
    pool: { max: POOL_MAX },
    cache: CACHE,
  });
  try {
    // Cached before the first write: from then on every fresh value is read once and then served from memory.
    await store.getSecret(secretSchema, KEY);
    process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
    for await (const line of createInterface({ input: process.stdin })) {
      const { trial, ackedAt } = JSON.parse(line) as Written;
      let staleReads = 0;
      let missed = false;
      let readStarted: number;
      for (;;) {
        readStarted = performance.now();
        if (trialOf(await store.getSecret(secretSchema, KEY)) >= trial) break;
        staleReads++;
        if (clock() - ackedAt > GIVE_UP_MS) {
          missed = true;
          break;
        }
        // Lets the listening connection deliver its notification between two reads.
        await yieldToEvents();
      }
      const stalenessMs = clock() - ackedAt;
      const freshReadUs = (performance.now() - readStarted) * 1000;
      const repeatStarted = performance.now();
      await store.getSecret(secretSchema, KEY);
      const repeatReadUs = (performance.now() - repeatStarted) * 1000;
      const observed: Observed = { trial, stalenessMs, staleReads, missed, freshReadUs, repeatReadUs };
      process.stdout.write(`${JSON.stringify(observed)}\n`);
    }
  } finally {
    await store.close();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Process A: writes, tells B, waits for B's answer; `trials` times or until `seconds` have passed. */
async function main(): Promise<number> {
  const trials = option('--trials', 1_000);
  const seconds = option('--seconds', 60);
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const scratch = await createScratchDatabase(serverUrl, 'secretstore_staleness');
  const pool = benchPool(scratch.url);
  const setup: Setup = { url: scratch.url, keys: `bench:${generateEncryptionKey()}` };
  const writer = new SecretStore(new PostgresSecretStoreRepository(pool), {
    encryption: parseEncryptionKeys(setup.keys),
  });
  const reader = spawn(process.execPath, [...process.execArgv, __filename, READER_FLAG], {
    env: { ...process.env, BENCH_STALENESS_SETUP: JSON.stringify(setup) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const answers = createInterface({ input: reader.stdout })[Symbol.asyncIterator]();
  const next = async <T>(): Promise<T> => {
    const line = await answers.next();
    if (line.done) throw new Error('the reader process ended');
    return JSON.parse(line.value) as T;
  };
  const observed: Observed[] = [];
  try {
    await migrate(pool);
    await writer.setSecret(KEY, valueOf(0));
    await next<{ ready: true }>();
    const deadline = performance.now() + seconds * 1000;
    for (let trial = 1; trial <= trials && performance.now() < deadline; trial++) {
      await writer.setSecret(KEY, valueOf(trial));
      const written: Written = { trial, ackedAt: clock() };
      reader.stdin.write(`${JSON.stringify(written)}\n`);
      observed.push(await next<Observed>());
    }
  } finally {
    reader.stdin.end();
    await new Promise((resolve) => reader.once('exit', resolve));
    await writer.close();
    await pool.end();
    await scratch.drop();
  }

  const sorted = observed
    .filter((o) => !o.missed)
    .map((o) => o.stalenessMs)
    .sort((a, b) => a - b);
  const missed = observed.filter((o) => o.missed).length;
  const servedStale = observed.filter((o) => o.staleReads > 0).length;
  const middle = (values: number[]) =>
    percentile(
      [...values].sort((a, b) => a - b),
      50,
    );
  const summary = {
    trials: observed.length,
    missed,
    trialsWithAStaleRead: servedStale,
    // The mechanism, not the time: the fresh value read once (from the database) and then served from memory.
    freshReadMedianUs: middle(observed.map((o) => o.freshReadUs)),
    repeatReadMedianUs: middle(observed.map((o) => o.repeatReadUs)),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1],
  };
  const met = missed === 0 && summary.p99Ms <= 50;
  process.stdout.write(
    `staleness over ${summary.trials} trials: p50 ${summary.p50Ms.toFixed(2)} ms, p99 ${summary.p99Ms.toFixed(2)} ms, ` +
      `max ${summary.maxMs.toFixed(2)} ms; ${missed} missed; ${servedStale} trials read the old value at least once\n` +
      `median first fresh read ${summary.freshReadMedianUs.toFixed(1)} µs, the read after it ${summary.repeatReadMedianUs.toFixed(1)} µs\n` +
      `${met ? 'met    ' : 'NOT MET'}  p99 ≤ 50 ms after the write is acknowledged\n`,
  );
  const path = await writeResults(join(__dirname, 'results', 'staleness'), {
    createdAt: new Date().toISOString(),
    node: process.version,
    cache: CACHE,
    settings: { trials, seconds, giveUpMs: GIVE_UP_MS },
    ...summary,
    target: { name: 'p99 ≤ 50 ms after the write is acknowledged', met },
  });
  process.stdout.write(`results: ${path}\n`);
  return met ? 0 : 1;
}

if (process.argv.includes(READER_FLAG)) {
  void read(JSON.parse(process.env.BENCH_STALENESS_SETUP ?? '') as Setup);
} else {
  void main().then((code) => {
    process.exitCode = code;
  });
}
