import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';

import { DatabaseUnavailableError } from '../errors';
import { toDatabase } from './to-database';
import { DATABASE_FOLDER } from './data-dir';
import { acquireDataFolderLock, type DataFolderLock } from './data-folder-lock';
import { connectToHolder, HOLDER_PROOF_SETTING } from './embedded-socket-client';
import { EmbeddedSocketServer } from './embedded-socket-server';
import type { PoolOptions } from './pool';
import type { Database } from './database';
import { SharedPGliteSession } from './shared-pglite-session';

/**
 * The embedded database of a data folder, as this process reached it: as its `holder` (this process opened
 * PGlite and serves it to others on a socket) or as a `client` of the process that holds it.
 */
export interface EmbeddedDatabase {
  readonly role: 'holder' | 'client';
  readonly database: Database;
  /** Where the holder serves the database. */
  readonly socketPath: string;
  /**
   * A holder stops serving (its clients get a moment to finish), closes PGlite and gives the folder up;
   * a client closes its connections.
   */
  close(): Promise<void>;
}

export interface OpenEmbeddedOptions {
  /** How long to wait for a holder that is alive but not serving yet (starting, closing), in milliseconds. */
  waitMs?: number;
  /** Connections of a client to the holder. */
  pool?: PoolOptions;
  /** Runs in a holder before other processes can reach the database: migrations, so that no two run at once. */
  beforeSharing?: (database: Database) => Promise<unknown>;
}

// Opening PGlite and migrating take seconds, and much longer on a busy machine: a starting holder is waited for.
const DEFAULT_WAIT_MS = 120_000;
// node-postgres finds a Unix socket by the name PostgreSQL gives it.
const SOCKET_NAME = '.s.PGSQL.5432';
// A socket's path must fit sun_path: 108 bytes on Linux, 104 on macOS and the BSDs, the final NUL included.
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;
// On Windows a local socket is a named pipe, which node-postgres cannot reach.
const SHARES_OVER_UNIX_SOCKETS = process.platform !== 'win32';

interface SocketPlace {
  path: string;
  /** Removes the private folder made for a socket that did not fit in the data folder. */
  remove(): Promise<void>;
}

/** The socket goes in the data folder, or, when that path is too long, in a private (0700) folder of the OS's. */
async function socketPlace(dataDir: string): Promise<SocketPlace> {
  const inDataDir = path.join(dataDir, SOCKET_NAME);
  if (Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH_BYTES) return { path: inDataDir, remove: async () => {} };
  const folder = await mkdtemp(path.join(tmpdir(), 'secretstore-'));
  return { path: path.join(folder, SOCKET_NAME), remove: () => rm(folder, { recursive: true, force: true }) };
}

/**
 * PGlite fails to open with an Error, or with objects of its file system that are not Errors (emscripten's
 * `ErrnoError { errno }`, which String() shows as "[object Object]"): either becomes DATABASE_UNAVAILABLE.
 */
function cannotOpen(folder: string, error: unknown): DatabaseUnavailableError {
  const why = error instanceof Error ? error.message : inspect(error, { depth: 1, breakLength: Infinity });
  return new DatabaseUnavailableError(
    'Opening the embedded database',
    undefined,
    `PGlite cannot open ${folder}: ${why}`,
    false,
  );
}

/** Opens PGlite under the folder this process now holds and serves it on the socket. */
async function serve(
  dataDir: string,
  lock: DataFolderLock,
  place: SocketPlace,
  options: OpenEmbeddedOptions,
): Promise<EmbeddedDatabase> {
  // Loaded on demand: applications that use a PostgreSQL server, and clients of a holder, never load it.
  const { PGlite } = await import('@electric-sql/pglite');
  const folder = path.join(dataDir, DATABASE_FOLDER);
  const db = await PGlite.create(folder).catch((error: unknown) => {
    throw cannotOpen(folder, error);
  });
  const session = new SharedPGliteSession(db);
  const database = toDatabase(session.ownerView());
  let server: EmbeddedSocketServer | undefined;
  try {
    await db.query(`SELECT set_config('${HOLDER_PROOF_SETTING}', $1, false)`, [lock.proof]);
    await options.beforeSharing?.(database);
    // Where no Unix socket can be made (Windows, some mounted file systems), the folder serves this process only.
    server = SHARES_OVER_UNIX_SOCKETS
      ? await EmbeddedSocketServer.listen(session, place.path).catch(() => undefined)
      : undefined;
  } catch (error) {
    await db.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = async () => {
    try {
      await server?.close();
      // The process's own calls still running finish first.
      const release = await session.take();
      try {
        await db.close();
      } finally {
        release();
      }
    } finally {
      // Only once PGlite is closed may another process open the folder.
      await lock.release();
      await place.remove();
    }
  };
  return {
    role: 'holder',
    database,
    socketPath: place.path,
    close: () => (closing ??= close()),
  };
}

/**
 * Opens the embedded PGlite database persisted under an existing `dataDir` (creating it on first use). PGlite's
 * files take one process at a time, so the first process to open the folder holds it and serves it on a Unix
 * socket; a process that finds the folder held uses that socket. A holder that is starting or closing is waited
 * for up to `waitMs`, then DATABASE_UNAVAILABLE.
 */
export async function openEmbeddedDatabase(
  dataDir: string,
  options: OpenEmbeddedOptions = {},
): Promise<EmbeddedDatabase> {
  const place = await socketPlace(dataDir);
  try {
    const access = await acquireDataFolderLock(dataDir, {
      socketPath: place.path,
      waitMs: options.waitMs ?? DEFAULT_WAIT_MS,
      reachHolder: async (holder, timeoutMs) => {
        const pool = await connectToHolder(holder, timeoutMs, options.pool);
        return pool && { pool, socketPath: holder.socketPath };
      },
    });
    if (access.kind === 'reached') {
      await place.remove();
      const { pool, socketPath } = access.connection;
      let closing: Promise<void> | undefined;
      return {
        role: 'client',
        // One session serves every connection, so no connection can keep statements prepared under a name.
        database: toDatabase(pool, { preparedStatements: false }),
        socketPath,
        close: () => (closing ??= pool.end()),
      };
    }
    try {
      return await serve(dataDir, access.lock, place, options);
    } catch (error) {
      await access.lock.release();
      throw error;
    }
  } catch (error) {
    await place.remove();
    throw error;
  }
}
