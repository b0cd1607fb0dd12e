/**
 * SecretStore against raw pg, postgres.js and Kysely on one scratch database, in one run: `npm run bench`,
 * measuring the package as built (dist/, what an application imports), not its TypeScript sources;
 * or `npm run bench:smoke` for a seconds-long correctness pass (exit code ≠ 0 when a contender errs or
 * returns wrong data; speed targets are reported, never enforced).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { Bench } from 'tinybench';

import { createScratchDatabase } from '../scripts/scratch-database';
import { generateEncryptionKey, migrate, parseEncryptionKeys } from '../dist/index.js';
import { type Contender } from './contender';
import { KyselyContender } from './contenders/kysely';
import { PostgresJsContender } from './contenders/postgres-js';
import { RawPgContender } from './contenders/raw-pg';
import { SecretStoreContender } from './contenders/secret-store';
import {
  benchPool,
  POOL_MAX,
  READ_TENANTS,
  readKey,
  sampleEnvelope,
  secretFor,
  seed,
  tenantPrefix,
  TENANTS,
  KEYS_PER_TENANT,
} from './fixture';
import { formatTable, formatTargets, ratiosOf, writeResults, type Measurement, type Target } from './report';
import { RoundTripCounter, type Exchange } from './round-trips';
import { median } from './summary';
import { verifyContenders } from './verify';

const smoke = process.argv.includes('--smoke');
const settings = smoke
  ? {
      rounds: 1,
      timeMs: 60,
      warmupMs: 20,
      minIterations: 5,
      bulkSize: 200,
      bulkTimeMs: 50,
      bulkIterations: 2,
      sequentialRuns: 1,
    }
  : {
      // Each point is measured in several rounds, each starting with another contender; medians are reported.
      rounds: 3,
      timeMs: 700,
      warmupMs: 300,
      minIterations: 64,
      bulkSize: 10_000,
      bulkTimeMs: 3_000,
      bulkIterations: 5,
      sequentialRuns: 2,
    };
const CONCURRENCY = 32;
const UPSERT_KEYS = 1_000;
const BY_KEYS = 100;

function write(text: string): void {
  process.stdout.write(`${text}\n`);
}

type Operation = 'get' | 'upsert' | 'listByPrefix' | 'getByKeys';

/** One call of `operation`, each call on the next key (or prefix), checked cheaply for the right shape. */
function operationCall(contender: Contender, operation: Operation): () => Promise<void> {
  let call = 0;
  switch (operation) {
    case 'get':
      return async () => {
        const key = readKey(call++ * 7919);
        if ((await contender.get(key))?.key !== key) throw new Error(`${contender.name}: ${key} not found`);
      };
    case 'upsert':
      return () => contender.upsert(`bench.${contender.id}.upsert.${call++ % UPSERT_KEYS}`);
    case 'listByPrefix':
      return async () => {
        const rows = await contender.listByPrefix(tenantPrefix(call++ % READ_TENANTS));
        if (rows.length !== KEYS_PER_TENANT) throw new Error(`${contender.name}: listed ${rows.length} rows`);
      };
    case 'getByKeys':
      return async () => {
        const first = call++ * BY_KEYS;
        const keys = Array.from({ length: BY_KEYS }, (_, index) => readKey(first + index * 13));
        const rows = await contender.getByKeys(keys);
        if (rows.length !== BY_KEYS) throw new Error(`${contender.name}: read ${rows.length} of ${BY_KEYS} keys`);
      };
  }
}

