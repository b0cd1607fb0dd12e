import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';

import { DatabaseUnavailableError, SecretStoreConfigError } from '../errors';
import type { PGliteLike } from './queryable';

/** An embedded database this package opened, and so closes. */
export interface EmbeddedDatabase extends PGliteLike {
  close(): Promise<void>;
}

export const DEFAULT_DATA_DIR = '.secretstore';

/** The embedded database's folder: the option, else SECRETSTORE_DATA_DIR, else ./.secretstore. */
export function resolveDataDir(option: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const chosen = option ?? env.SECRETSTORE_DATA_DIR ?? DEFAULT_DATA_DIR;
  if (chosen.trim() === '') throw new SecretStoreConfigError('SECRETSTORE_DATA_DIR', 'is empty');
  return path.resolve(chosen);
}

/** Creates the data folder (owner-only) if it does not exist yet. */
export async function ensureDataDir(dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
  } catch {
    throw new SecretStoreConfigError('SECRETSTORE_DATA_DIR', `cannot create the folder ${dataDir}`);
  }
}

const LOCK_FILE = 'lock';
const LOCK_RETRY_MS = 100;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/** Takes the data folder's lock file, or undefined while a live process holds it. A dead holder's lock is taken over. */
async function tryLock(lockPath: string): Promise<(() => Promise<void>) | undefined> {
  try {
    const handle = await open(lockPath, 'wx', 0o600);
    await handle.writeFile(String(process.pid));
    await handle.close();
    return () => unlink(lockPath).catch(() => undefined);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
  }
  const holder = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
  if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) return undefined;
  // Left by a process that is gone (or half-written): remove it and try once more.
  await unlink(lockPath).catch(() => undefined);
  return undefined;
}

/**
 * PGlite's files take one process at a time: a second one would fail, or worse. Waits up to `waitMs` for
 * another process to close the database, then fails with DATABASE_UNAVAILABLE.
 */
async function lockDataDir(dataDir: string, waitMs: number): Promise<() => Promise<void>> {
  const lockPath = path.join(dataDir, LOCK_FILE);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const release = await tryLock(lockPath).catch(() => {
      throw new SecretStoreConfigError('SECRETSTORE_DATA_DIR', `cannot write the lock file in ${dataDir}`);
    });
    if (release) return release;
    if (Date.now() >= deadline) {
      throw new DatabaseUnavailableError(
        'Opening the embedded database',
        undefined,
        `${dataDir} is in use by another process; the embedded database serves one process at a time`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
  }
}

/**
 * Opens (creating on first use) the embedded PGlite database persisted under an existing `dataDir`, holding
 * the folder's lock until it is closed.
 */
export async function openEmbeddedDatabase(dataDir: string, waitMs = 10_000): Promise<EmbeddedDatabase> {
  const unlock = await lockDataDir(dataDir, waitMs);
  try {
    // Loaded on demand: applications that use a PostgreSQL server never load the WebAssembly build.
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create(path.join(dataDir, 'pgdata'));
    const close = db.close.bind(db);
    return Object.assign(db, {
      close: async () => {
        try {
          await close();
        } finally {
          await unlock();
        }
      },
    });
  } catch (error) {
    await unlock();
    throw error;
  }
}
