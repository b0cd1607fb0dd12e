/**
 * Real PostgreSQL replication clusters on loopback, for the tests of read replicas and failover: a primary made
 * by initdb, standbys made by pg_basebackup streaming from it through a physical slot each, and PgBouncer in
 * front of any node. Everything lives in one folder under the system's temporary directory, and close() stops
 * every process and removes that folder.
 */
import { execFile } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { Client } from 'pg';

import { pgbouncerVersion } from './pgbouncer';

export interface PostgresNode {
  /** 'primary', 'standby1', 'standby2'… */
  readonly name: string;
  /** A loopback port the OS found free. */
  readonly port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly dataDir: string;
  /** pg_ctl start -w (after stop), on the same port as before. A node already running stays so. */
  start(): Promise<void>;
  /** pg_ctl stop -m <mode> -w; fast unless told. A node already stopped stays so. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** pg_ctl promote -w; resolves once pg_is_in_recovery() is false. */
  promote(): Promise<void>;
  /** Resolves once pg_get_wal_replay_pause_state() is 'paused'. */
  pauseReplay(): Promise<void>;
  /** Resolves once pg_get_wal_replay_pause_state() is 'not paused'. */
  resumeReplay(): Promise<void>;
  /** Runs `sql` on one short-lived connection; the driver's errors pass through unchanged. */
  query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  /** Resolves once pg_last_wal_replay_lsn() >= `lsn`. */
  waitForReplay(lsn: string, timeoutMillis?: number): Promise<void>;
}

export interface ReplicationCluster {
  readonly primary: PostgresNode;
  readonly standbys: readonly PostgresNode[];
  /** postgres://postgres@127.0.0.1:<p1>,127.0.0.1:<p2>/postgres?target_session_attrs=read-write over primary then standbys */
  readonly multiHostUrl: string;
  /** Waits until every running standby has replayed the primary's current WAL position. */
  caughtUp(timeoutMillis?: number): Promise<void>;
  /** Stops every node (immediate) and PgBouncer started in front of one, and removes every folder; safe to call twice. */
  close(): Promise<void>;
}

export interface ReplicationClusterOptions {
  /** How many standbys; 1 unless told. */
  standbys?: number;
  /** synchronous_standby_names = 'FIRST 1 (standby1)' with one standby, 'ANY 1 (standby1, …)' with more. */
  synchronous?: boolean;
  /** SQL run on the primary, one statement per entry, before the standbys are made (CREATE DATABASE…). */
  primaryStatements?: string[];
}

export interface PgBouncerProcess {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  /** transaction unless told. */
  poolMode?: 'transaction' | 'session';
}

/** How long any wait of the harness lasts before it fails naming the node and the tail of its log. */
const WAIT_MILLIS = 60_000;
const POLL_MILLIS = 100;
/** A probe of the harness itself never hangs a wait past its deadline. */
const PROBE_MILLIS = 10_000;
/** Fresh ports asked of the OS when the one before was taken between asking and binding. */
const PORT_ATTEMPTS = 5;
const LOG_TAIL_LINES = 25;
const BIND_FAILURE = /could not bind|Address already in use|could not create any TCP\/IP sockets/i;

const run = promisify(execFile);
const runningAsRoot = process.getuid?.() === 0;

function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}

function messageOf(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  if (typeof stderr === 'string' && stderr.trim()) return stderr.trim();
  return error instanceof Error ? error.message : String(error);
}

/** The binaries of the newest cluster version under /etc/postgresql, as `ls /etc/postgresql | sort -V | tail -n1` gives it. */
function postgresBinDir(): string {
  const versions = readdirSync('/etc/postgresql').sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const newest = versions.at(-1);
  if (newest === undefined) throw new Error('/etc/postgresql holds no cluster, so no PostgreSQL binaries were found');
  return `/usr/lib/postgresql/${newest}/bin`;
}

/** The caller's environment less PG* variables, which would point a binary at another server or data directory. */
function childEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('PG')) env[name] = value;
  return { ...env, ...extra };
}

