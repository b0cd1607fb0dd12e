import { createHash, randomBytes } from 'node:crypto';
import { link, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

import { DatabaseUnavailableError, SecretStoreConfigError } from '../errors';
import { publishNewFile } from './atomic-file';
import { LOCK_FILE } from './data-dir';
import { currentProcessIdentity, isProcessAlive, mayStillRun, type ProcessIdentity } from './process-identity';
import { codeOf } from '../unknown-value';

const RETRY_MS = 100;
/**
 * A lock is published whole (written, synced, then linked into place), so content that cannot be read was
 * damaged or left by another program: it is taken over once it is this old, never while it is being written.
 */
const UNREADABLE_LOCK_GRACE_MS = 10_000;

/** What a holder publishes: who it is, where it serves the database, and a token only it knows. */
interface LockRecord extends ProcessIdentity {
  token: string;
  socketPath: string;
}

/** A lock as a contender reads it: a record, a bare PID (written by an earlier version), or unreadable. */
type ReadLock = { kind: 'record'; record: LockRecord } | { kind: 'pid'; pid: number } | { kind: 'unreadable' };

/**
 * The first line is the PID alone, as earlier versions wrote it, so that they still see a live holder; the
 * second is the rest of the record as JSON.
 */
function formatLock(record: LockRecord): string {
  const { pid, ...rest } = record;
  return `${pid}\n${JSON.stringify(rest)}\n`;
}

function optionalString(value: unknown): value is string | undefined {
  return value === undefined || typeof value === 'string';
}

function parseLock(content: string): ReadLock {
  const newline = content.indexOf('\n');
  const pidLine = newline === -1 ? content.trim() : content.slice(0, newline);
  if (!/^[1-9]\d{0,9}$/.test(pidLine)) return { kind: 'unreadable' };
  const pid = Number(pidLine);
  const rest = newline === -1 ? '' : content.slice(newline + 1).trim();
  if (rest === '') return { kind: 'pid', pid };
  let parsed: unknown;
  try {
    parsed = JSON.parse(rest);
  } catch {
    return { kind: 'unreadable' };
  }
  if (typeof parsed !== 'object' || parsed === null) return { kind: 'unreadable' };
  const { token, socketPath, started, bootId } = parsed as Record<string, unknown>;
  if (typeof token !== 'string' || !/^[0-9a-f]{64}$/.test(token) || typeof socketPath !== 'string') {
    return { kind: 'unreadable' };
  }
  if (!optionalString(started) || !optionalString(bootId)) return { kind: 'unreadable' };
  return { kind: 'record', record: { pid, token, socketPath, started, bootId } };
}

/** What a holder proves it knows: a hash of its token, so that the token itself never leaves the lock file. */
function proofOf(token: string): string {
  return createHash('sha256').update(`secretstore-holder:${token}`).digest('hex');
}

/** A live holder as a contender finds it: where it serves, and the proof it must give there. */
export class LockHolder {
  readonly #proof: string;

  constructor(
    readonly pid: number,
    readonly socketPath: string,
    proof: string,
  ) {
    this.#proof = proof;
  }

  /** The value the holder's session answers with when it is the process that wrote this lock. */
  get proof(): string {
    return this.#proof;
  }
}

/**
 * Removes a stale lock, unless it changed since it was judged: it is moved aside under a unique name first,
 * and put back when what was moved is not what was judged (a new holder published in between).
 */
async function takeOver(lockPath: string, judged: string): Promise<void> {
  const aside = `${lockPath}.stale-${randomBytes(8).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return;
    throw error;
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== judged) await link(aside, lockPath).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/** The data folder's lock, held by this process. Its token is kept out of inspection and serialisation. */
export class DataFolderLock {
  readonly #content: string;
  readonly #token: string;

  constructor(
    readonly lockPath: string,
    readonly socketPath: string,
    token: string,
    content: string,
  ) {
    this.#token = token;
    this.#content = content;
  }

  /** What this holder's session must answer to contenders, proving it wrote the lock. */
  get proof(): string {
    return proofOf(this.#token);
  }

  /**
   * Removes the lock if it is still this process's own. Another process takes a lock over only once it has
   * judged this one gone, so the lock cannot change between the check and the removal while this one runs.
   */
  async release(): Promise<void> {
    const current = await readFile(this.lockPath, 'utf8').catch(() => undefined);
    if (current === this.#content) await unlink(this.lockPath).catch(() => undefined);
  }
}

export interface AcquireOptions<T> {
  /** Where this process will serve the database if it becomes the holder. */
  socketPath: string;
  /** How long to wait for a holder that is alive but does not answer (starting, closing), in milliseconds. */
  waitMs: number;
  /**
   * Reaches a live holder at its socket, checking its proof: the connection, or undefined when nothing
   * answers there with that proof. Given at most `timeoutMs`.
   */
  reachHolder: (holder: LockHolder, timeoutMs: number) => Promise<T | undefined>;
}

export type DataFolderAccess<T> = { kind: 'holder'; lock: DataFolderLock } | { kind: 'reached'; connection: T };

type Judgement<T> = { kind: 'reached'; connection: T } | { kind: 'stale' } | { kind: 'busy'; why: string };

async function judge<T>(
  lockPath: string,
  content: string,
  options: AcquireOptions<T>,
  remainingMs: number,
): Promise<Judgement<T>> {
  const read = parseLock(content);
  if (read.kind === 'unreadable') {
    const modified = await stat(lockPath).then(
      (stats) => stats.mtimeMs,
      () => 0,
    );
    if (Date.now() - modified >= UNREADABLE_LOCK_GRACE_MS) return { kind: 'stale' };
    return { kind: 'busy', why: `its lock file ${lockPath} cannot be read` };
  }
  if (read.kind === 'pid') {
    if (!isProcessAlive(read.pid)) return { kind: 'stale' };
    return {
      kind: 'busy',
      why: `process ${read.pid} holds it without sharing it (an earlier version); if that process does not use it, remove ${lockPath}`,
    };
  }
  const { record } = read;
  const holder = new LockHolder(record.pid, record.socketPath, proofOf(record.token));
  const connection = await options.reachHolder(holder, Math.max(remainingMs, 1_000));
  if (connection !== undefined) return { kind: 'reached', connection };
  // No answer: a crashed holder cannot fake its way past these checks, a live one that is starting can wait.
  if (!(await mayStillRun(record))) return { kind: 'stale' };
  return { kind: 'busy', why: `process ${record.pid} holds it and does not answer on ${record.socketPath} yet` };
}

/**
 * Takes the data folder's lock, or reaches the live process that holds it. A lock whose holder is gone
 * (exited, killed, its PID reused, the machine rebooted) is taken over; a holder that is alive but does not
 * answer yet is waited for up to `waitMs`, then DATABASE_UNAVAILABLE.
 */
export async function acquireDataFolderLock<T>(
  dataDir: string,
  options: AcquireOptions<T>,
): Promise<DataFolderAccess<T>> {
  const lockPath = path.join(dataDir, LOCK_FILE);
  const token = randomBytes(32).toString('hex');
  const content = formatLock({ ...(await currentProcessIdentity()), token, socketPath: options.socketPath });
  const cannotWrite = () =>
    new SecretStoreConfigError('SECRETSTORE_DATA_DIR', `cannot write the lock file in ${dataDir}`);
  const deadline = Date.now() + options.waitMs;

  for (;;) {
    const published = await publishNewFile(lockPath, content).catch(() => {
      throw cannotWrite();
    });
    if (published) return { kind: 'holder', lock: new DataFolderLock(lockPath, options.socketPath, token, content) };

    const found = await readFile(lockPath, 'utf8').catch((error: unknown) => {
      if (codeOf(error) === 'ENOENT') return undefined;
      throw cannotWrite();
    });
    if (found === undefined) continue;

    const judgement = await judge(lockPath, found, options, deadline - Date.now());
    if (judgement.kind === 'reached') return judgement;
    if (judgement.kind === 'stale') {
      await takeOver(lockPath, found).catch(() => {
        throw cannotWrite();
      });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new DatabaseUnavailableError(
        'Opening the embedded database',
        undefined,
        `${dataDir} is in use: ${judgement.why}`,
        false,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}
