/**
 * A primary killed under write load and its standby promoted: one store over the cluster's multi-host URL
 * (`target_session_attrs=read-write`) must fail only with typed, expected errors, find the promoted standby by
 * itself, and — with synchronous replication — lose no write it acknowledged. With asynchronous replication
 * the loss is counted and printed, not asserted: that window is what asynchronous replication trades away.
 */
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

import { Pool } from 'pg';

import { createSecretStore, migrate, type KeyringOptions, type RetryOptions, type SecretStore } from '../../src';
import { MAX_KEPT_VERSIONS } from '../../src/secretstore/secret-store-options';
import { codeOf } from '../support/errors';
import { startReplicationCluster, type ReplicationCluster } from '../support/postgres-cluster';
import { testKeyring } from '../support/test-keyring';
import { APPLICATION_POOL } from './support/scratch-store';
import { countByCode, failuresQuotingTheirValue, LoadValue } from './support/secret-load';
import { sleep, waitUntil, withinDeadline } from './support/watchdog';

const WRITERS = 16;
/** Acknowledged writes before the primary is stopped, so that the failover lands mid-run. */
const WRITES_BEFORE_FAILOVER = 400;
/** Acknowledged writes each writer makes, started after the promotion, before it stops. */
const WRITES_AFTER_PROMOTION = 20;
/**
 * Rounds per writer at most, each one write of a key of its own and one of its shared key: the shared key's
 * versions (one a round) all stay kept, so that its whole history can be checked.
 */
const ROUNDS_PER_WRITER = Math.floor(MAX_KEPT_VERSIONS / 2);
/** The load stops issuing writes at this deadline whatever its counts: well inside the test's timeout. */
const LOAD_DEADLINE_MS = 60_000;
/** A writer's pause after a failed write, as an application backs off before trying again. */
const PAUSE_AFTER_FAILURE_MS = 20;
/** What a writer may see while its primary dies and its standby is promoted; anything else is a bug. */
const FAILOVER_FAILURE_CODES: readonly string[] = ['DATABASE_UNAVAILABLE', 'WRITE_OUTCOME_UNKNOWN'];
/** Parallel reads when the promoted node is audited: fewer than the checking store's pool. */
const AUDIT_READERS = 8;
/** initdb, pg_basebackup, the load and the audit, with room to spare. */
const TEST_TIMEOUT_MS = 120_000;

const ownKey = (writer: number, round: number): string => `w${writer}/${round}`;
const sharedKey = (writer: number): string => `w${writer}/shared`;

interface Write {
  key: string;
  value: LoadValue;
  startedAt: number;
  settledAt: number;
}

interface AcknowledgedWrite extends Write {
  version: number;
}

interface FailedWrite extends Write {
  error: unknown;
}

interface FailoverLoad {
  acknowledged: AcknowledgedWrite[];
  failed: FailedWrite[];
  /** When the standby's promotion returned; undefined until then. */
  promotedAt: number | undefined;
  /** Set to end every writer at its next write (the failover itself failed). */
  aborted: boolean;
}

/**
 * WRITERS writers, each writing in rounds: key `w<writer>/<round>` once, then its shared key `w<writer>/shared`
 * again, recording every acknowledgement and failure. A writer stops after WRITES_AFTER_PROMOTION acknowledged
 * writes started after `load.promotedAt`, after ROUNDS_PER_WRITER rounds, or at LOAD_DEADLINE_MS.
 */
function startFailoverLoad(store: SecretStore): { load: FailoverLoad; finished: Promise<void> } {
  const load: FailoverLoad = { acknowledged: [], failed: [], promotedAt: undefined, aborted: false };
  const deadline = Date.now() + LOAD_DEADLINE_MS;
  const writer = async (worker: number): Promise<void> => {
    let acknowledgedAfterPromotion = 0;
    const keepGoing = () =>
      !load.aborted && Date.now() < deadline && acknowledgedAfterPromotion < WRITES_AFTER_PROMOTION;
    for (let round = 0; round < ROUNDS_PER_WRITER && keepGoing(); round++) {
      for (const key of [ownKey(worker, round), sharedKey(worker)]) {
        const value: LoadValue = { worker, i: round, nonce: randomBytes(8).toString('hex') };
        const startedAt = Date.now();
        try {
          const { version } = await withinDeadline(`setSecret(${key})`, store.setSecret(key, value));
          load.acknowledged.push({ key, value, startedAt, settledAt: Date.now(), version });
          if (load.promotedAt !== undefined && startedAt > load.promotedAt) acknowledgedAfterPromotion++;
        } catch (error) {
          load.failed.push({ key, value, startedAt, settledAt: Date.now(), error });
          await sleep(PAUSE_AFTER_FAILURE_MS);
        }
      }
    }
  };
  const finished = Promise.all(Array.from({ length: WRITERS }, (_, worker) => writer(worker))).then(() => undefined);
  return { load, finished };
}

