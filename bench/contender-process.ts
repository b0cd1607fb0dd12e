import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { type Readable, type Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import { Bench } from 'tinybench';

import { type Contender } from './contender';
import { type ContenderId, type ContenderSetup, openContender, READ_EVERY_KEY_FIRST } from './contender-setup';
import { operationCall, readEveryKey, type Operation } from './operations';
import { type ProcessMeasurement } from './report';

/** One measurement a contender's process is asked for: `operation` at `concurrency`, bounded by time and count. */
export interface MeasureCommand {
  operation: Operation;
  concurrency: number;
  /** Keys per bulk write. */
  bulkSize: number;
  /** Measured for at least this long (ms) and at least `iterations` calls (concurrency 1; 0 = time alone). */
  timeMs: number;
  iterations: number;
  /** Unmeasured calls first: for this long (ms), and at least this many at concurrency 1. */
  warmupMs: number;
  warmupIterations: number;
  /**
   * Then also this long (ms) of the same calls from `concurrency` callers that time nothing but the whole: for
   * calls served from memory, where the harness's own half microsecond per timed call would be most of what is
   * measured. 0: not measured.
   */
  untimedMs: number;
}

type Reply = { ok: true; result: ProcessMeasurement } | { ok: false; error: string };
/** The first line a contender's process writes, once its contender is open. */
interface Hello {
  name: string;
}

const WORKER_FLAG = '--contender-process';

function benchFor(command: MeasureCommand): Bench {
  const common = {
    time: command.timeMs,
    warmupTime: command.warmupMs,
    warmup: command.warmupMs > 0 || command.warmupIterations > 0,
  };
  return command.concurrency === 1
    ? new Bench({ ...common, iterations: command.iterations, warmupIterations: command.warmupIterations })
    : // Task mode: `concurrency` callers in flight, bounded by time alone (iterations 0 = no cap).
      new Bench({ ...common, concurrency: 'task', threshold: command.concurrency, iterations: 0, warmupIterations: 0 });
}

/** Collections as the process reports them, kept with their start so that a window can sum its own. */
class GcLog {
  private readonly entries: { startTime: number; duration: number }[] = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) this.entries.push({ startTime: entry.startTime, duration: entry.duration });
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Milliseconds of collection that started within [from, to]; clears what it read. */
  async totalBetween(from: number, to: number): Promise<number> {
    // Entries reach the observer on a later turn of the event loop.
    await sleep(20);
    const total = this.entries
      .filter((entry) => entry.startTime >= from && entry.startTime <= to)
      .reduce((sum, entry) => sum + entry.duration, 0);
    this.entries.length = 0;
    return total;
  }
}

async function measureIn(contender: Contender, command: MeasureCommand, gc: GcLog): Promise<ProcessMeasurement> {
  const bench = benchFor(command);
  let started = 0;
  let ended = 0;
  let cpuAtStart = process.cpuUsage();
  let cpu = { user: 0, system: 0 };
  bench.add(contender.name, operationCall(contender, command.operation, command.bulkSize), {
    beforeAll: (mode) => {
      if (mode !== 'run') return;
      cpuAtStart = process.cpuUsage();
      started = performance.now();
    },
    afterAll: (mode) => {
      if (mode !== 'run') return;
      ended = performance.now();
      cpu = process.cpuUsage(cpuAtStart);
    },
  });
  await bench.run();
  const result = bench.tasks[0].result;
  if (result.state === 'errored') throw result.error;
  if (result.state !== 'completed') throw new Error(`the measurement ended ${result.state}`);
  const samples = result.latency.samplesCount;
  const gcMs = await gc.totalBetween(started, ended);
  return {
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    opsPerSec: (samples * 1000) / (ended - started),
    samples,
    cpuUsPerCall: (cpu.user + cpu.system) / samples,
    gcMsPerCall: gcMs / samples,
    ...(command.untimedMs > 0 && { untimedOpsPerSec: await untimedThroughput(contender, command) }),
  };
}

/** Calls per second of `concurrency` callers that each call in a loop until the time is up, timing only the whole. */
async function untimedThroughput(contender: Contender, command: MeasureCommand): Promise<number> {
  const call = operationCall(contender, command.operation, command.bulkSize);
  const started = performance.now();
  const end = started + command.untimedMs;
  let calls = 0;
  const caller = async () => {
    while (performance.now() < end) {
      await call();
      calls++;
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, caller));
  return (calls * 1000) / (performance.now() - started);
}

/**
 * The child's side: opens one contender and announces its name (one JSON line on stdout), then answers each
 * command line on stdin (JSON) with one JSON line on stdout, until stdin closes.
 */
async function serveContender(id: ContenderId, setup: ContenderSetup): Promise<void> {
  const contender = openContender(id, setup);
  const gc = new GcLog();
  const reply = (message: Reply | Hello) => process.stdout.write(`${JSON.stringify(message)}\n`);
  reply({ name: contender.name });
  // On the first command, not at start: the process starts while the parent still seeds the table.
  let primed = !READ_EVERY_KEY_FIRST.includes(id);
  try {
    for await (const line of createInterface({ input: process.stdin })) {
      try {
        if (!primed) await readEveryKey(contender);
        primed = true;
        reply({ ok: true, result: await measureIn(contender, JSON.parse(line) as MeasureCommand, gc) });
      } catch (error) {
        reply({ ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    await contender.close();
  }
}

/** When this process was started as a contender's process: serves it and resolves true. */
export async function servedAsContenderProcess(): Promise<boolean> {
  const at = process.argv.indexOf(WORKER_FLAG);
  if (at === -1) return false;
  const setup = JSON.parse(process.env.BENCH_CONTENDER_SETUP ?? '') as ContenderSetup;
  await serveContender(process.argv[at + 1] as ContenderId, setup);
  return true;
}

/**
 * The parent's handle on one contender running in a process of its own (this same script, under the same
 * loader flags), so that no contender's allocations are collected on another's time.
 */
export class ContenderProcess {
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly lines: AsyncIterator<string>;
  private readonly exited: Promise<number | null>;
  #name: string | undefined;

  constructor(
    readonly id: ContenderId,
    script: string,
    setup: ContenderSetup,
  ) {
    this.child = spawn(process.execPath, [...process.execArgv, script, WORKER_FLAG, id], {
      env: { ...process.env, BENCH_CONTENDER_SETUP: JSON.stringify(setup) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
    this.exited = new Promise((resolve) => this.child.on('exit', resolve));
  }

  /** The contender's name, once started. */
  get name(): string {
    return this.#name ?? this.id;
  }

  private async nextLine(): Promise<string> {
    const next = await this.lines.next();
    if (next.done) throw new Error(`${this.name}'s process exited with code ${await this.exited}`);
    return next.value;
  }

  /** Resolves once the process has loaded and opened its contender. */
  async started(): Promise<void> {
    this.#name = (JSON.parse(await this.nextLine()) as Hello).name;
  }

  async measure(command: MeasureCommand): Promise<ProcessMeasurement> {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
    const reply = JSON.parse(await this.nextLine()) as Reply;
    if (!reply.ok) throw new Error(reply.error);
    return reply.result;
  }

  /** Closes its stdin, so that it closes its pool and exits. */
  async close(): Promise<void> {
    this.child.stdin.end();
    await this.exited;
  }
}
