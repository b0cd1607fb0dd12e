/**
 * The embedded data folder's lock, across real processes: it is published whole, judged stale only by what a
 * crash cannot fake (the holder answering on its socket, its PID, start time and boot), taken over by one
 * contender at a time, and removed only by its own holder.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, statSync, utimesSync, watch, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';

import { z } from 'zod';

import { createSecretStore } from '../../src';
import { LOCK_FILE } from '../../src/database/data-dir';
import { acquireDataFolderLock, type DataFolderLock } from '../../src/database/data-folder-lock';
import { openEmbeddedDatabase } from '../../src/database/embedded';
import { currentBootId, processStartTime } from '../../src/database/process-identity';
import { useTemporaryFolder } from '../support/temporary-folder';
import { killWorkers, startWorker } from '../support/worker-process';

// Each test opens PGlite on disk (seconds each, more beside other test files) and starts node processes.
jest.setTimeout(240_000);

// Declared first, so that the workers are gone before their folder is removed.
afterEach(killWorkers);
const folder = useTemporaryFolder('secretstore-lock-');
let dataDir: string;
let lockPath: string;
beforeEach(() => {
  dataDir = folder.path;
  lockPath = path.join(dataDir, 'lock');
});

/** A lock as a holder writes it: its PID on the first line, the rest of its record as JSON on the second. */
function lockRecord(pid: number, fields: { started?: string; bootId?: string; token?: string }): string {
  const record = {
    token: fields.token ?? randomBytes(32).toString('hex'),
    socketPath: path.join(dataDir, '.s.PGSQL.5432'),
    started: fields.started,
    bootId: fields.bootId,
  };
  return `${pid}\n${JSON.stringify(record)}\n`;
}

/** Replaces the lock the way a holder publishes one: a new file moved into place. */
function replaceLock(content: string): void {
  writeFileSync(`${lockPath}.test`, content);
  renameSync(`${lockPath}.test`, lockPath);
}

const DatabaseUnavailable = { code: 'DATABASE_UNAVAILABLE' };

/** Written into a watched folder to mark a moment: events after its own come from changes made after it. */
const MARKER = 'marker';
/** Written last into a watched folder: once its event arrives, every earlier change's has. */
const SENTINEL = 'sentinel';

/** The names of the entries of `folder` created, moved or removed, as they are reported. */
function watchFolder(folder: string): string[] & { close(): void } {
  const names: string[] = [];
  const watcher = watch(folder, (_event, name) => names.push(String(name)));
  return Object.assign(names, { close: () => watcher.close() });
}