/** What the promoted node holds of the load, judged write by write. */
interface FailoverAudit {
  /** Acknowledged writes whose key, at the acknowledged version, does not read back as the value they sent. */
  lost: AcknowledgedWrite[];
  /** Failed writes whose value the promoted node holds: they landed. */
  failedButStored: FailedWrite[];
  /** "key@version" holding a value no write of that key sent, a value held twice, or values out of write order. */
  foreign: string[];
  /** Keys whose current value and version are not their newest kept version. */
  currentNotNewest: string[];
}

/** Runs `work` over `items` from AUDIT_READERS concurrent readers. */
async function forEachConcurrently<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: AUDIT_READERS }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/**
 * Reads every key of the load through `store` (over the promoted node alone). A key of a writer's own was
 * written by one call: acknowledged, it must hold that value at that version; failed, it holds that value or
 * nothing. A shared key's kept versions (all of them) must each hold a value its writer sent to it, each once, in
 * the order sent, and every acknowledged write must be at the version it was acknowledged with. Any failed write
 * may be among them: WRITE_OUTCOME_UNKNOWN says so outright, and a failure is only known not to have landed when
 * the promoted node does not hold its value.
 */
async function auditPromotedNode(store: SecretStore, load: FailoverLoad): Promise<FailoverAudit> {
  const audit: FailoverAudit = { lost: [], failedButStored: [], foreign: [], currentNotNewest: [] };
  const shared = new Set(Array.from({ length: WRITERS }, (_, writer) => sharedKey(writer)));
  const ownWrites = [...load.acknowledged, ...load.failed].filter(({ key }) => !shared.has(key));
  await forEachConcurrently(ownWrites, async (write) => {
    const stored = await withinDeadline(`getSecret(${write.key})`, store.getSecretWithMetadata(LoadValue, write.key));
    const holdsIt = stored !== undefined && isDeepStrictEqual(stored.value, write.value);
    if ('version' in write) {
      if (!holdsIt || stored.version !== write.version) audit.lost.push(write);
    } else if (holdsIt && stored.version === 1) {
      audit.failedButStored.push(write);
    } else if (stored !== undefined) {
      audit.foreign.push(`${write.key}@${stored.version}`);
    }
  });

  await forEachConcurrently([...shared], async (key) => {
    const versions = (await withinDeadline(`listSecretVersions(${key})`, store.listSecretVersions(key)))
      .map(({ version }) => version)
      .sort((a, b) => a - b);
    const held = new Map<number, LoadValue | undefined>();
    for (const version of versions) {
      held.set(version, await withinDeadline(`${key}@${version}`, store.getSecretVersion(LoadValue, key, version)));
    }
    const sent = [...load.acknowledged, ...load.failed].filter((write) => write.key === key);
    // Each value sent once, so a value names its write; versions must follow the order the writer sent them in.
    let lastRound = -1;
    for (const version of versions) {
      const value = held.get(version);
      const write = value === undefined ? undefined : sent.find((each) => isDeepStrictEqual(each.value, value));
      if (write === undefined || write.value.i <= lastRound) {
        audit.foreign.push(`${key}@${version}`);
        continue;
      }
      lastRound = write.value.i;
      if ('error' in write) audit.failedButStored.push(write);
    }
    for (const write of load.acknowledged.filter((candidate) => candidate.key === key)) {
      if (!isDeepStrictEqual(held.get(write.version), write.value)) audit.lost.push(write);
    }
    const current = await withinDeadline(`getSecret(${key})`, store.getSecretWithMetadata(LoadValue, key));
    const newest = versions.at(-1);
    if (newest !== undefined || current !== undefined) {
      if (current?.version !== newest || !isDeepStrictEqual(current?.value, held.get(newest ?? 0))) {
        audit.currentNotNewest.push(key);
      }
    }
  });
  return audit;
}

/** Each distinct failure that is not one of this package's errors with a code of FAILOVER_FAILURE_CODES. */
function unexpectedFailures(failures: readonly FailedWrite[]): string[] {
  const described = new Set<string>();
  for (const { error, value } of failures) {
    if (FAILOVER_FAILURE_CODES.includes(codeOf(error))) continue;
    const message = (error instanceof Error ? error.message : String(error)).replaceAll(value.nonce, '<value>');
    described.add(`${codeOf(error)}: ${message}`);
  }
  return [...described];
}

interface FailoverRun {
  load: FailoverLoad;
  audit: FailoverAudit;
  /** When `pg_ctl stop -m immediate` of the primary was issued, and when it returned. */
  stopStartedAt: number;
  stoppedAt: number;
  promotedAt: number;
}

/**
 * Migrates the cluster's primary, runs the load through one store over the multi-host URL, stops the primary
 * (immediate) once WRITES_BEFORE_FAILOVER writes are acknowledged, promotes the standby, lets the load finish
 * on the same store, and audits the promoted node through a store of its own.
 */