/** Runs one tinybench per operation and concurrency, every contender in it; wall time gives ops/s. */
async function measure(
  operation: string,
  concurrency: number,
  bench: Bench,
  tasks: { contender: string; call: () => Promise<void> }[],
  failures: string[],
): Promise<Measurement[]> {
  const wallMs = new Map<string, number>();
  for (const { contender, call } of tasks) {
    let started = 0;
    bench.add(contender, call, {
      beforeAll: (mode) => {
        if (mode === 'run') started = performance.now();
      },
      afterAll: (mode) => {
        if (mode === 'run') wallMs.set(contender, performance.now() - started);
      },
    });
  }
  await bench.run();
  const measurements: Measurement[] = [];
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state === 'errored') {
      failures.push(`${operation} c=${concurrency} ${task.name}: ${result.error.message}`);
    } else if (result.state === 'completed') {
      const samples = result.latency.samplesCount;
      measurements.push({
        operation,
        concurrency,
        contender: task.name,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        opsPerSec: (samples * 1000) / (wallMs.get(task.name) ?? Number.NaN),
        samples,
      });
    } else {
      failures.push(`${operation} c=${concurrency} ${task.name}: ${result.state}`);
    }
  }
  write(
    `  ${operation} c=${concurrency}: ${measurements.map((m) => `${m.contender} ${m.p50Ms.toFixed(3)} ms`).join(', ')}`,
  );
  return measurements;
}

function pointBench(concurrency: number): Bench {
  const common = { time: settings.timeMs, warmupTime: settings.warmupMs };
  return concurrency === 1
    ? new Bench({ ...common, iterations: settings.minIterations, warmupIterations: 16 })
    : // Task mode: `concurrency` callers in flight, bounded by time alone (iterations 0 = no cap).
      new Bench({ ...common, concurrency: 'task', threshold: concurrency, iterations: 0, warmupIterations: 0 });
}

/** One contender's rounds of a point as one measurement: median p50, p99 and ops/s, samples summed. */
function medianOf(rounds: Measurement[], contender: string): Measurement[] {
  const own = rounds.filter((m) => m.contender === contender);
  if (own.length === 0) return [];
  return [
    {
      ...own[0],
      p50Ms: median(own.map((m) => m.p50Ms)),
      p99Ms: median(own.map((m) => m.p99Ms)),
      opsPerSec: median(own.map((m) => m.opsPerSec)),
      samples: own.reduce((sum, m) => sum + m.samples, 0),
    },
  ];
}

function find(measurements: Measurement[], operation: string, concurrency: number, contender: string) {
  return measurements.find(
    (m) => m.operation === operation && m.concurrency === concurrency && m.contender === contender,
  );
}

/** One call of each kind the store makes, with what it exchanged with the server. */
interface CallExchange extends Exchange {
  call: string;
}

/** The round trips and statements of one getSecret, one setSecret and one setSecrets of `bulkSize` keys. */
async function exchangesOf(ours: SecretStoreContender, counter: RoundTripCounter): Promise<CallExchange[]> {
  const bulkKeys = Array.from({ length: settings.bulkSize }, (_, n) => `bench.secretstore.exchange.${n}`);
  const calls: [string, () => Promise<unknown>][] = [
    ['getSecret', () => ours.get(readKey(17))],
    ['setSecret', () => ours.upsert('bench.secretstore.exchange')],
    [`setSecrets(${settings.bulkSize})`, () => ours.bulkSet(bulkKeys)],
  ];
  const exchanges: CallExchange[] = [];
  for (const [call, run] of calls) exchanges.push({ call, ...(await counter.during(run)) });
  return exchanges;
}

/** Each call in one round trip and one statement: what the lifecycle's writes promise, history and audit included. */
function exchangeTargets(exchanges: CallExchange[]): Target[] {
  return exchanges.map(({ call, roundTrips, statements }) => ({
    name: `${call} in one round trip, one statement`,
    met: roundTrips === 1 && statements === 1,
    detail: `${roundTrips} round trip${roundTrips === 1 ? '' : 's'}, ${statements} statement${statements === 1 ? '' : 's'}`,
  }));
}

