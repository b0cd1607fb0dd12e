import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

import { z } from 'zod';

import { SecretStoreError, type SecretStore } from '../../../src';
import { codeOf } from '../../support/errors';
import { sleep, withinDeadline } from './watchdog';

/** What a store may answer while its connections die or its server restarts; anything else is a bug. */
export const ALLOWED_FAILURE_CODES: readonly string[] = [
  'DATABASE_UNAVAILABLE',
  'WRITE_OUTCOME_UNKNOWN',
  'CONNECTION_ACQUIRE_TIMEOUT',
];

export const LoadValue = z.object({ worker: z.number(), i: z.number(), nonce: z.string() });
export type LoadValue = z.infer<typeof LoadValue>;

/** Keys of a write load start with this, unless told otherwise; nothing else in a test file's database does. */
const LOAD_PREFIX = 'w';

export interface WriteOutcome {
  key: string;
  value: LoadValue;
  startedAt: number;
  settledAt: number;
}

export interface AcknowledgedWrite extends WriteOutcome {
  version: number;
}

export interface FailedCall {
  key: string;
  /** The value the call sent or expected; its nonce must never appear in the error. */
  value: LoadValue;
  error: unknown;
}

export type FailedWrite = WriteOutcome & FailedCall;

export interface WriteProgress {
  attempted: number;
  acknowledged: number;
  failed: number;
}

export interface WriteLoadOptions {
  workers: number;
  /** Asked before every write; false ends that worker. */
  keepGoing(progress: Readonly<WriteProgress>): boolean;
  /** A worker's pause after a failed write, as an application backs off before trying again. */
  pauseAfterFailureMs: number;
  /** Where this load's keys start, to keep two loads in one database apart. Default `w`. */
  prefix?: string;
}

export interface WriteLoadResult {
  prefix: string;
  /** Writes issued: each one is acknowledged or failed. */
  attempted: number;
  acknowledged: AcknowledgedWrite[];
  failed: FailedWrite[];
}

export interface WriteLoad {
  /** Live counts, for a test that acts when the load reaches a point. */
  progress: Readonly<WriteProgress>;
  finished: Promise<WriteLoadResult>;
}

/** Workers write distinct keys `{prefix}{worker}.{i}`, each once, recording every acknowledgement and failure. */
export function startWriteLoad(store: SecretStore, options: WriteLoadOptions): WriteLoad {
  const progress: WriteProgress = { attempted: 0, acknowledged: 0, failed: 0 };
  const result: WriteLoadResult = { prefix: options.prefix ?? LOAD_PREFIX, attempted: 0, acknowledged: [], failed: [] };
  const workers = Array.from({ length: options.workers }, async (_, worker) => {
    for (let i = 0; options.keepGoing(progress); i++) {
      progress.attempted++;
      const key = `${result.prefix}${worker}.${i}`;
      const value: LoadValue = { worker, i, nonce: randomBytes(8).toString('hex') };
      const startedAt = Date.now();
      try {
        const { version } = await withinDeadline(`setSecret(${key})`, store.setSecret(key, value));
        result.acknowledged.push({ key, value, startedAt, settledAt: Date.now(), version });
        progress.acknowledged++;
      } catch (error) {
        result.failed.push({ key, value, startedAt, settledAt: Date.now(), error });
        progress.failed++;
        await sleep(options.pauseAfterFailureMs);
      }
    }
  });
  const finished = Promise.all(workers).then(() => {
    result.attempted = progress.attempted;
    return result;
  });
  return { progress, finished };
}

export interface ReadLoadResult {
  attempted: number;
  succeeded: number;
  /** Keys of reads that resolved with anything but the acknowledged value. */
  wrong: string[];
  failed: FailedCall[];
}

/**
 * getSecret calls over the acknowledged writes, round robin, from `workers` concurrent workers, while
 * `keepGoing(attempted)` holds; it is asked before every read.
 */
export async function runReadLoad(
  store: SecretStore,
  writes: readonly AcknowledgedWrite[],
  workers: number,
  keepGoing: (attempted: number) => boolean,
): Promise<ReadLoadResult> {
  if (writes.length === 0) throw new Error('the read load needs acknowledged writes to read');
  const result: ReadLoadResult = { attempted: 0, succeeded: 0, wrong: [], failed: [] };
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (keepGoing(result.attempted)) {
        const { key, value } = writes[result.attempted++ % writes.length];
        try {
          const read = await withinDeadline(`getSecret(${key})`, store.getSecret(LoadValue, key));
          if (isDeepStrictEqual(read, value)) result.succeeded++;
          else result.wrong.push(key);
        } catch (error) {
          result.failed.push({ key, value, error });
        }
      }
    }),
  );
  return result;
}