/** PostgreSQL and PgBouncer refuse to run as root: root runs them as postgres, anyone else as themselves. */
async function runAsPostgres(program: string, args: string[], cwd: string, timeoutMillis = WAIT_MILLIS + 30_000) {
  const [file, argv] = runningAsRoot ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
  try {
    const { stdout } = await run(file, argv, {
      cwd,
      env: childEnvironment(),
      timeout: timeoutMillis,
      killSignal: 'SIGKILL',
    });
    return stdout;
  } catch (error) {
    throw new Error(`${path.basename(program)} ${args.join(' ')} failed: ${messageOf(error)}`, { cause: error });
  }
}

async function giveToPostgres(folder: string): Promise<void> {
  if (runningAsRoot) await run('chown', ['-R', 'postgres:postgres', folder], { timeout: 30_000 });
}

/** Asks the OS for a free loopback port; whoever binds it next may lose a race, so binding retries. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('the OS gave no loopback port'))));
    });
  });
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function tailOf(file: string, from = 0): string {
  const lines = readOrEmpty(file).slice(from).trimEnd().split('\n').slice(-LOG_TAIL_LINES);
  return lines.join('\n') || '(empty)';
}

/** True while `pid` names a process that has not exited (a zombie waiting for its parent counts as exited). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = readOrEmpty(`/proc/${pid}/stat`);
  return !/^\d+ \(.*\) Z/s.test(stat);
}

/** Sends `signal`, then waits up to `millis` for the process to be gone; true when it is. */
async function signalAndWait(pid: number, signal: NodeJS.Signals, millis: number): Promise<boolean> {
  try {
    process.kill(pid, signal);
  } catch {
    return !processAlive(pid);
  }
  const deadline = Date.now() + millis;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

function pidFrom(pidFile: string): number | undefined {
  const pid = Number.parseInt(readOrEmpty(pidFile).split('\n')[0], 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** One connection for `sql`, ended afterwards; a server that goes away under it is the caller's to see. */
async function queryOnce<T>(url: string, sql: string, values?: unknown[], queryTimeoutMillis?: number): Promise<T[]> {
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: PROBE_MILLIS,
    query_timeout: queryTimeoutMillis,
  });
  client.on('error', () => {
    // A server stopped under this connection: the pending query rejects, which is what the caller sees.
  });
  await client.connect();
  try {
    const result = await client.query(sql, values);
    return result.rows as T[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** One node's folder: its data directory, its socket directory and its log. */
class LocalPostgresNode implements PostgresNode {
  #port = 0;
  #promoted = false;

  constructor(
    readonly name: string,
    readonly folder: string,
    private readonly binDir: string,
    /** The cluster it belongs to, which stops PgBouncer started in front of it. */
    readonly cluster: LocalReplicationCluster,
  ) {}

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.#port}/postgres`;
  }

  get dataDir(): string {
    return path.join(this.folder, 'data');
  }

  get logFile(): string {
    return path.join(this.folder, 'postgres.log');
  }

  /** Its postmaster holds the data directory: what pg_ctl itself looks at. */
  get running(): boolean {
    const pid = pidFrom(path.join(this.dataDir, 'postmaster.pid'));
    return pid !== undefined && processAlive(pid);
  }

  get promoted(): boolean {
    return this.#promoted;
  }

  /** An Error naming this node and ending with the tail of its log (from `logOffset` on, when given). */
  failure(what: string, cause?: unknown, logOffset = 0): Error {
    const reason = cause === undefined ? '' : `: ${messageOf(cause)}`;
    return new Error(
      `${this.name} (127.0.0.1:${this.#port}, ${this.dataDir}): ${what}${reason}\n` +
        `--- last lines of ${this.logFile} ---\n${tailOf(this.logFile, logOffset)}`,
      { cause },
    );
  }

  /** Polls `check` until it answers true, for at most `timeoutMillis`; a check that throws counts as "not yet". */
  async waitUntil(what: string, check: () => Promise<boolean>, timeoutMillis = WAIT_MILLIS): Promise<void> {
    const deadline = Date.now() + timeoutMillis;
    for (;;) {
      let lastError: unknown;
      try {
        if (await check()) return;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() >= deadline) throw this.failure(`${what}: not within ${timeoutMillis} ms`, lastError);
      await sleep(POLL_MILLIS);
    }
  }

  /** A query of the harness itself, bounded so that a wait never outlasts its deadline. */
  probe<T>(sql: string, values?: unknown[]): Promise<T[]> {
    return queryOnce<T>(this.url, sql, values, PROBE_MILLIS);
  }

  query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]> {
    return queryOnce<T>(this.url, sql, values);
  }

  async pgCtl(args: string[], what: string): Promise<void> {
    const logOffset = readOrEmpty(this.logFile).length;
    try {
      await runAsPostgres(path.join(this.binDir, 'pg_ctl'), ['-D', this.dataDir, ...args], this.folder);
    } catch (error) {
      throw this.failure(what, error, logOffset);
    }
  }

  async makeFolder(): Promise<void> {
    mkdirSync(path.join(this.folder, 'socket'), { recursive: true });
    await giveToPostgres(this.folder);
  }

  /** A fresh primary: initdb, the cluster's settings (which pg_basebackup later copies), started on a free port. */
  async initPrimary(): Promise<void> {
    await this.makeFolder();
    const initdb = path.join(this.binDir, 'initdb');
    const args = ['-D', this.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'];
    try {
      await runAsPostgres(initdb, args, this.folder);
    } catch (error) {
      throw this.failure('initdb failed', error);
    }
    appendFileSync(
      path.join(this.dataDir, 'postgresql.conf'),
      [
        '',
        "listen_addresses = '127.0.0.1'",
        'max_connections = 100',
        'shared_buffers = 16MB',
        // Tests stop processes, never the machine: what fsync guards against does not happen here.
        'fsync = off',
        'synchronous_commit = on',
        'wal_level = replica',
        'max_wal_senders = 10',
        'max_replication_slots = 10',
        'hot_standby = on',
        'hot_standby_feedback = on',
        // pg_ctl -l sends the server's stderr to the node's log file.
        "log_destination = 'stderr'",
        'logging_collector = off',
        // Each data directory has its own: the primary's is replaced in a standby made from it.
        "include 'postgresql.node.conf'",
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(this.dataDir, 'pg_hba.conf'),
      [
        'local all all trust',
        'host all all 127.0.0.1/32 trust',
        'local replication all trust',
        'host replication all 127.0.0.1/32 trust',
        '',
      ].join('\n'),
    );
    await this.startOnFreePort();
  }

  /** A standby of `primary`: pg_basebackup with a slot of its own, and its name as application_name. */
  async cloneFrom(primary: LocalPostgresNode): Promise<void> {
    await this.makeFolder();
    const args = ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', this.dataDir];
    args.push('-R', '-X', 'stream', '-C', '-S', this.name, '--checkpoint=fast', '--no-sync');
    try {
      await runAsPostgres(path.join(this.binDir, 'pg_basebackup'), args, this.folder);
    } catch (error) {
      throw primary.failure(`pg_basebackup of ${this.name} failed`, error);
    }
    // Read after what -R wrote, so these win; application_name is what synchronous_standby_names names.
    appendFileSync(
      path.join(this.dataDir, 'postgresql.auto.conf'),
      `primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres application_name=${this.name}'\n` +
        `primary_slot_name = '${this.name}'\n`,
    );
    await this.startOnFreePort();
    await primary.waitUntil(`${this.name} streaming`, async () => {
      const rows = await primary.probe<{ state: string }>(
        'SELECT state FROM pg_stat_replication WHERE application_name = $1',
        [this.name],
      );
      return rows.some((row) => row.state === 'streaming');
    });
  }

  /** Another port is asked of the OS whenever the one given was taken before the server bound it. */
  async startOnFreePort(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.#port = await freeLoopbackPort();
      const nodeConf = path.join(this.dataDir, 'postgresql.node.conf');
      writeFileSync(
        nodeConf,
        `port = ${this.#port}\n` +
          `unix_socket_directories = '${path.join(this.folder, 'socket')}'\n` +
          // Names the node in its processes' titles, so that ps tells whose they are.
          `cluster_name = '${this.name}'\n`,
      );
      await giveToPostgres(nodeConf);
      const logOffset = readOrEmpty(this.logFile).length;
      try {
        await this.start();
        return;
      } catch (error) {
        const bindFailed = BIND_FAILURE.test(readOrEmpty(this.logFile).slice(logOffset));
        if (!bindFailed || attempt >= PORT_ATTEMPTS) throw error;
      }
    }
  }

  async start(): Promise<void> {
    if (this.running) return;
    const timeout = String(WAIT_MILLIS / 1000);
    await this.pgCtl(['-l', this.logFile, '-w', '-t', timeout, 'start'], 'did not start');
  }

  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.running) return;
    await this.pgCtl(['-m', mode, '-w', '-t', String(WAIT_MILLIS / 1000), 'stop'], `did not stop (${mode})`);
  }

  /** For close(): immediate stop, and SIGKILL for a postmaster that ignores it. */
  async halt(): Promise<void> {
    try {
      await this.stop('immediate');
      return;
    } catch (error) {
      const pid = pidFrom(path.join(this.dataDir, 'postmaster.pid'));
      if (pid !== undefined && !(await signalAndWait(pid, 'SIGKILL', 10_000))) throw error;
    }
  }

  async promote(): Promise<void> {
    await this.pgCtl(['-w', '-t', String(WAIT_MILLIS / 1000), 'promote'], 'was not promoted');
    this.#promoted = true;
    await this.waitUntil('leaving recovery after promotion', async () => {
      const [row] = await this.probe<{ recovering: boolean }>('SELECT pg_is_in_recovery() AS recovering');
      return row.recovering === false;
    });
  }

  async pauseReplay(): Promise<void> {
    await this.probe('SELECT pg_wal_replay_pause()');
    await this.#waitForPauseState('paused');
  }

  async resumeReplay(): Promise<void> {
    await this.probe('SELECT pg_wal_replay_resume()');
    await this.#waitForPauseState('not paused');
  }

  async #waitForPauseState(state: 'paused' | 'not paused'): Promise<void> {
    await this.waitUntil(`replay ${state}`, async () => {
      const [row] = await this.probe<{ state: string }>('SELECT pg_get_wal_replay_pause_state() AS state');
      return row.state === state;
    });
  }

  async waitForReplay(lsn: string, timeoutMillis = WAIT_MILLIS): Promise<void> {
    await this.waitUntil(
      `replay up to ${lsn}`,
      async () => {
        const [row] = await this.probe<{ replayed: boolean | null }>(
          'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS replayed',
          [lsn],
        );
        return row.replayed === true;
      },
      timeoutMillis,
    );
  }
}