function targetsOf(measurements: Measurement[], bulkOperation: string, sequentialOperation: string): Target[] {
  const targets: Target[] = [];
  const ratio = (operation: string, concurrency: number) => {
    const ours = find(measurements, operation, concurrency, 'SecretStore');
    return ours && ratiosOf(ours, measurements);
  };
  const getRatio = ratio('get', 1);
  if (getRatio)
    targets.push({
      name: 'getSecret p50 at c=1 ≤ 1.10× raw pg',
      met: getRatio.p50 <= 1.1,
      detail: `${getRatio.p50.toFixed(2)}×`,
    });
  for (const operation of ['get', 'upsert', 'listByPrefix', 'getByKeys']) {
    const r = ratio(operation, CONCURRENCY);
    if (r)
      targets.push({
        name: `${operation} throughput at c=${CONCURRENCY} ≥ 0.95× raw pg`,
        met: r.ops >= 0.95,
        detail: `${r.ops.toFixed(2)}×`,
      });
  }
  const upsertRatio = ratio('upsert', 1);
  if (upsertRatio)
    targets.push({
      // The write keeps the version it replaces and appends an audit record: two more rows than raw pg's upsert.
      name: 'setSecret p50 at c=1 ≤ 1.25× raw pg upsert',
      met: upsertRatio.p50 <= 1.25,
      detail: `${upsertRatio.p50.toFixed(2)}×`,
    });
  for (const m of measurements.filter((m) => m.contender === 'SecretStore' && m.operation !== sequentialOperation)) {
    const kysely = find(measurements, m.operation, m.concurrency, 'Kysely');
    if (!kysely) continue;
    // At c=1 the caller waits on latency; at c=32 what counts is throughput.
    const met = m.concurrency === 1 ? m.p50Ms <= kysely.p50Ms : m.opsPerSec >= kysely.opsPerSec;
    const detail =
      m.concurrency === 1
        ? `p50 ${m.p50Ms.toFixed(3)} ms vs Kysely ${kysely.p50Ms.toFixed(3)} ms`
        : `${m.opsPerSec.toFixed(0)} ops/s vs Kysely ${kysely.opsPerSec.toFixed(0)} ops/s`;
    targets.push({ name: `${m.operation} c=${m.concurrency} at least as fast as Kysely`, met, detail });
  }
  const bulk = find(measurements, bulkOperation, 1, 'SecretStore');
  const sequential = find(measurements, sequentialOperation, 1, 'SecretStore');
  if (bulk && sequential) {
    const speedup = sequential.p50Ms / bulk.p50Ms;
    targets.push({
      name: `setSecrets(${settings.bulkSize}) ≥ 20× faster than ${settings.bulkSize} sequential setSecret`,
      met: speedup >= 20,
      detail: `${speedup.toFixed(1)}× (${bulk.p50Ms.toFixed(1)} ms vs ${sequential.p50Ms.toFixed(1)} ms)`,
    });
  }
  return targets;
}

