import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

import { codeOf } from '../unknown-value';

/**
 * Which process a PID names, told apart from a later process given the same PID: the PID, when it started,
 * and the boot of the machine it runs on. Recorded by a lock's holder, compared by a contender.
 */
export interface ProcessIdentity {
  pid: number;
  /** The process's start time as the system reports it; undefined where it cannot be read. */
  started: string | undefined;
  /** Changes at every boot of the machine; undefined where it cannot be read. */
  bootId: string | undefined;
}

/** Linux: the start time in clock ticks since boot, field 22 of /proc/<pid>/stat (after the parenthesised name). */
async function linuxStartTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

/** Elsewhere (macOS, the BSDs): the start time `ps` prints, to the second. */
function psStartTime(pid: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'lstart=', '-p', String(pid)], { timeout: 2_000 }, (error, stdout) => {
      const started = stdout.trim();
      resolve(error || started === '' ? undefined : started);
    });
  });
}

/** When the process `pid` started; undefined if it does not exist or the system does not say. */
export function processStartTime(pid: number): Promise<string | undefined> {
  return process.platform === 'linux' ? linuxStartTime(pid) : psStartTime(pid);
}

let bootId: Promise<string | undefined> | undefined;

/** This boot of the machine (Linux); undefined elsewhere. */
export function currentBootId(): Promise<string | undefined> {
  bootId ??= readFile('/proc/sys/kernel/random/boot_id', 'utf8').then(
    (text) => text.trim() || undefined,
    () => undefined,
  );
  return bootId;
}

/** This process's identity, as a lock records it. */
export async function currentProcessIdentity(): Promise<ProcessIdentity> {
  return { pid: process.pid, started: await processStartTime(process.pid), bootId: await currentBootId() };
}

/** Whether a process with this PID exists (of any user): EPERM means it exists but is not ours to signal. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return codeOf(error) === 'EPERM';
  }
}

/**
 * Whether the process recorded as `identity` may still be running: false when it is gone, when the machine
 * has rebooted since, or when its PID now names a process that started at another time (a reused PID).
 * True also when the system cannot tell, so that a live process is never taken for dead.
 */
export async function mayStillRun(identity: ProcessIdentity): Promise<boolean> {
  const boot = await currentBootId();
  if (identity.bootId !== undefined && boot !== undefined && identity.bootId !== boot) return false;
  if (!isProcessAlive(identity.pid)) return false;
  if (identity.started === undefined) return true;
  const started = await processStartTime(identity.pid);
  return started === undefined || started === identity.started;
}