class LocalReplicationCluster implements ReplicationCluster {
  readonly #nodes: LocalPostgresNode[] = [];
  readonly #bouncers = new Set<PgBouncerProcess>();
  #closing: Promise<void> | undefined;

  constructor(
    readonly root: string,
    private readonly binDir: string,
  ) {}

  get primary(): LocalPostgresNode {
    return this.#nodes[0];
  }

  get standbys(): readonly LocalPostgresNode[] {
    return this.#nodes.slice(1);
  }

  get multiHostUrl(): string {
    const hosts = this.#nodes.map((node) => `127.0.0.1:${node.port}`).join(',');
    return `postgres://postgres@${hosts}/postgres?target_session_attrs=read-write`;
  }

  addNode(name: string): LocalPostgresNode {
    const node = new LocalPostgresNode(name, path.join(this.root, name), this.binDir, this);
    this.#nodes.push(node);
    return node;
  }

  /** PgBouncer started in front of one of the nodes: close() stops it too when its test did not. */
  adopt(bouncer: PgBouncerProcess): void {
    this.#bouncers.add(bouncer);
  }

  release(bouncer: PgBouncerProcess): void {
    this.#bouncers.delete(bouncer);
  }

  async requireSynchronousStandbys(): Promise<void> {
    const names = this.standbys.map((node) => node.name);
    const setting = names.length === 1 ? `FIRST 1 (${names[0]})` : `ANY 1 (${names.join(', ')})`;
    await this.primary.probe(`ALTER SYSTEM SET synchronous_standby_names = '${setting}'`);
    await this.primary.probe('SELECT pg_reload_conf()');
    await this.primary.waitUntil(`synchronous_standby_names = '${setting}' in force`, async () => {
      const rows = await this.primary.probe<{ setting: string; synchronous: string }>(
        "SELECT current_setting('synchronous_standby_names') AS setting, " +
          "(SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum'))::text AS synchronous",
      );
      return rows[0].setting === setting && Number(rows[0].synchronous) > 0;
    });
  }

