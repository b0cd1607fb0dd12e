import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

import type { Pool } from 'pg';
import { z } from 'zod';

import { SecretStoreError, type AuditTrailRecord, type SecretStore } from '../../../src';
import { codeOf } from '../../support/errors';
import {
  auditedVersions,
  auditedWritesNotKept,
  currentWithoutItsVersion,
  keptVersions,
  keysNotNumberedInOrder,
  versionsWithoutTheirWrite,
} from './history-audit';
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
  /** Writes each key gets, one after another from its worker, before the worker moves on to a new key. Default 1. */
  versionsPerKey?: number;
}

export interface WriteLoadResult {
  prefix: string;
  versionsPerKey: number;
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

/**
 * Workers write keys `{prefix}{worker}.{n}` of their own, each `versionsPerKey` times in a row (its write `i`
 * goes to key `n = floor(i / versionsPerKey)`), recording every acknowledgement and failure.
 */
export function startWriteLoad(store: SecretStore, options: WriteLoadOptions): WriteLoad {
  const progress: WriteProgress = { attempted: 0, acknowledged: 0, failed: 0 };
  const result: WriteLoadResult = {
    prefix: options.prefix ?? LOAD_PREFIX,
    versionsPerKey: options.versionsPerKey ?? 1,
    attempted: 0,
    acknowledged: [],
    failed: [],
  };
  const workers = Array.from({ length: options.workers }, async (_, worker) => {
    for (let i = 0; options.keepGoing(progress); i++) {
      progress.attempted++;
      const key = `${result.prefix}${worker}.${Math.floor(i / result.versionsPerKey)}`;
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

/** What a key holds after the load, judged by the last write the load sent it: earlier ones are history's. */
export interface WriteAudit {
  /** Last writes, acknowledged, whose key now reads back missing, with another value, or at another version. */
  acknowledgedNotAsWritten: string[];
  /** Last writes, failed, whose key holds a value neither that write nor an earlier one of its key sent. */
  failedWithForeignValue: string[];
  /** Last writes, failed, whose value the key holds: they landed. */
  failedButStored: number;
  /** Last writes, failed, whose key holds an earlier write's value or nothing: they did not land. */
  failedAndAbsent: number;
}

/** The largest page listSecrets gives. */
const LIST_PAGE = 10_000;

/** The current version of every secret under `prefix`, page after page. */
export async function currentVersions(store: SecretStore, prefix: string): Promise<Map<string, number>> {
  const versions = new Map<string, number>();
  for (let after = ''; ;) {
    const page = await withinDeadline('listSecrets(load)', store.listSecrets({ prefix, after, limit: LIST_PAGE }));
    for (const { key, version } of page.secrets) versions.set(key, version);
    if (page.next === undefined) return versions;
    after = page.next;
  }
}

/** A value as sent to a key, for a set of what the load sent. */
const sentTo = (key: string, { nonce }: LoadValue): string => `${key} ${nonce}`;

/** Every value the load sent, acknowledged or not, as sentTo gives it. */
function sentBy(load: WriteLoadResult): Set<string> {
  return new Set([...load.acknowledged, ...load.failed].map(({ key, value }) => sentTo(key, value)));
}

/** Reads every key of the load back through `store` and compares it with what each write sent. */
async function auditWrites(store: SecretStore, load: WriteLoadResult): Promise<WriteAudit> {
  const stored = await withinDeadline('getSecrets(load)', store.getSecrets(LoadValue, load.prefix));
  const values = new Map(stored.map((entry) => [entry.key, entry.value]));
  const versions = await currentVersions(store, load.prefix);

  // A worker writes a key in order of `i`, so the key's last write is its largest `i`.
  const lastOf = new Map<string, number>();
  for (const { key, value } of [...load.acknowledged, ...load.failed]) {
    lastOf.set(key, Math.max(lastOf.get(key) ?? -1, value.i));
  }
  const isLast = ({ key, value }: WriteOutcome): boolean => lastOf.get(key) === value.i;
  const sent = sentBy(load);

  const audit: WriteAudit = {
    acknowledgedNotAsWritten: [],
    failedWithForeignValue: [],
    failedButStored: 0,
    failedAndAbsent: 0,
  };
  for (const write of load.acknowledged.filter(isLast)) {
    const { key, value, version } = write;
    if (!isDeepStrictEqual(values.get(key), value) || versions.get(key) !== version) {
      audit.acknowledgedNotAsWritten.push(key);
    }
  }
  for (const write of load.failed.filter(isLast)) {
    const { key, value } = write;
    const found = values.get(key);
    if (found === undefined) audit.failedAndAbsent++;
    else if (isDeepStrictEqual(found, value)) audit.failedButStored++;
    else if (sent.has(sentTo(key, found))) audit.failedAndAbsent++;
    else audit.failedWithForeignValue.push(key);
  }
  return audit;
}

/** What the kept versions of a load's keys must show: every acknowledged write, and only writes of the load. */
export interface HistoryAudit {
  /** Acknowledged writes whose version does not read back as the value they sent. */
  acknowledgedNotKept: string[];
  /** Kept versions, as "key@version", holding a value no write of that key sent, or one another version holds too. */
  foreignOrRepeatedVersions: string[];
  /** Kept versions with no audit record of their write. */
  versionsWithoutTheirWrite: string[];
  /** Audited value writes within retention that are not kept. */
  auditedWritesNotKept: string[];
  /** Keys whose current row is not their newest kept version. */
  currentWithoutItsVersion: string[];
  /** Keys whose value writes are not numbered 1, 2, 3… in trail order. */
  keysNotNumberedInOrder: string[];
  keptVersions: number;
}

/** Parallel reads when the history is read back: fewer than the pool's connections. */
const HISTORY_READERS = 8;

/**
 * Reads every kept version of the load's keys back through `store` and checks the tables through `pool`.
 * Expects the load to keep every version: `versionsPerKey` no more than `maxVersions`.
 */
export async function auditHistory(
  store: SecretStore,
  pool: Pool,
  load: WriteLoadResult,
  maxVersions: number,
): Promise<HistoryAudit> {
  if (load.versionsPerKey > maxVersions) throw new Error('every version of the load must be kept to be checked');
  const kept = await keptVersions(pool, load.prefix);
  const read = new Map<string, LoadValue | undefined>();
  let next = 0;
  await Promise.all(
    Array.from({ length: HISTORY_READERS }, async () => {
      while (next < kept.length) {
        const { key, version } = kept[next++];
        read.set(
          `${key}@${version}`,
          await withinDeadline(`getSecretVersion(${key}, ${version})`, store.getSecretVersion(LoadValue, key, version)),
        );
      }
    }),
  );

  const sent = sentBy(load);
  const seen = new Set<string>();
  const foreignOrRepeatedVersions: string[] = [];
  for (const { key, version } of kept) {
    const value = read.get(`${key}@${version}`);
    if (value === undefined || !sent.has(sentTo(key, value)) || seen.has(value.nonce)) {
      foreignOrRepeatedVersions.push(`${key}@${version}`);
    }
    if (value !== undefined) seen.add(value.nonce);
  }
  const acknowledgedNotKept = load.acknowledged
    .filter(({ key, value, version }) => !isDeepStrictEqual(read.get(`${key}@${version}`), value))
    .map(({ key, version }) => `${key}@${version}`);

  return {
    acknowledgedNotKept,
    foreignOrRepeatedVersions,
    versionsWithoutTheirWrite: await versionsWithoutTheirWrite(pool, load.prefix),
    auditedWritesNotKept: await auditedWritesNotKept(pool, load.prefix, maxVersions),
    currentWithoutItsVersion: await currentWithoutItsVersion(pool, load.prefix),
    keysNotNumberedInOrder: keysNotNumberedInOrder(await auditedVersions(pool, load.prefix)),
    keptVersions: kept.length,
  };
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

/**
 * What history must keep under faults: each acknowledged write as its version, no version without its write
 * (in the trail, with the value the write sent, never twice), the current row as the newest version, and the
 * trail numbering each key's writes 1, 2, 3….
 */
export async function expectHistoryKept(
  store: SecretStore,
  pool: Pool,
  load: WriteLoadResult,
  maxVersions: number,
  label: string,
): Promise<void> {
  const { keptVersions: kept, ...history } = await auditHistory(store, pool, load, maxVersions);
  console.log(`[${label}] ${kept} versions kept of ${load.attempted} writes attempted`);
  expect(history).toEqual({
    acknowledgedNotKept: [],
    foreignOrRepeatedVersions: [],
    versionsWithoutTheirWrite: [],
    auditedWritesNotKept: [],
    currentWithoutItsVersion: [],
    keysNotNumberedInOrder: [],
  });
  expect(kept).toBeGreaterThanOrEqual(load.acknowledged.length);
}

/** The whole audit trail of `key`, page by page, oldest first. */
export async function auditTrailOf(store: SecretStore, key: string): Promise<AuditTrailRecord[]> {
  const records: AuditTrailRecord[] = [];
  for (let after = 0; ;) {
    const page = await withinDeadline('readAuditTrail', store.readAuditTrail({ key, after, limit: 1_000 }));
    records.push(...page.records);
    if (page.next === undefined) return records;
    after = page.next;
  }
}