async function main(): Promise<number> {
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const scratch = await createScratchDatabase(serverUrl, 'secretstore_bench');
  const failures: string[] = [];
  const contenders: Contender[] = [];
  const admin = benchPool(scratch.url);
  try {
    await migrate(admin);
    const encryption = parseEncryptionKeys(`bench:${generateEncryptionKey()}`);
    const writeValue = secretFor('bench.write');
    const oursPool = benchPool(scratch.url);
    const counter = new RoundTripCounter(oursPool);
    const ours = new SecretStoreContender(oursPool, encryption, writeValue);
    const envelope = await sampleEnvelope(ours.store, admin);
    const started = performance.now();
    const envelopes = await seed(ours.store, admin, envelope, encryption.activeKeyId);
    write(`seeded ${TENANTS * KEYS_PER_TENANT} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const { activeKeyId } = encryption;
    contenders.push(
      ours,
      new RawPgContender(benchPool(scratch.url), false, envelope, activeKeyId),
      new RawPgContender(benchPool(scratch.url), true, envelope, activeKeyId),
      new PostgresJsContender(scratch.url, envelope, activeKeyId),
      new KyselyContender(benchPool(scratch.url), envelope, activeKeyId),
    );
    await verifyContenders(contenders, admin, envelopes, writeValue);
    write(`verified ${contenders.length} contenders; pool max ${POOL_MAX} each${smoke ? ' (smoke)' : ''}`);
    // Counted, not timed: a smoke run checks it too, and setSecrets taking more than one round trip fails the run.
    const exchanges = await exchangesOf(ours, counter);
    write(
      `round trips and statements: ${exchanges.map((e) => `${e.call} ${e.roundTrips} and ${e.statements}`).join(', ')}`,
    );
    const bulkExchange = exchanges[exchanges.length - 1];
    if (bulkExchange.roundTrips !== 1 || bulkExchange.statements !== 1)
      failures.push(
        `${bulkExchange.call} took ${bulkExchange.roundTrips} round trips, ${bulkExchange.statements} statements`,
      );

    const pointOperations = ['get', 'listByPrefix', 'getByKeys', 'upsert'] as const;
    // One unmeasured pass of every operation first, so that no contender is measured while the JIT and the
    // collector still work off the seeding; then each operation starts with the next contender in turn.
    const warmUp = new Bench({ time: settings.warmupMs, warmupTime: 0, iterations: 16, warmupIterations: 0 });
    for (const operation of pointOperations) {
      for (const contender of contenders)
        warmUp.add(`${contender.name} ${operation}`, operationCall(contender, operation));
    }
    await warmUp.run();
    const measurements: Measurement[] = [];
    let turn = 0;
    for (const concurrency of [1, CONCURRENCY]) {
      for (const operation of pointOperations) {
        const rounds: Measurement[] = [];
        for (let round = 0; round < settings.rounds; round++) {
          const shift = turn++ % contenders.length;
          const tasks = [...contenders.slice(shift), ...contenders.slice(0, shift)].map((contender) => ({
            contender: contender.name,
            call: operationCall(contender, operation),
          }));
          rounds.push(...(await measure(operation, concurrency, pointBench(concurrency), tasks, failures)));
        }
        measurements.push(...contenders.flatMap((contender) => medianOf(rounds, contender.name)));
      }
    }

    // Bulk writes at c=1 only: concurrent upserts of the same 10,000 keys would measure lock waits.
    const bulkOperation = `bulkSet(${settings.bulkSize})`;
    const bulkBench = new Bench({
      time: settings.bulkTimeMs,
      iterations: settings.bulkIterations,
      warmupIterations: 1,
      warmupTime: 0,
    });
    const bulkTasks = contenders.map((contender) => {
      const keys = Array.from({ length: settings.bulkSize }, (_, n) => `bench.${contender.id}.bulk.${n}`);
      return {
        contender: contender.name,
        call: async () => {
          const written = await contender.bulkSet(keys);
          if (written !== keys.length) throw new Error(`${contender.name}: wrote ${written} of ${keys.length} rows`);
        },
      };
    });
    measurements.push(...(await measure(bulkOperation, 1, bulkBench, bulkTasks, failures)));

    const sequentialOperation = `setSecret×${settings.bulkSize}`;
    const sequentialKeys = Array.from({ length: settings.bulkSize }, (_, n) => `bench.secretstore.sequential.${n}`);
    const sequentialBench = new Bench({ time: 0, iterations: settings.sequentialRuns, warmup: false });
    const sequentialTask = {
      contender: ours.name,
      call: async () => {
        await ours.setSequentially(sequentialKeys);
      },
    };
    measurements.push(...(await measure(sequentialOperation, 1, sequentialBench, [sequentialTask], failures)));

    const targets = [...targetsOf(measurements, bulkOperation, sequentialOperation), ...exchangeTargets(exchanges)];
    write('');
    write(formatTable(measurements));
    write('');
    write(formatTargets(targets));
    // A smoke run's numbers mean nothing: they go to a temporary folder, not beside the full runs' results.
    const resultsDirectory = smoke ? join(tmpdir(), 'secretstore-bench-smoke') : join(__dirname, 'results');
    const path = await writeResults(resultsDirectory, {
      createdAt: new Date().toISOString(),
      smoke,
      node: process.version,
      postgres: (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version,
      settings: { ...settings, poolMax: POOL_MAX, concurrency: [1, CONCURRENCY], rows: TENANTS * KEYS_PER_TENANT },
      baseline: 'pg (unnamed parameterized query)',
      measurements: measurements.map((m) => ({ ...m, ratioToPg: ratiosOf(m, measurements) })),
      exchanges,
      targets,
      failures,
    });
    write(`\nresults: ${path}`);
  } catch (error) {
    failures.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
  } finally {
    await Promise.allSettled(contenders.map((contender) => contender.close()));
    await admin.end();
    await scratch.drop();
  }
  for (const failure of failures) process.stderr.write(`FAILED: ${failure}\n`);
  return failures.length === 0 ? 0 : 1;
}

void main().then((code) => {
  process.exitCode = code;
});
