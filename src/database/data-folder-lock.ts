import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat, unlink } from 'node:fs/promises';
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

/** Who is removing a stale file: it alone may, while it runs. The nonce makes each claim's content unique. */
interface Claim extends ProcessIdentity {
  nonce: string;
}

/** How many claims left by contenders that died while removing a stale file are cleared in one attempt. */
const MAX_CLAIM_DEPTH = 3;

function claimPathOf(file: string, judged: string): string {
  return `${file}.takeover-${createHash('sha256').update(judged).digest('hex').slice(0, 32)}`;
}

/** Whether an unreadable `file` was written long enough ago to be taken for damaged, not being written. */
async function pastUnreadableGrace(file: string): Promise<boolean> {
  const modified = await stat(file).then(
    (stats) => stats.mtimeMs,
    () => 0,
  );
  return Date.now() - modified >= UNREADABLE_LOCK_GRACE_MS;
}

async function readIfPresent(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch((error: unknown) => {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw error;
  });
}

/** Whether the contender that wrote a claim may still be removing its file; an unreadable claim, until it is old. */
async function claimMayBeLive(claimPath: string, content: string): Promise<boolean> {
  let claim: Partial<Claim> | undefined;
  try {
    claim = JSON.parse(content) as Partial<Claim>;
  } catch {
    claim = undefined;
  }
  const { pid, started, bootId } = claim ?? {};
  if (
    typeof pid === 'number' &&
    Number.isInteger(pid) &&
    pid > 0 &&
    optionalString(started) &&
    optionalString(bootId)
  ) {
    return mayStillRun({ pid, started, bootId });
  }
  return !(await pastUnreadableGrace(claimPath));
}

/**
 * Removes `file` if it still holds `judged` (judged stale), and reports whether it is gone or changed: false
 * while another live contender is removing it. Removing is not conditional on POSIX, so contenders first
 * claim that content (a file named after it, created only if absent) and only the claimant reads and removes.
 * A new holder's lock bears a new token, so the claimant finds what it judged or a lock it must leave; no
 * other contender removes a lock in between. A claim left by a contender that died is removed the same way.
 */
async function removeStale(file: string, judged: string, depth = 0): Promise<boolean> {
  const claimPath = claimPathOf(file, judged);
  const claim: Claim = { ...(await currentProcessIdentity()), nonce: randomBytes(16).toString('hex') };
  if (await publishNewFile(claimPath, JSON.stringify(claim))) {
    try {
      if ((await readIfPresent(file)) === judged) {
        await unlink(file).catch((error: unknown) => {
          if (codeOf(error) !== 'ENOENT') throw error;
        });
      }
    } finally {
      await unlink(claimPath).catch(() => undefined);
    }
    return true;
  }
  const found = await readIfPresent(claimPath);
  // Given up since: the file is gone, or no longer what was judged.
  if (found === undefined) return true;
  if (depth >= MAX_CLAIM_DEPTH || (await claimMayBeLive(claimPath, found))) return false;
  return removeStale(claimPath, found, depth + 1);
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
    if (await pastUnreadableGrace(lockPath)) return { kind: 'stale' };
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

    const found = await readIfPresent(lockPath).catch(() => {
      throw cannotWrite();
    });
    if (found === undefined) continue;

    const judgement = await judge(lockPath, found, options, deadline - Date.now());
    if (judgement.kind === 'reached') return judgement;
    let why: string;
    if (judgement.kind === 'stale') {
      const removed = await removeStale(lockPath, found).catch(() => {
        throw cannotWrite();
      });
      if (removed) continue;
      why = `another process is taking over its stale lock ${lockPath}`;
    } else {
      why = judgement.why;
    }
    if (Date.now() >= deadline) {
      throw new DatabaseUnavailableError(
        'Opening the embedded database',
        undefined,
        `${dataDir} is in use: ${why}`,
        false,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}