export interface WriteAudit {
  /** Acknowledged writes whose key now reads back missing, with another value, or at another version. */
  acknowledgedNotAsWritten: string[];
  /** Failed writes whose key holds a value that write did not send. */
  failedWithForeignValue: string[];
  failedButStored: number;
  failedAndAbsent: number;
}

/** Reads every key of the load back through `store` and compares it with what each write sent. */
async function auditWrites(store: SecretStore, load: WriteLoadResult): Promise<WriteAudit> {
  const stored = await withinDeadline('getSecrets(load)', store.getSecrets(LoadValue, load.prefix));
  const metadata = await withinDeadline('listSecrets(load)', store.listSecrets(load.prefix));
  const values = new Map(stored.map((entry) => [entry.key, entry.value]));
  const versions = new Map(metadata.map((entry) => [entry.key, entry.version]));

  const audit: WriteAudit = {
    acknowledgedNotAsWritten: [],
    failedWithForeignValue: [],
    failedButStored: 0,
    failedAndAbsent: 0,
  };
  for (const { key, value, version } of load.acknowledged) {
    if (!isDeepStrictEqual(values.get(key), value) || versions.get(key) !== version) {
      audit.acknowledgedNotAsWritten.push(key);
    }
  }
  for (const { key, value } of load.failed) {
    const found = values.get(key);
    if (found === undefined) audit.failedAndAbsent++;
    else if (isDeepStrictEqual(found, value)) audit.failedButStored++;
    else audit.failedWithForeignValue.push(key);
  }
  return audit;
}

/** "CODE count, …" in descending count, for a summary line. */
export function countByCode(failures: readonly FailedCall[]): string {
  const counts = new Map<string, number>();
  for (const { error } of failures) counts.set(codeOf(error), (counts.get(codeOf(error)) ?? 0) + 1);
  if (counts.size === 0) return 'none';
  return [...counts]
    .sort(([, a], [, b]) => b - a)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
}

/**
 * Each distinct failure that is not one of this package's errors with an allowed code, as
 * "Name (code): message"; the call's own value is masked in case the message repeats it.
 */
export function unexpectedFailures(failures: readonly FailedCall[]): string[] {
  const described = new Set<string>();
  for (const { error, value } of failures) {
    if (error instanceof SecretStoreError && ALLOWED_FAILURE_CODES.includes(error.code)) continue;
    const name = error instanceof Error ? error.name : typeof error;
    const message = (error instanceof Error ? error.message : String(error)).replaceAll(value.nonce, '<value>');
    described.add(`${name} (${codeOf(error)}): ${message}`);
  }
  return [...described];
}

/** Keys of failures whose error message or stack repeats the value the call sent. */
export function failuresQuotingTheirValue(failures: readonly FailedCall[]): string[] {
  return failures
    .filter(({ error, value }) => error instanceof Error && `${error.message}\n${error.stack}`.includes(value.nonce))
    .map(({ key }) => key);
}

/** `count` writes then `count` reads under `prefix`, every one of which must succeed and read back right. */
export async function exerciseStore(store: SecretStore, prefix: string, count: number): Promise<void> {
  const written = new Map<string, LoadValue>();
  for (let i = 0; i < count; i++) {
    const key = `${prefix}.${i}`;
    const value: LoadValue = { worker: -1, i, nonce: randomBytes(8).toString('hex') };
    await withinDeadline(`setSecret(${key})`, store.setSecret(key, value));
    written.set(key, value);
  }
  for (const [key, value] of written) {
    const read = await withinDeadline(`getSecret(${key})`, store.getSecret(LoadValue, key));
    if (!isDeepStrictEqual(read, value)) throw new Error(`${key} did not read back as written`);
  }
}

/**
 * What a store must keep under faults: each failure one of this package's errors with an allowed code,
 * naming no value; each acknowledged write stored as acknowledged; each failed write absent or its own value.
 */
export async function expectWritesKept(store: SecretStore, load: WriteLoadResult, label: string): Promise<void> {
  expect(unexpectedFailures(load.failed)).toEqual([]);
  expect(failuresQuotingTheirValue(load.failed)).toEqual([]);
  const audit = await auditWrites(store, load);
  console.log(`[${label}] failed writes afterwards: ${audit.failedButStored} stored, ${audit.failedAndAbsent} absent`);
  expect(audit.acknowledgedNotAsWritten).toEqual([]);
  expect(audit.failedWithForeignValue).toEqual([]);
}