async function failOverUnderLoad(
  cluster: ReplicationCluster,
  encryption: KeyringOptions,
  retry: RetryOptions,
): Promise<FailoverRun> {
  const [standby] = cluster.standbys;
  const admin = new Pool({ connectionString: cluster.primary.url, max: 1 });
  try {
    await migrate(admin);
  } finally {
    await admin.end();
  }
  await cluster.caughtUp();

  const store = await createSecretStore({
    db: cluster.multiHostUrl,
    encryption,
    pool: APPLICATION_POOL,
    maxVersions: MAX_KEPT_VERSIONS,
    retry,
  });
  const times = { stopStartedAt: 0, stoppedAt: 0, promotedAt: 0 };
  const { load, finished } = startFailoverLoad(store);
  try {
    try {
      await waitUntil(
        'writes before the failover',
        () => load.acknowledged.length >= WRITES_BEFORE_FAILOVER || load.failed.length > 0,
        30_000,
      );
      // A failure before the failover is a bug of its own: say which, rather than blame the failover.
      expect(unexpectedFailures(load.failed)).toEqual([]);
      expect(load.failed).toHaveLength(0);
      times.stopStartedAt = Date.now();
      await cluster.primary.stop('immediate');
      times.stoppedAt = Date.now();
      await standby.promote();
      times.promotedAt = Date.now();
      load.promotedAt = times.promotedAt;
    } catch (error) {
      load.aborted = true;
      throw error;
    } finally {
      await finished;
    }
  } finally {
    await store.close();
  }

  const checker = await createSecretStore({ db: standby.url, encryption, retry: { attempts: 1 } });
  try {
    return { load, audit: await auditPromotedNode(checker, load), ...times };
  } finally {
    await checker.close();
  }
}

/** One line for the log: counts, failure codes, the failover's times. */
function describeRun(label: string, { load, audit, stopStartedAt, stoppedAt, promotedAt }: FailoverRun): string {
  const before = load.acknowledged.filter((write) => write.settledAt < stopStartedAt).length;
  const after = load.acknowledged.filter((write) => write.startedAt > promotedAt).length;
  return (
    `[${label}] ${load.acknowledged.length} writes acknowledged (${before} before the stop, ${after} started after ` +
    `the promotion), ${load.failed.length} failed (${countByCode(load.failed)}); failed but stored: ` +
    `${countByCode(audit.failedButStored)}; stop ${stoppedAt - stopStartedAt} ms, ` +
    `promote ${promotedAt - stoppedAt} ms`
  );
}

/** What both modes must show: typed failures naming no value, and the same store writing on the promoted node. */
function expectTypedFailuresAndRecovery({ load, audit, stoppedAt, promotedAt }: FailoverRun): void {
  expect(unexpectedFailures(load.failed)).toEqual([]);
  expect(failuresQuotingTheirValue(load.failed)).toEqual([]);
  // Every writer finished its writes after the promotion, through the store it began with.
  const short = Array.from({ length: WRITERS }, (_, writer) => writer).filter(
    (writer) =>
      load.acknowledged.filter(({ key, startedAt }) => key.startsWith(`w${writer}/`) && startedAt > promotedAt).length <
      WRITES_AFTER_PROMOTION,
  );
  expect(short).toEqual([]);
  // Writes begun once the old primary was down can only have gone to the promoted node: none may be missing.
  expect(audit.lost.filter((write) => write.startedAt > stoppedAt).map(({ key }) => key)).toEqual([]);
  expect(audit.foreign).toEqual([]);
  expect(audit.currentNotNewest).toEqual([]);
}

describe('failover under write load', () => {
  const encryption = testKeyring();
  let cluster: ReplicationCluster | undefined;

  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  }, TEST_TIMEOUT_MS);

  // With the default retries a short failover may pass unseen; with none, every fault reaches the writers.
  test.each([
    { retries: 'the default retries', retry: {} },
    { retries: 'no retries', retry: { attempts: 1 } },
  ])(
    `synchronous replication, $retries: ${WRITERS} writers, the primary stopped (immediate) mid-run and its ` +
      'standby promoted: no acknowledged write lost, the same store goes on',
    async ({ retries, retry }) => {
      cluster = await startReplicationCluster({ synchronous: true });
      const run = await failOverUnderLoad(cluster, encryption, retry);
      console.log(describeRun(`failover, synchronous, ${retries}`, run));

      expectTypedFailuresAndRecovery(run);
      expect(run.audit.lost.map(({ key, version }) => `${key}@${version}`)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    `asynchronous replication: ${WRITERS} writers, the same failover: typed failures, the same store goes on, ` +
      'and the acknowledged writes lost are counted',
    async () => {
      cluster = await startReplicationCluster({ synchronous: false });
      const run = await failOverUnderLoad(cluster, encryption, {});
      console.log(describeRun('failover, asynchronous', run));

      expectTypedFailuresAndRecovery(run);
      process.stdout.write(
        `async replication: ${run.audit.lost.length} of ${run.load.acknowledged.length} acknowledged writes lost\n`,
      );
    },
    TEST_TIMEOUT_MS,
  );
});
