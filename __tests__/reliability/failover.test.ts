/**
 * A primary's host killed under write load and its standby promoted: one store over a multi-host URL
 * (`target_session_attrs=read-write`) must fail only with typed, expected errors, find the promoted standby by
 * itself, and — with synchronous replication — lose no write it acknowledged. The standby streams over a link
 * that takes LINK_LATENCY_MS from the primary to it, as between two hosts, and the host's death severs that
 * link (dropping what is on it) before the primary is stopped. With asynchronous replication the loss is
 * counted and printed, not asserted: that window is what asynchronous replication trades away.
 */
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

import { Pool } from 'pg';

import { createSecretStore, migrate, type KeyringOptions, type RetryOptions, type SecretStore } from '../../src';
import { MAX_KEPT_VERSIONS } from '../../src/secretstore/secret-store-options';
import { codeOf } from '../support/errors';
import { eventually } from '../support/eventually';
import { startReplicationCluster, type PostgresNode, type ReplicationCluster } from '../support/postgres-cluster';
import { testKeyring } from '../support/test-keyring';
import { ReplicationLink } from './support/replication-link';
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
/**
 * One-way delay of the network from the primary's host to the standby's (the standby's replies go back at once):
 * asynchronous replication loses what the primary acknowledged and the link still held when the host died, and
 * a synchronous commit waits this long for the standby. Loopback alone keeps the standby microseconds behind.
 */
const LINK_LATENCY_MS = 20;
/** How long the standby's WAL receiver may take to restart and stream through the link. */
const REROUTE_TIMEOUT_MS = 30_000;
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
  /** When the primary's host died (its links severed, then `pg_ctl stop -m immediate`), and when the stop returned. */
  stopStartedAt: number;
  stoppedAt: number;
  promotedAt: number;
  /** Bytes of WAL on the link to the standby that the severing dropped. */
  walDroppedBytes: number;
}

/**
 * Points the standby's WAL receiver at `link` (PostgreSQL 13+ restarts it when primary_conninfo changes on reload)
 * and waits until the primary sees it streaming from one of the link's ports, as `syncState`, and nowhere else.
 */
async function streamThrough(
  link: ReplicationLink,
  primary: PostgresNode,
  standby: PostgresNode,
  syncState: 'sync' | 'async',
): Promise<void> {
  const [{ primary_conninfo: conninfo }] = await standby.query<{ primary_conninfo: string }>('SHOW primary_conninfo');
  if (!/\bhost=\S+/.test(conninfo) || !/\bport=\d+/.test(conninfo)) {
    throw new Error(`${standby.name}'s primary_conninfo names no host and port: ${conninfo}`);
  }
  const linked = conninfo.replace(/\bhost=\S+/, 'host=127.0.0.1').replace(/\bport=\d+/, `port=${link.port}`);
  await standby.query(`ALTER SYSTEM SET primary_conninfo = '${linked.replaceAll("'", "''")}'`);
  await standby.query('SELECT pg_reload_conf()');
  await eventually(
    `${standby.name} streaming through the link on port ${link.port}`,
    async () => {
      const rows = await primary.query<{ client_port: number; state: string; sync_state: string }>(
        'SELECT client_port, state, sync_state FROM pg_stat_replication WHERE application_name = $1',
        [standby.name],
      );
      const [row] = rows;
      const through = rows.length === 1 && link.primarySidePorts.includes(row.client_port);
      return through && row.state === 'streaming' && row.sync_state === syncState ? true : undefined;
    },
    REROUTE_TIMEOUT_MS,
  );
}

/**
 * The primary's host's network, opened for the cluster's one standby: the standby streams through `replication`
 * (LINK_LATENCY_MS from the primary to it), and the store reaches the primary through `application` (no delay:
 * the application sits next to the primary). The host's death severs both at once, so that no acknowledgement
 * leaves the host after its WAL stopped leaving it, however long `pg_ctl stop` then takes to start.
 */
async function failOverUnderLoad(
  cluster: ReplicationCluster,
  encryption: KeyringOptions,
  retry: RetryOptions,
  synchronous: boolean,
): Promise<FailoverRun> {
  const target = { host: '127.0.0.1', port: cluster.primary.port };
  const links: ReplicationLink[] = [];
  try {
    const replication = await ReplicationLink.open({ target, latencyMillis: LINK_LATENCY_MS });
    links.push(replication);
    const application = await ReplicationLink.open({ target, latencyMillis: 0 });
    links.push(application);
    await streamThrough(replication, cluster.primary, cluster.standbys[0], synchronous ? 'sync' : 'async');
    return await failOverThrough(cluster, { replication, application }, encryption, retry);
  } finally {
    await Promise.all(links.map((link) => link.close()));
  }
}

