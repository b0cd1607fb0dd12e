import { isObject } from '../unknown-value';
import type { Database, PoolLike, Queryable, QueryResultLike } from './database';
import { toDatabaseError } from './driver-errors';
import { fromPool } from './pool-database';
import type { StatementOptions } from './to-database';

/** Why a read that could have gone to a replica went to the primary. */
export type ReplicaSkipReason = 'down' | 'lagging' | 'behind_own_write';

/** What a replica is, as the last check found it. */
export type ReplicaState = 'up' | 'down' | 'lagging';

/** A replica as `describe()` reports it. */
export interface ReplicaStatus {
  /** host:port/database, never credentials. */
  readonly location: string;
  readonly state: ReplicaState;
  /** How far behind the primary it was at the last check, in milliseconds of the primary's WAL; undefined when down. */
  readonly lagMillis: number | undefined;
}

/** What the store hears of its replicas: each read sent elsewhere, and each change of state. */
interface ReplicaEvents {
  skipped(location: string, reason: ReplicaSkipReason): void;
  stateChanged(location: string, state: ReplicaState, reason: string | undefined): void;
}

export interface ReplicaInput {
  readonly database: Database;
  readonly location: string;
}

export interface ReplicaSettings {
  /** A replica further behind than this (by WAL position, as time of the primary's WAL) gets no reads. */
  readonly maxLagMillis: number;
  /** How often the primary's WAL position and each replica's replay position are read. */
  readonly checkIntervalMillis: number;
  readonly events: ReplicaEvents;
}

/** An LSN as PostgreSQL prints it (`16/B374D848`), as a number that compares. */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(text);
  if (match === null) throw new Error('not a WAL position');
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/**
 * What a check asks a replica: whether it is a standby, how far it has replayed, and whether its WAL receiver
 * streams (a row exists while it runs; its status shows only to roles that may read all statistics).
 */
const REPLICA_CHECK_QUERY =
  'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed, ' +
  "EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status IS NULL OR status = 'streaming') AS receiving";

const maxLsn = (a: bigint, b: bigint): bigint => (a > b ? a : b);

// 40001 on a standby: the statement was cancelled by a conflict with recovery. The primary has no such conflict.
const RETRY_ON_PRIMARY_SQLSTATES = new Set(['40001']);

interface PrimarySample {
  readonly at: number;
  readonly position: bigint;
}

/** Samples kept to tell lag by: enough to cover maxLagMillis and a check or two more. */
const MAX_SAMPLES = 1_000;

class Replica {
  state: ReplicaState = 'down';
  reason: string | undefined = 'not checked yet';
  /** The replay position the last check or probe read. */
  replayed = -1n;
  lagMillis: number | undefined;
  private probing: Promise<void> | undefined;

  constructor(
    readonly database: Database,
    readonly location: string,
  ) {}

  /** Reads the replay position again, one read at a time, without waiting for it. */
  probeReplay(): void {
    this.probing ??= this.database
      .statement('SELECT pg_last_wal_replay_lsn()::text AS replayed', [])
      .then((result) => {
        const replayed = (result.rows[0] as { replayed?: unknown } | undefined)?.replayed;
        if (typeof replayed === 'string') this.replayed = maxLsn(this.replayed, parseLsn(replayed));
      })
      .catch(() => undefined)
      .finally(() => {
        this.probing = undefined;
      });
  }
}

function isUnavailable(error: unknown): boolean {
  const { code } = toDatabaseError(error, 'Reading from a replica');
  return code === 'DATABASE_UNAVAILABLE' || code === 'CONNECTION_ACQUIRE_TIMEOUT';
}

