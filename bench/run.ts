/**
 * SecretStore against the floor (raw pg + the same decryption + JSON.parse + zod), raw pg, postgres.js and
 * Kysely on one scratch database, in one run: `npm run bench`, measuring the package as built (dist/, what an
 * application imports), not its TypeScript sources; or `npm run bench:smoke` for a seconds-long correctness
 * pass (exit code ≠ 0 when a contender errs or returns wrong data; speed targets are reported, never enforced).
 * Every contender is timed in a process of its own (this script, started again with --contender-process), so
 * that each pays for its own allocations: one heap shared by all would spread one's collections over the others.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { createScratchDatabase } from '../scripts/scratch-database';
import { generateEncryptionKey, migrate } from '../dist/index.js';
import { type Contender } from './contender';
import { ContenderProcess, servedAsContenderProcess, type MeasureCommand } from './contender-process';
import {
  CACHE,
  CONTENDER_IDS,
  keyringOf,
  openContender,
  TIMED_OPERATIONS,
  WRITE_VALUE,
  type ContenderSetup,
} from './contender-setup';
import { SecretStoreContender } from './contenders/secret-store';
import { benchPool, POOL_MAX, readKey, sampleEnvelope, seed, TENANTS, KEYS_PER_TENANT } from './fixture';
import { POINT_OPERATIONS, rowsPerCall, type Operation, type PointOperation } from './operations';
import {
  BASELINE,
  FLOOR,
  formatPerRowTable,
  formatTable,
  formatTargets,
  ratiosOf,
  writeResults,
  type Measurement,
  type Target,
} from './report';
import { RoundTripCounter, type Exchange } from './round-trips';
import { median } from './summary';
import { verifyContenders } from './verify';

const smoke = process.argv.includes('--smoke');
const settings = smoke
  ? {
      rounds: 1,
      timeMs: 60,
      // The first pass warms every process; a smoke run's numbers mean nothing, so no point has a warm-up of its own.
      warmupMs: 0,
      warmupIterations: 0,
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
      warmupMs: 200,
      warmupIterations: 16,
      minIterations: 64,
      bulkSize: 10_000,
      bulkTimeMs: 3_000,
      bulkIterations: 5,
      sequentialRuns: 2,
    };
const CONCURRENCY = 32;
const OURS = 'SecretStore';
const OURS_CACHED = 'SecretStore cached';

function timedIn(contender: ContenderProcess, operation: PointOperation): boolean {
  return TIMED_OPERATIONS[contender.id]?.includes(operation) ?? true;
}

function write(text: string): void {
  process.stdout.write(`${text}\n`);
}

function find(measurements: Measurement[], operation: string, concurrency: number, contender: string) {
  return measurements.find(
    (m) => m.operation === operation && m.concurrency === concurrency && m.contender === contender,
  );
}

/** One contender's rounds of a point as one measurement: medians of each figure, samples summed. */
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
      cpuUsPerCall: median(own.map((m) => m.cpuUsPerCall)),
      gcMsPerCall: median(own.map((m) => m.gcMsPerCall)),
      ...(own[0].untimedOpsPerSec !== undefined && {
        untimedOpsPerSec: median(own.map((m) => m.untimedOpsPerSec ?? Number.NaN)),
      }),
    },
  ];
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
    const ours = find(measurements, operation, concurrency, OURS);
    return ours && ratiosOf(ours, measurements);
  };
  const getRatio = ratio('get', 1);
  if (getRatio)
    targets.push({
      name: 'getSecret p50 at c=1 ≤ 1.10× raw pg',
      met: getRatio.p50 <= 1.1,
      detail: `${getRatio.p50.toFixed(2)}×`,
    });
  for (const operation of POINT_OPERATIONS) {
    const r = ratio(operation, CONCURRENCY);
    if (r)
      targets.push({
        name: `${operation} throughput at c=${CONCURRENCY} ≥ 0.95× raw pg`,
        met: r.ops >= 0.95,
        detail: `${r.ops.toFixed(2)}×`,
      });
  }
  const listRatio = ratio('listByPrefix', CONCURRENCY);
  if (listRatio)
    targets.push({
      name: `getSecrets of ${KEYS_PER_TENANT} rows at c=${CONCURRENCY} ≥ 0.8× raw pg's (unencrypted) throughput`,
      met: listRatio.ops >= 0.8,
      detail: `${listRatio.ops.toFixed(2)}×`,
    });
  for (const concurrency of [1, CONCURRENCY]) {
    const cached = find(measurements, 'get', concurrency, OURS_CACHED);
    const pg = find(measurements, 'get', concurrency, BASELINE);
    if (cached?.untimedOpsPerSec !== undefined && pg) {
      // Untimed calls against raw pg's timed ones: a timed call adds the same half microsecond to both, which
      // is nothing beside raw pg's round trip and most of a read served from memory.
      const ratio = cached.untimedOpsPerSec / pg.opsPerSec;
      targets.push({
        name: `cached getSecret throughput at c=${concurrency} ≥ 100× raw pg`,
        met: ratio >= 100,
        detail:
          `${ratio.toFixed(1)}× (${cached.untimedOpsPerSec.toFixed(0)} ops/s untimed against ${pg.opsPerSec.toFixed(0)}; ` +
          `each call timed: ${(cached.opsPerSec / pg.opsPerSec).toFixed(1)}×, p50 ${(cached.p50Ms * 1000).toFixed(2)} µs)`,
      });
    }
  }
  const upsertRatio = ratio('upsert', 1);
  if (upsertRatio)
    targets.push({
      // The write keeps the version it replaces and appends an audit record: two more rows than raw pg's upsert.
      name: 'setSecret p50 at c=1 ≤ 1.25× raw pg upsert',
      met: upsertRatio.p50 <= 1.25,
      detail: `${upsertRatio.p50.toFixed(2)}×`,
    });
  for (const m of measurements.filter((m) => m.contender === OURS && m.operation !== sequentialOperation)) {
    // The floor decrypts and validates as the store does: what is left between them is the store's own cost.
    const toFloor = ratiosOf(m, measurements, FLOOR);
    if (toFloor)
      targets.push({
        name: `${m.operation} c=${m.concurrency} within 1.05× the floor's p50 and ≥ 0.95× its throughput`,
        met: toFloor.p50 <= 1.05 && toFloor.ops >= 0.95,
        detail: `p50 ${toFloor.p50.toFixed(2)}×, throughput ${toFloor.ops.toFixed(2)}×`,
      });
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
  const bulk = find(measurements, bulkOperation, 1, OURS);
  const sequential = find(measurements, sequentialOperation, 1, OURS);
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

/**
 * Opens every contender in this process, checks each one's answers and writes, and closes them again:
 * correctness is checked once, here, before each contender is timed in its own process.
 */
async function verifyAll(setup: ContenderSetup, admin: ReturnType<typeof benchPool>, envelopes: Map<string, string>) {
  const contenders: Contender[] = CONTENDER_IDS.map((id) => openContender(id, setup));
  try {
    const reader = contenders.find((contender) => contender.id === 'secretstore') as Contender;
    await verifyContenders(contenders, admin, envelopes, WRITE_VALUE, reader);
  } finally {
    await Promise.allSettled(contenders.map((contender) => contender.close()));
  }
}

/** Times one point in one contender's process; a failure is recorded, not thrown, so that the others still run. */
async function measureIn(
  contender: ContenderProcess,
  label: string,
  operation: Operation,
  command: Omit<MeasureCommand, 'operation' | 'bulkSize'>,
  failures: string[],
): Promise<Measurement | undefined> {
  try {
    const measured = await contender.measure({ ...command, operation, bulkSize: settings.bulkSize });
    return {
      operation: label,
      concurrency: command.concurrency,
      contender: contender.name,
      rowsPerCall: rowsPerCall(operation, settings.bulkSize),
      ...measured,
    };
  } catch (error) {
    failures.push(`${label} c=${command.concurrency} ${contender.name}: ${(error as Error).message}`);
    return undefined;
  }
}

function pointCommand(concurrency: number, untimed = false) {
  return {
    concurrency,
    untimedMs: untimed ? settings.timeMs : 0,
    timeMs: settings.timeMs,
    iterations: concurrency === 1 ? settings.minIterations : 0,
    warmupMs: settings.warmupMs,
    warmupIterations: concurrency === 1 ? settings.warmupIterations : 0,
  };
}

async function main(): Promise<number> {
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const scratch = await createScratchDatabase(serverUrl, 'secretstore_bench');
  const failures: string[] = [];
  const processes: ContenderProcess[] = [];
  const admin = benchPool(scratch.url);
  try {
    await migrate(admin);
    const keyId = 'bench';
    const keyBase64 = generateEncryptionKey();
    const oursPool = benchPool(scratch.url);
    const counter = new RoundTripCounter(oursPool);
    const ours = new SecretStoreContender(
      oursPool,
      keyringOf({ url: scratch.url, keyId, keyBase64, envelope: '' }),
      WRITE_VALUE,
    );
    let exchanges: CallExchange[];
    try {
      const envelope = await sampleEnvelope(ours.store, admin);
      const setup: ContenderSetup = { url: scratch.url, keyId, keyBase64, envelope };
      // Started now, so that they load while the table is seeded; each opens its pool on its first command.
      for (const id of CONTENDER_IDS) processes.push(new ContenderProcess(id, __filename, setup));
      const started = performance.now();
      const envelopes = await seed(ours.store, admin, envelope, keyId);
      write(`seeded ${TENANTS * KEYS_PER_TENANT} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      await verifyAll(setup, admin, envelopes);
      write(`verified ${CONTENDER_IDS.length} contenders; pool max ${POOL_MAX} each${smoke ? ' (smoke)' : ''}`);
      // Counted, not timed: a smoke run checks it too, and setSecrets taking more than one round trip fails the run.
      exchanges = await exchangesOf(ours, counter);
    } finally {
      await ours.close();
    }
    write(
      `round trips and statements: ${exchanges.map((e) => `${e.call} ${e.roundTrips} and ${e.statements}`).join(', ')}`,
    );
    const bulkExchange = exchanges[exchanges.length - 1];
    if (bulkExchange.roundTrips !== 1 || bulkExchange.statements !== 1)
      failures.push(
        `${bulkExchange.call} took ${bulkExchange.roundTrips} round trips, ${bulkExchange.statements} statements`,
      );

    await Promise.all(processes.map((contender) => contender.started()));
    // One unmeasured pass of every operation in every process first, so that no contender is measured while
    // its JIT still compiles or its pool still connects.
    for (const contender of processes) {
      for (const operation of POINT_OPERATIONS.filter((operation) => timedIn(contender, operation))) {
        const command = {
          ...pointCommand(1),
          timeMs: settings.warmupMs,
          warmupMs: 0,
          iterations: settings.minIterations,
        };
        await measureIn(contender, `warm-up ${operation}`, operation, command, failures);
      }
    }
    write(`${processes.length} contender processes started and warmed up`);

    const measurements: Measurement[] = [];
    let turn = 0;
    for (const concurrency of [1, CONCURRENCY]) {
      for (const operation of POINT_OPERATIONS) {
        const rounds: Measurement[] = [];
        const timed = processes.filter((contender) => timedIn(contender, operation));
        for (let round = 0; round < settings.rounds; round++) {
          const shift = turn++ % timed.length;
          const order = [...timed.slice(shift), ...timed.slice(0, shift)];
          const measured: Measurement[] = [];
          for (const contender of order) {
            const untimed = TIMED_OPERATIONS[contender.id] !== undefined;
            const command = pointCommand(concurrency, untimed);
            const m = await measureIn(contender, operation, operation, command, failures);
            if (m) measured.push(m);
          }
          write(
            `  ${operation} c=${concurrency}: ${measured.map((m) => `${m.contender} ${m.p50Ms.toFixed(3)} ms`).join(', ')}`,
          );
          rounds.push(...measured);
        }
        measurements.push(...timed.flatMap((contender) => medianOf(rounds, contender.name)));
      }
    }

    // Bulk writes at c=1 only: concurrent upserts of the same 10,000 keys would measure lock waits.
    const bulkOperation = `bulkSet(${settings.bulkSize})`;
    const bulkCommand = {
      concurrency: 1,
      timeMs: settings.bulkTimeMs,
      iterations: settings.bulkIterations,
      warmupMs: 0,
      warmupIterations: 1,
      untimedMs: 0,
    };
    for (const contender of processes.filter((contender) => TIMED_OPERATIONS[contender.id] === undefined)) {
      const m = await measureIn(contender, bulkOperation, 'bulkSet', bulkCommand, failures);
      if (m) measurements.push(m);
    }
    write(
      `  ${bulkOperation}: ${measurements
        .filter((m) => m.operation === bulkOperation)
        .map((m) => `${m.contender} ${m.p50Ms.toFixed(1)} ms`)
        .join(', ')}`,
    );

    const sequentialOperation = `setSecret×${settings.bulkSize}`;
    const oursProcess = processes.find((contender) => contender.id === 'secretstore') as ContenderProcess;
    const sequentialCommand = {
      concurrency: 1,
      timeMs: 0,
      iterations: settings.sequentialRuns,
      warmupMs: 0,
      warmupIterations: 0,
      untimedMs: 0,
    };
    const sequential = await measureIn(
      oursProcess,
      sequentialOperation,
      'setSequentially',
      sequentialCommand,
      failures,
    );
    if (sequential) measurements.push(sequential);

    const targets = [...targetsOf(measurements, bulkOperation, sequentialOperation), ...exchangeTargets(exchanges)];
    write('');
    write(formatTable(measurements));
    write('');
    write(formatPerRowTable(measurements));
    write('');
    write(formatTargets(targets));
    // A smoke run's numbers mean nothing: they go to a temporary folder, not beside the full runs' results.
    const resultsDirectory = smoke ? join(tmpdir(), 'secretstore-bench-smoke') : join(__dirname, 'results');
    const path = await writeResults(resultsDirectory, {
      createdAt: new Date().toISOString(),
      smoke,
      node: process.version,
      postgres: (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version,
      settings: {
        ...settings,
        poolMax: POOL_MAX,
        concurrency: [1, CONCURRENCY],
        rows: TENANTS * KEYS_PER_TENANT,
        processes: 'one per contender',
        cache: CACHE,
      },
      baseline: 'pg (unnamed parameterized query)',
      floor: 'floor (pg named statements + node:crypto AES-256-GCM of the store envelope + JSON.parse + zod)',
      measurements: measurements.map((m) => ({
        ...m,
        ratioToPg: ratiosOf(m, measurements),
        ratioToFloor: ratiosOf(m, measurements, FLOOR),
      })),
      exchanges,
      targets,
      failures,
    });
    write(`\nresults: ${path}`);
  } catch (error) {
    failures.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
  } finally {
    await Promise.allSettled(processes.map((contender) => contender.close()));
    await admin.end();
    await scratch.drop();
  }
  for (const failure of failures) process.stderr.write(`FAILED: ${failure}\n`);
  return failures.length === 0 ? 0 : 1;
}

void servedAsContenderProcess().then(async (served) => {
  if (!served) process.exitCode = await main();
});
