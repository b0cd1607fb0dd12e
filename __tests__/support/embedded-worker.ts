/**
 * Another process for the embedded-database tests: `node --import tsx embedded-worker.ts <mode> <dataDir> [count]`.
 * It reports on stdout, one JSON object a line, and waits for lines on stdin where its mode says so:
 * - hold: opens a store (holding the folder when it is free), reports `ready`, closes when stdin ends;
 * - write: reports `waiting`, then on `go` opens a store and writes `count` secrets under its own prefix, reports
 *   `written`, and closes when stdin ends;
 * - increment: opens the database, on `go` adds 1 to counter.n `count` times, each a read-modify-write
 *   transaction, reports `incremented`, closes;
 * - hold-transaction: opens the database, sets counter.n to 999 in a transaction, reports `in-transaction`
 *   and waits there until killed.
 */
import { createInterface } from 'node:readline';
import { inspect } from 'node:util';

import { createSecretStore } from '../../src';
import { openEmbeddedDatabase } from '../../src/database/embedded';

const [mode, dataDir, countArgument] = process.argv.slice(2);
const count = Number(countArgument ?? '0');

const lines = createInterface({ input: process.stdin });
const stdinEnded = new Promise<void>((resolve) => lines.once('close', resolve));

function report(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, pid: process.pid, ...fields })}\n`);
}

function nextLine(expected: string): Promise<void> {
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.trim() === expected) resolve();
    });
    lines.once('close', () => reject(new Error(`stdin ended before "${expected}"`)));
  });
}

async function main(): Promise<void> {
  if (mode === 'hold') {
    const store = await createSecretStore({ dataDir, env: {}, logger: {} });
    await store.setSecret('held.by', { pid: process.pid });
    report('ready');
    await stdinEnded;
    await store.close();
    report('closed');
  } else if (mode === 'write') {
    const go = nextLine('go');
    report('waiting');
    await go;
    const store = await createSecretStore({ dataDir, env: {}, logger: {} });
    try {
      for (let i = 0; i < count; i += 1) await store.setSecret(`w${process.pid}.k${i}`, { i });
      report('written', { keys: count });
      await stdinEnded;
    } finally {
      await store.close();
    }
  } else if (mode === 'increment') {
    const embedded = await openEmbeddedDatabase(dataDir);
    const go = nextLine('go');
    report('opened', { role: embedded.role });
    await go;
    const transaction = embedded.database.transaction;
    if (transaction === undefined) throw new Error('no transactions');
    for (let i = 0; i < count; i += 1) {
      await transaction(async (tx) => {
        const { rows } = await tx.query('SELECT n FROM counter');
        await tx.query('UPDATE counter SET n = $1', [(rows[0] as { n: number }).n + 1]);
      });
    }
    await embedded.close();
    report('incremented', { role: embedded.role });
  } else if (mode === 'hold-transaction') {
    const embedded = await openEmbeddedDatabase(dataDir);
    await embedded.database.transaction?.(async (tx) => {
      await tx.query('UPDATE counter SET n = 999');
      report('in-transaction', { role: embedded.role });
      await new Promise(() => undefined);
    });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

/**
 * All of what was thrown, so that a failure a worker cannot explain still says what it was: the value inspected
 * deeply (causes, hidden properties), and an object's own keys, which inspection may leave out.
 */
function describeThrown(error: unknown): Record<string, unknown> {
  const { code, message, stack } = (error ?? {}) as { code?: unknown; message?: unknown; stack?: unknown };
  const isObject = typeof error === 'object' && error !== null;
  return {
    code,
    message,
    thrown: String(error),
    type: isObject ? Object.prototype.toString.call(error) : typeof error,
    constructorName: isObject ? (error as { constructor?: { name?: unknown } }).constructor?.name : undefined,
    ownKeys: isObject ? Reflect.ownKeys(error).map(String) : undefined,
    inspected: inspect(error, { depth: 8, showHidden: true, breakLength: Infinity, maxStringLength: 4_000 }),
    stack,
  };
}

main().then(
  () => lines.close(),
  (error: unknown) => {
    report('failed', describeThrown(error));
    process.exit(1);
  },
);