function sqlStateOf(error: unknown): string | undefined {
  const code = isObject(error) ? error.code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A primary and its streaming replicas as one Database. Writes, transactions and connections go to the primary,
 * which reports its WAL position after each commit; `readStatement` goes to a replica that is up, within
 * `maxLagMillis`, and has replayed this store's last write (read-your-writes by WAL position), else to the
 * primary. Lag is the age of the oldest primary position a replica has not replayed: it does not grow while the
 * primary is idle, as replay timestamps do.
 */
export class ReplicatedDatabase implements Database {
  readonly #writer: Database;
  readonly #primaryReads: Database;
  readonly #replicas: Replica[];
  readonly #settings: ReplicaSettings;
  readonly #samples: PrimarySample[] = [];
  /** The WAL position of this store's last commit, which a replica must have replayed to serve its reads. */
  #lastWrite: bigint | undefined;
  /** A write whose position could not be read (or that failed, and may have committed): reads stay on the primary. */
  #positionUnknown = false;
  /** Counts the writes whose position became unknown: a check clears the flag only with a position read after them. */
  #unknownWrites = 0;
  #next = 0;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #closed = false;

  constructor(
    primary: PoolLike,
    replicas: readonly ReplicaInput[],
    options: StatementOptions,
    settings: ReplicaSettings,
  ) {
    this.#writer = fromPool(primary, options, (position) => this.#committed(position));
    this.#primaryReads = fromPool(primary, options);
    this.#replicas = replicas.map(({ database, location }) => new Replica(database, location));
    this.#settings = settings;
  }

  get listen() {
    return this.#writer.listen;
  }

  get transaction(): Database['transaction'] {
    const { transaction } = this.#writer;
    return transaction && ((work) => this.#written(() => transaction(work)));
  }

  query(text: string, values?: unknown[]): Promise<QueryResultLike> {
    return this.#written(() => this.#writer.query(text, values));
  }

  statement(text: string, values: unknown[]): Promise<QueryResultLike> {
    return this.#written(() => this.#writer.statement(text, values));
  }

  withConnection<T>(work: (connection: Queryable) => Promise<T>): Promise<T> {
    return this.#written(() => this.#writer.withConnection(work));
  }

  /** A read that must see the primary: no WAL position is read after it. */
  readOnPrimary(text: string, values: unknown[]): Promise<QueryResultLike> {
    return this.#primaryReads.statement(text, values);
  }

  /** A read that a replica may serve. */
  readStatement(text: string, values: unknown[]): Promise<QueryResultLike> {
    const replica = this.#choose();
    if (replica === undefined) return this.#primaryReads.statement(text, values);
    return replica.database.statement(text, values).catch((error: unknown) => {
      if (isUnavailable(error)) {
        this.#setState(replica, 'down', 'a read could not reach it');
        this.#settings.events.skipped(replica.location, 'down');
      } else if (!RETRY_ON_PRIMARY_SQLSTATES.has(sqlStateOf(error) ?? '')) {
        throw error;
      }
      return this.#primaryReads.statement(text, values);
    });
  }

  /** Every replica as the last check found it. */
  get replicas(): ReplicaStatus[] {
    return this.#replicas.map(({ location, state, lagMillis }) => ({
      location,
      state,
      lagMillis: state === 'down' ? undefined : lagMillis,
    }));
  }

  /** Checks every replica once, then keeps checking them every checkIntervalMillis until close(). */
  async start(): Promise<void> {
    await this.check();
    const tick = () => {
      if (this.#closed) return;
      void this.check().finally(() => {
        if (!this.#closed) this.#timer = setTimeout(tick, this.#settings.checkIntervalMillis).unref();
      });
    };
    this.#timer = setTimeout(tick, this.#settings.checkIntervalMillis).unref();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  /** Reads the primary's WAL position, then each replica's replay position, and sets their states. */
  check(): Promise<void> {
    this.#checking ??= this.#checkAll().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #checkAll(): Promise<void> {
    const unknownBefore = this.#unknownWrites;
    const sampled = await this.#primaryReads
      .statement('SELECT pg_current_wal_lsn()::text AS position', [])
      .then((result) => (result.rows[0] as { position?: unknown } | undefined)?.position)
      .catch(() => undefined);
    if (typeof sampled === 'string') this.#sample(parseLsn(sampled), unknownBefore === this.#unknownWrites);
    await Promise.all(this.#replicas.map((replica) => this.#checkReplica(replica)));
  }

  /** `afterEveryUnknownWrite`: no write's position became unknown while `position` was being read. */
  #sample(position: bigint, afterEveryUnknownWrite: boolean): void {
    const at = performance.now();
    const last = this.#samples.at(-1);
    if (last !== undefined && position < last.position) {
      // The primary's WAL went back: another server is the primary (a failover), on a timeline of its own.
      // Positions of the old one say nothing about it, and this store's last write may be lost.
      this.#samples.length = 0;
      this.#lastWrite = undefined;
      this.#unknown();
      afterEveryUnknownWrite = false;
    }
    if (last === undefined || position > (this.#samples.at(-1)?.position ?? -1n)) this.#samples.push({ at, position });
    // Older samples than the window a lag is compared against tell nothing more.
    const horizon = at - this.#settings.maxLagMillis - 2 * this.#settings.checkIntervalMillis;
    while (this.#samples.length > MAX_SAMPLES || (this.#samples.length > 1 && this.#samples[1].at < horizon)) {
      this.#samples.shift();
    }
    if (this.#positionUnknown && afterEveryUnknownWrite) {
      // A position read after the failed write's answer is at or past its commit, if it committed.
      this.#lastWrite = maxLsn(this.#lastWrite ?? -1n, position);
      this.#positionUnknown = false;
    }
  }

  async #checkReplica(replica: Replica): Promise<void> {
    let row: { standby?: unknown; replayed?: unknown; receiving?: unknown } | undefined;
    try {
      const result = await replica.database.statement(REPLICA_CHECK_QUERY, []);
      row = result.rows[0] as typeof row;
    } catch (error) {
      this.#setState(replica, 'down', error instanceof Error ? toDatabaseError(error, 'Checking').message : undefined);
      return;
    }
    if (row?.standby !== true || typeof row.replayed !== 'string') {
      // A promoted standby is a primary of its own now: what it holds may not be this primary's.
      this.#setState(replica, 'down', 'it is not a standby (promoted?)');
      return;
    }
    if (row.receiving !== true) {
      // Its primary is gone (a failover that left it behind) or unreachable: its WAL positions may be of another
      // timeline, and nothing it holds can be compared with this store's writes.
      this.#setState(replica, 'down', 'it is not receiving WAL from a primary');
      return;
    }
    // What the check reads stands, even below what was known: the address may now lead to another standby.
    replica.replayed = parseLsn(row.replayed);
    replica.lagMillis = this.#lagOf(replica.replayed);
    this.#setState(replica, replica.lagMillis > this.#settings.maxLagMillis ? 'lagging' : 'up', undefined);
  }

  /** How long ago the primary's WAL first went past `replayed`, by the samples taken: 0 when it has not. */
  #lagOf(replayed: bigint): number {
    const first = this.#samples.find((sample) => sample.position > replayed);
    return first === undefined ? 0 : performance.now() - first.at;
  }

  #setState(replica: Replica, state: ReplicaState, reason: string | undefined): void {
    if (replica.state === state) return;
    replica.state = state;
    replica.reason = reason;
    this.#settings.events.stateChanged(replica.location, state, reason);
  }

  /** The next replica, in turn, that may serve a read now; each one passed over is counted. */
  #choose(): Replica | undefined {
    const count = this.#replicas.length;
    for (let tried = 0; tried < count; tried++) {
      const replica = this.#replicas[(this.#next + tried) % count];
      const reason = this.#skipReason(replica);
      if (reason === undefined) {
        this.#next = (this.#next + tried + 1) % count;
        return replica;
      }
      this.#settings.events.skipped(replica.location, reason);
    }
    return undefined;
  }

  #skipReason(replica: Replica): ReplicaSkipReason | undefined {
    if (replica.state === 'down') return 'down';
    if (replica.state === 'lagging') return 'lagging';
    if (this.#positionUnknown) return 'behind_own_write';
    if (this.#lastWrite !== undefined && replica.replayed < this.#lastWrite) {
      replica.probeReplay();
      return 'behind_own_write';
    }
    return undefined;
  }

  #unknown(): void {
    this.#positionUnknown = true;
    this.#unknownWrites++;
  }

  #committed(position: string | undefined): void {
    if (position === undefined) {
      this.#unknown();
      return;
    }
    const lsn = parseLsn(position);
    if (this.#lastWrite === undefined || lsn > this.#lastWrite) this.#lastWrite = lsn;
  }

  /** A write that failed may have committed: reads stay on the primary until a later position is known. */
  #written<T>(write: () => Promise<T>): Promise<T> {
    return write().catch((error: unknown) => {
      // Whatever failed (a lost connection, a lost COMMIT, a client-side timeout) may have committed.
      this.#unknown();
      throw error;
    });
  }
}
