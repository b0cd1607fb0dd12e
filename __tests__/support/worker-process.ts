/** Processes running embedded-worker.ts, for the tests of an embedded data folder shared between processes. */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';

import { spawnSource } from './source-process';

const WORKER = path.join(__dirname, 'embedded-worker.ts');

export interface WorkerEvent {
  event: string;
  pid: number;
  [field: string]: unknown;
}

/** A running embedded-worker.ts process. */
export class Worker {
  readonly events: WorkerEvent[] = [];
  readonly exited: Promise<number | null>;
  stderr = '';
  readonly #waiting = new Set<() => void>();

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n')) {
        this.events.push(JSON.parse(pending.slice(0, end)) as WorkerEvent);
        pending = pending.slice(end + 1);
      }
      for (const wake of this.#waiting) wake();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
    void this.exited.then(() => {
      for (const wake of this.#waiting) wake();
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The first event of this name; fails if the worker reports a failure or exits first. */
  async waitFor(name: string): Promise<WorkerEvent> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      const found = this.events.find((event) => event.event === name);
      if (found) return found;
      const failed = this.events.find((event) => event.event === 'failed');
      if (failed || exited) {
        throw new Error(`worker ${this.pid} ended without "${name}": ${JSON.stringify(failed)} ${this.stderr}`);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiting.delete(wake);
          resolve();
        };
        this.#waiting.add(wake);
      });
    }
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Closes stdin (the signal to close for a `hold` worker) and waits for the exit code. */
  end(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }

  kill(signal: NodeJS.Signals): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }
}

const running = new Set<Worker>();

export function startWorker(mode: string, dataDir: string, count = 0): Worker {
  const worker = new Worker(spawnSource(WORKER, [mode, dataDir, String(count)]));
  running.add(worker);
  void worker.exited.then(() => running.delete(worker));
  return worker;
}

/** Kills the workers still running (a test that failed half-way), so that none outlives its test. */
export async function killWorkers(): Promise<void> {
  await Promise.all([...running].map((worker) => worker.kill('SIGKILL')));
}