/** The names reported up to the sentinel's creation, waiting for it (events of one folder arrive in order). */
async function eventsUntilSentinel(folder: string, names: string[]): Promise<string[]> {
  writeFileSync(path.join(folder, SENTINEL), '');
  for (let waited = 0; !names.includes(SENTINEL); waited += 1) {
    if (waited === 600) throw new Error("the folder's change events never arrived");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return names.slice(0, names.indexOf(SENTINEL));
}

describe('the data folder lock', () => {
  it('names its holder’s process, its start and boot, and keeps its token out of sight', async () => {
    const holder = await openEmbeddedDatabase(dataDir);
    try {
      const [pidLine, json] = readFileSync(lockPath, 'utf8').split('\n');
      const record = JSON.parse(json) as { token: string; started: string; bootId: string };
      expect(pidLine).toBe(String(process.pid));
      expect(record).toMatchObject({ started: await processStartTime(process.pid), bootId: await currentBootId() });
      expect(statSync(lockPath).mode & 0o777).toBe(0o600);
      expect(inspect(holder, { depth: 20, showHidden: true })).not.toContain(record.token);
    } finally {
      await holder.close();
    }
  });

  it('is removed on close only while it is still its holder’s own, never once another process took it over', async () => {
    const holder = await openEmbeddedDatabase(dataDir);
    // Another process took the lock over (as it would from a holder judged gone): closing must leave it.
    const successor = lockRecord(process.pid + 1, {});
    replaceLock(successor);
    await holder.close();
    expect(readFileSync(lockPath, 'utf8')).toBe(successor);
  });

  it('never takes over a lock that cannot be read while it may still be being written; later, it does', async () => {
    writeFileSync(lockPath, '');
    await expect(openEmbeddedDatabase(dataDir, { waitMs: 1_000 })).rejects.toMatchObject(DatabaseUnavailable);
    expect(readFileSync(lockPath, 'utf8')).toBe('');

    const aMinuteAgo = new Date(Date.now() - 60_000);
    utimesSync(lockPath, aMinuteAgo, aMinuteAgo);
    const holder = await openEmbeddedDatabase(dataDir, { waitMs: 1_000 });
    expect(holder.role).toBe('holder');
    expect(readFileSync(lockPath, 'utf8').split('\n')[0]).toBe(String(process.pid));
    await holder.close();
  });

  it('takes over a lock whose PID now names another live process (PID 1, this one), or was written before a reboot', async () => {
    const bootId = await currentBootId();
    const ownStart = await processStartTime(process.pid);
    const reusedPids = [
      lockRecord(1, { started: 'another start time', bootId }),
      lockRecord(process.pid, { started: 'another start time', bootId }),
      lockRecord(process.pid, { started: ownStart, bootId: 'a boot before this one' }),
    ];
    for (const stale of reusedPids) {
      writeFileSync(lockPath, stale);
      const holder = await openEmbeddedDatabase(dataDir, { waitMs: 5_000 });
      expect(holder.role).toBe('holder');
      expect(readFileSync(lockPath, 'utf8')).not.toBe(stale);
      await holder.close();
    }
  });

  it('waits for a live holder that does not answer yet, then fails with DATABASE_UNAVAILABLE naming it, not its token', async () => {
    const token = randomBytes(32).toString('hex');
    const starting = lockRecord(process.pid, {
      started: await processStartTime(process.pid),
      bootId: await currentBootId(),
      token,
    });
    writeFileSync(lockPath, starting);
    const error = await openEmbeddedDatabase(dataDir, { waitMs: 800 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject(DatabaseUnavailable);
    expect(String(error)).toContain(`process ${process.pid}`);
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(token);
    expect(readFileSync(lockPath, 'utf8')).toBe(starting);
  });

  it('is taken over from a holder killed with SIGKILL, whose writes are all there', async () => {
    const holder = startWorker('hold', dataDir);
    await holder.waitFor('ready');
    expect(statSync(path.join(dataDir, '.s.PGSQL.5432')).isSocket()).toBe(true);
    await holder.kill('SIGKILL');

    const store = await createSecretStore({ dataDir, env: {}, logger: {} });
    try {
      expect(await store.getSecret(z.object({ pid: z.number() }), 'held.by')).toEqual({ pid: holder.pid });
      expect(readFileSync(lockPath, 'utf8').split('\n')[0]).toBe(String(process.pid));
    } finally {
      await store.close();
    }
  });

  it('never moves away, even for a moment, a lock published after a contender judged the one before it stale', async () => {
    const bootId = await currentBootId();
    writeFileSync(lockPath, lockRecord(2 ** 22 + 1, { started: '1', bootId }));
    const successor = lockRecord(process.pid, { started: await processStartTime(process.pid), bootId });
    const events = watchFolder(dataDir);
    try {
      const access = await acquireDataFolderLock(dataDir, {
        socketPath: path.join(dataDir, 'contender.sock'),
        waitMs: 10_000,
        reachHolder: async (holder) => {
          if (holder.pid === process.pid) return holder.socketPath;
          // The contender read the gone holder's lock and is judging it: meanwhile a new holder takes over.
          replaceLock(successor);
          writeFileSync(path.join(dataDir, MARKER), '');
          return undefined;
        },
      });
      expect(access).toEqual({ kind: 'reached', connection: path.join(dataDir, '.s.PGSQL.5432') });
      expect(readFileSync(lockPath, 'utf8')).toBe(successor);
      // What the contender did once the successor was in place: it created and removed files of its own only.
      const seen = await eventsUntilSentinel(dataDir, events);
      expect(seen).toContain(MARKER);
      expect(seen.slice(seen.indexOf(MARKER) + 1)).not.toContain(LOCK_FILE);
      expect(readdirSync(dataDir).sort()).toEqual([LOCK_FILE, MARKER, SENTINEL]);
    } finally {
      events.close();
    }
  });

  it('is taken over by exactly one of many contenders that find it stale at once, the others reaching that one', async () => {
    const contenders = 16;
    const bootId = await currentBootId();
    // Bounded: each round is a fresh stale lock and a fresh race; one round with two holders fails the test.
    for (let round = 0; round < 20; round += 1) {
      writeFileSync(lockPath, lockRecord(2 ** 22 + 1, { started: '1', bootId }));
      const accesses = await Promise.all(
        Array.from({ length: contenders }, (_, index) =>
          acquireDataFolderLock(dataDir, {
            socketPath: path.join(dataDir, `contender-${index}.sock`),
            waitMs: 30_000,
            // A contender that holds the lock answers at once; the gone process's socket never does.
            reachHolder: async (holder) => (holder.pid === process.pid ? holder.socketPath : undefined),
          }),
        ),
      );
      const holders = accesses.filter((access) => access.kind === 'holder');
      expect(holders).toHaveLength(1);
      const { socketPath } = (holders[0] as { lock: DataFolderLock }).lock;
      expect(accesses.filter((access) => access.kind === 'reached')).toEqual(
        Array(contenders - 1).fill({ kind: 'reached', connection: socketPath }),
      );
      expect(readdirSync(dataDir)).toEqual([LOCK_FILE]);
      await (holders[0] as { lock: DataFolderLock }).lock.release();
    }
  });

  it('waits while a live process is taking a stale lock over, and clears what one that died doing so left', async () => {
    const bootId = await currentBootId();
    const stale = lockRecord(2 ** 22 + 1, { started: '1', bootId });
    writeFileSync(lockPath, stale);
    // A taker-over's claim is named after the content it judged stale.
    const claimPath = `${lockPath}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 32)}`;
    const contend = (waitMs: number) =>
      acquireDataFolderLock(dataDir, {
        socketPath: path.join(dataDir, 'contender.sock'),
        waitMs,
        reachHolder: async () => undefined,
      });

    const live = { pid: process.pid, started: await processStartTime(process.pid), bootId, nonce: 'live' };
    writeFileSync(claimPath, JSON.stringify(live));
    const error = await contend(500).catch((caught: unknown) => caught);
    expect(error).toMatchObject(DatabaseUnavailable);
    expect(String(error)).toContain(`another process is taking over its stale lock ${lockPath}`);
    expect(readFileSync(lockPath, 'utf8')).toBe(stale);

    writeFileSync(claimPath, JSON.stringify({ ...live, pid: 2 ** 22 + 1, started: '1', nonce: 'dead' }));
    const access = await contend(10_000);
    expect(access.kind).toBe('holder');
    expect(readdirSync(dataDir)).toEqual([LOCK_FILE]);
    if (access.kind === 'holder') await access.lock.release();
  });

  it('loses no write of processes that open one folder at the same moment, over a stale lock, and write at once', async () => {
    const writers = 3;
    const perWriter = 100;
    // Made and migrated first, so that the writers wait for a holder opening PGlite, not for one creating the
    // database (which, on a loaded machine, can outlast their wait).
    const creator = startWorker('hold', dataDir);
    await creator.waitFor('ready');
    expect(await creator.end()).toBe(0);
    // Left by a process that is gone (no PID exceeds 2^22 on Linux): every writer finds it stale at once, and
    // only one may take it over.
    writeFileSync(lockPath, lockRecord(2 ** 22 + 1, { started: '1', bootId: await currentBootId() }));
    const workers = Array.from({ length: writers }, () => startWorker('write', dataDir, perWriter));
    await Promise.all(workers.map((worker) => worker.waitFor('waiting')));
    for (const worker of workers) worker.send('go');

    // All write while all have the folder open; then all close.
    const reports = await Promise.all(workers.map((worker) => worker.waitFor('written')));
    expect(reports.map((report) => report.keys)).toEqual(Array(writers).fill(perWriter));
    expect(await Promise.all(workers.map((worker) => worker.end()))).toEqual(Array(writers).fill(0));
    // The holder gave the folder up, and no contender left a claim or a temporary file behind.
    expect(readdirSync(dataDir).filter((name) => name.startsWith(LOCK_FILE))).toEqual([]);

    const store = await createSecretStore({ dataDir, env: {}, logger: {} });
    try {
      const { secrets } = await store.listSecrets({ prefix: 'w', limit: 10_000 });
      const keys = secrets.map((secret) => secret.key);
      expect(keys).toHaveLength(writers * perWriter);
      for (const worker of workers)
        expect(keys.filter((key) => key.startsWith(`w${worker.pid}.`))).toHaveLength(perWriter);
    } finally {
      await store.close();
    }
  });
});