  async caughtUp(timeoutMillis = WAIT_MILLIS): Promise<void> {
    const [{ lsn }] = await this.primary.probe<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const replaying = this.standbys.filter((node) => node.running && !node.promoted);
    await Promise.all(replaying.map((node) => node.waitForReplay(lsn, timeoutMillis)));
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    const bouncers = await Promise.allSettled([...this.#bouncers].map((bouncer) => bouncer.stop()));
    const nodes = await Promise.allSettled(this.#nodes.map((node) => node.halt()));
    rmSync(this.root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    const failures = [...bouncers, ...nodes].flatMap((result): unknown[] =>
      result.status === 'rejected' ? [result.reason] : [],
    );
    if (failures.length > 0) throw new AggregateError(failures, `the cluster in ${this.root} did not stop cleanly`);
  }
}

/**
 * Starts a primary and `standbys` standbys (1 unless told), each streaming through a physical slot, and resolves
 * once every standby streams (and, when synchronous, once the primary counts one as synchronous). A failure
 * midway stops and removes what was made.
 */
export async function startReplicationCluster(options: ReplicationClusterOptions = {}): Promise<ReplicationCluster> {
  const standbys = options.standbys ?? 1;
  if (!Number.isInteger(standbys) || standbys < 0 || standbys > 8) {
    throw new Error(`standbys must be a whole number from 0 to 8, not ${standbys}`);
  }
  if (options.synchronous && standbys === 0) throw new Error('a synchronous cluster needs at least one standby');
  const binDir = postgresBinDir();
  const cluster = new LocalReplicationCluster(mkdtempSync(path.join(tmpdir(), 'secretstore-cluster-')), binDir);
  try {
    await giveToPostgres(cluster.root);
    const primary = cluster.addNode('primary');
    await primary.initPrimary();
    for (const statement of options.primaryStatements ?? []) {
      await primary.query(statement).catch((error: unknown) => {
        throw primary.failure(`the statement ${JSON.stringify(statement)} failed`, error);
      });
    }
    for (let index = 1; index <= standbys; index++) await cluster.addNode(`standby${index}`).cloneFrom(primary);
    if (options.synchronous) await cluster.requireSynchronousStandbys();
    return cluster;
  } catch (error) {
    await cluster.close().catch(() => undefined);
    throw error;
  }
}

function findPgbouncer(): string | undefined {
  const searchPath = (process.env.PATH ?? '').split(':').filter((folder) => folder !== '');
  const folders = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', ...searchPath];
  return folders.map((folder) => path.join(folder, 'pgbouncer')).find((file) => existsSync(file));
}

let installingPgbouncer: Promise<string> | undefined;

/** Debian's pgbouncer, installed with apt-get when missing, as .ci/pgbouncer.sh does. */
function pgbouncerBinary(): Promise<string> {
  const found = findPgbouncer();
  if (found !== undefined) return Promise.resolve(found);
  if (!runningAsRoot) return Promise.reject(new Error('pgbouncer is not installed: apt-get install pgbouncer'));
  installingPgbouncer ??= (async () => {
    const env = childEnvironment({ DEBIAN_FRONTEND: 'noninteractive' });
    const apt = { env, timeout: 300_000 };
    try {
      await run('apt-get', ['update', '-qq'], apt);
      const install = ['install', '-y', '-qq', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=120'];
      await run('apt-get', [...install, 'pgbouncer'], apt);
    } catch (error) {
      throw new Error(`apt-get could not install pgbouncer: ${messageOf(error)}`, { cause: error });
    }
    // The package may start an instance of its own on localhost:6432, with no databases: it is not ours.
    await run('invoke-rc.d', ['--skip-systemd-native', 'pgbouncer', 'stop'], apt)
      .catch(() => run('systemctl', ['stop', 'pgbouncer'], apt))
      .catch(() => undefined);
    const installed = findPgbouncer();
    if (installed === undefined) throw new Error('pgbouncer is still missing after apt-get install pgbouncer');
    return installed;
  })();
  return installingPgbouncer;
}

class LocalPgBouncer implements PgBouncerProcess {
  #stopping: Promise<void> | undefined;

  constructor(
    readonly folder: string,
    readonly port: number,
    private readonly onStop: () => void,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      try {
        const pid = pidFrom(path.join(this.folder, 'pgbouncer.pid'));
        // SIGTERM shuts PgBouncer down at once, clients or not.
        if (pid !== undefined && !(await signalAndWait(pid, 'SIGTERM', 10_000))) {
          if (!(await signalAndWait(pid, 'SIGKILL', 5_000))) throw new Error(`PgBouncer (pid ${pid}) did not exit`);
        }
      } finally {
        rmSync(this.folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
        this.onStop();
      }
    })();
    return this.#stopping;
  }
}

/**
 * PgBouncer (Debian's; installed with apt-get if missing) on a free loopback port in front of `node`: auth trust,
 * user postgres, database postgres and any other name, transaction pooling unless told. Started in front of a
 * node of startReplicationCluster, it lives in the cluster's folder and the cluster's close() stops it too.
 */
export async function startPgBouncer(node: PostgresNode, options: PgBouncerOptions = {}): Promise<PgBouncerProcess> {
  const binary = await pgbouncerBinary();
  const cluster = node instanceof LocalPostgresNode ? node.cluster : undefined;
  const folder = mkdtempSync(path.join(cluster?.root ?? tmpdir(), cluster ? 'pgbouncer-' : 'secretstore-pgbouncer-'));
  const logFile = path.join(folder, 'pgbouncer.log');
  let started: LocalPgBouncer | undefined;
  try {
    writeFileSync(path.join(folder, 'userlist.txt'), '"postgres" ""\n');
    for (let attempt = 1; ; attempt++) {
      const port = await freeLoopbackPort();
      const bouncer = new LocalPgBouncer(folder, port, () => cluster?.release(bouncer));
      started = bouncer;
      cluster?.adopt(bouncer);
      writeFileSync(path.join(folder, 'pgbouncer.ini'), pgbouncerIni(folder, port, node.port, options));
      await giveToPostgres(folder);
      const logOffset = readOrEmpty(logFile).length;
      const outcome = await runAsPostgres(binary, ['-d', path.join(folder, 'pgbouncer.ini')], folder).then(
        () => pgbouncerOutcome(bouncer.url, logFile, logOffset),
        (error: unknown) =>
          BIND_FAILURE.test(readOrEmpty(logFile).slice(logOffset)) ? 'port taken' : messageOf(error),
      );
      if (outcome === 'answers') return bouncer;
      if (outcome !== 'port taken' || attempt >= PORT_ATTEMPTS) {
        throw new Error(
          `PgBouncer on 127.0.0.1:${port} in front of ${node.name} (port ${node.port}) did not answer ` +
            `(${outcome})\n--- last lines of ${logFile} ---\n${tailOf(logFile, logOffset)}`,
        );
      }
      // Its port was taken before it bound it: the process, if any, is stopped before the next try.
      const pid = pidFrom(path.join(folder, 'pgbouncer.pid'));
      if (pid !== undefined) await signalAndWait(pid, 'SIGKILL', 5_000);
      cluster?.release(bouncer);
    }
  } catch (error) {
    if (started) await started.stop().catch(() => undefined);
    else rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}

function pgbouncerIni(folder: string, port: number, serverPort: number, options: PgBouncerOptions): string {
  return [
    '[databases]',
    `postgres = host=127.0.0.1 port=${serverPort} dbname=postgres`,
    // Any other name reaches the database of that name on the same server.
    `* = host=127.0.0.1 port=${serverPort}`,
    '',
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${path.join(folder, 'userlist.txt')}`,
    'admin_users = postgres',
    `pool_mode = ${options.poolMode ?? 'transaction'}`,
    'max_client_conn = 200',
    'default_pool_size = 5',
    'query_wait_timeout = 60',
    `logfile = ${path.join(folder, 'pgbouncer.log')}`,
    `pidfile = ${path.join(folder, 'pgbouncer.pid')}`,
    '',
  ].join('\n');
}

/** Whether PgBouncer answers on its admin console, lost its port to another process, or neither within the wait. */
async function pgbouncerOutcome(
  url: string,
  logFile: string,
  logOffset: number,
): Promise<'answers' | 'port taken' | 'timed out'> {
  const deadline = Date.now() + WAIT_MILLIS;
  while (Date.now() < deadline) {
    if ((await pgbouncerVersion(url)) !== undefined) return 'answers';
    if (BIND_FAILURE.test(readOrEmpty(logFile).slice(logOffset))) return 'port taken';
    await sleep(POLL_MILLIS);
  }
  return 'timed out';
}