/**
 * Migrates the cluster's primary, runs the load through one store over the application's link and the standby,
 * and once WRITES_BEFORE_FAILOVER writes are acknowledged kills the primary's host: both links severed, then
 * the primary stopped (immediate). Then promotes the standby, lets the load finish on the same store, and
 * audits the promoted node through a store of its own.
 */
async function failOverThrough(
  cluster: ReplicationCluster,
  links: { replication: ReplicationLink; application: ReplicationLink },
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

  const hosts = `127.0.0.1:${links.application.port},127.0.0.1:${standby.port}`;
  const store = await createSecretStore({
    db: `postgres://postgres@${hosts}/postgres?target_session_attrs=read-write`,
    encryption,
    pool: APPLICATION_POOL,
    maxVersions: MAX_KEPT_VERSIONS,
    retry,
  });
  const times = { stopStartedAt: 0, stoppedAt: 0, promotedAt: 0, walDroppedBytes: 0 };
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
      // A host dying takes its network with it: what is still on the wire to the standby never arrives.
      times.walDroppedBytes = links.replication.sever();
      links.application.sever();
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
function describeRun(label: string, run: FailoverRun): string {
  const { load, audit, stopStartedAt, stoppedAt, promotedAt } = run;
  const before = load.acknowledged.filter((write) => write.settledAt < stopStartedAt).length;
  const after = load.acknowledged.filter((write) => write.startedAt > promotedAt).length;
  return (
    `[${label}] ${load.acknowledged.length} writes acknowledged (${before} before the host died, ${after} started ` +
    `after the promotion), ${load.failed.length} failed (${countByCode(load.failed)}); failed but stored: ` +
    `${countByCode(audit.failedButStored)}; stop ${stoppedAt - stopStartedAt} ms, promote ${promotedAt - stoppedAt} ms`
  );
}

/**
 * The line the README's figures come from: acknowledged writes lost, and where they stand among the writes the
 * old primary acknowledged (those settled before its stop returned, in the order the store took them in). A
 * write's times are when this process saw it, late by however long a loaded machine held it; the order holds.
 */
function describeLoss(mode: string, { load, audit, stoppedAt, walDroppedBytes }: FailoverRun): string {
  const line =
    `${mode} replication, ${LINK_LATENCY_MS} ms link: ${audit.lost.length} of ${load.acknowledged.length} ` +
    'acknowledged writes lost';
  const byOldPrimary = load.acknowledged.filter(({ settledAt }) => settledAt < stoppedAt);
  const positions = audit.lost.map((write) => byOldPrimary.indexOf(write));
  if (positions.length === 0 || positions.includes(-1)) return `${line}; ${walDroppedBytes} bytes of WAL dropped`;
  const fromTheEnd = byOldPrimary.length - Math.min(...positions);
  const among = fromTheEnd === positions.length ? 'the last' : `${positions.length} among the last`;
  return (
    `${line}: ${among} ${fromTheEnd} of ${byOldPrimary.length} the old primary acknowledged; ` +
    `${walDroppedBytes} bytes of WAL dropped`
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
    `synchronous replication over a ${LINK_LATENCY_MS} ms link, $retries: ${WRITERS} writers, the primary's ` +
      'host killed mid-run (link severed, primary stopped immediate) and its standby promoted: no acknowledged ' +
      'write lost, the same store goes on',
    async ({ retries, retry }) => {
      cluster = await startReplicationCluster({ synchronous: true });
      const run = await failOverUnderLoad(cluster, encryption, retry, true);
      console.log(describeRun(`failover, synchronous, ${retries}`, run));
      process.stdout.write(`${describeLoss('sync', run)}\n`);

      expectTypedFailuresAndRecovery(run);
      expect(run.audit.lost.map(({ key, version }) => `${key}@${version}`)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    `asynchronous replication over the same link: ${WRITERS} writers, the same failover: typed failures, the ` +
      'same store goes on, and the acknowledged writes lost are counted',
    async () => {
      cluster = await startReplicationCluster({ synchronous: false });
      const run = await failOverUnderLoad(cluster, encryption, {}, false);
      console.log(describeRun('failover, asynchronous', run));
      process.stdout.write(`${describeLoss('async', run)}\n`);

      expectTypedFailuresAndRecovery(run);
      // How many acknowledgements the link's window held is up to the machine's timing: counted, not asserted.
      // But only the old primary's can be lost: every acknowledgement from the promoted node holds.
      const lostAfterTheStop = run.audit.lost.filter(({ settledAt }) => settledAt >= run.stoppedAt);
      expect(lostAfterTheStop.map(({ key, version }) => `${key}@${version}`)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
