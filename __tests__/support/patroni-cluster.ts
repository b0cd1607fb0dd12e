/**
 * A Patroni cluster on loopback, for failover under a real consensus store: three etcd members (v3 API) and two
 * PostgreSQL nodes that Patroni runs in synchronous mode, so that the replica it promotes holds every commit the
 * leader acknowledged. Debian's patroni and etcd-server are installed with apt-get when missing. Everything lives in
 * one folder under the system's temporary directory; close() kills every process that runs there or names it, with
 * their children, and removes the folder.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { get } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { Client } from 'pg';

export interface PatroniNode {
  /** 'node1', 'node2': Patroni's member name, and the application_name the leader's synchronous standby has. */
  readonly name: string;
  /** PostgreSQL's loopback port. */
  readonly port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  /** Patroni's REST API on 127.0.0.1. */
  readonly restApiPort: number;
}

export interface PatroniCluster {
  readonly nodes: readonly PatroniNode[];
  /** postgres://postgres@127.0.0.1:<p1>,127.0.0.1:<p2>/postgres?target_session_attrs=read-write */
  readonly multiHostUrl: string;
  /** The node whose Patroni holds the leader lock (its REST API answers 200 on /primary); waits for one. */
  leader(): Promise<string>;
  /** SIGKILLs the leader's Patroni and every process of its PostgreSQL at once, as when its host dies; returns its name. */
  killLeader(): Promise<string>;
  /** Resolves with the node, other than `old`, that holds the leader lock and whose PostgreSQL takes writes. */
  waitForNewLeader(old: string, timeoutMillis?: number): Promise<string>;
  /** Kills every etcd, Patroni and PostgreSQL process of the cluster and removes its folder; safe to call twice. */
  close(): Promise<void>;
}

/** How long any wait of the harness lasts before it fails with the tails of the logs. */
const WAIT_MILLIS = 90_000;
const POLL_MILLIS = 200;
/** A probe of the harness never hangs a wait past its deadline. */
const PROBE_MILLIS = 3_000;
const LOG_TAIL_LINES = 20;
const ETCD_MEMBERS = 3;
const PATRONI_NODES = 2;
/** Whole starts tried when a port the OS gave was taken by someone else before etcd or PostgreSQL bound it. */
const START_ATTEMPTS = 3;
const BIND_FAILURE = /address already in use|could not bind|could not create any TCP\/IP sockets/i;

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

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function tailOf(file: string): string {
  return readOrEmpty(file).trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n') || '(empty)';
}

/** The caller's environment less PG* variables, which would point a binary at another server or data directory. */
function childEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('PG')) env[name] = value;
  return { ...env, ...extra };
}

/** The binaries of the newest PostgreSQL under /usr/lib/postgresql. */
function postgresBinDir(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const newest = versions.at(-1);
  if (newest === undefined) throw new Error('/usr/lib/postgresql holds no PostgreSQL version');
  return `/usr/lib/postgresql/${newest}/bin`;
}

const PATRONI = '/usr/bin/patroni';
const ETCD = '/usr/bin/etcd';

let installing: Promise<void> | undefined;

/** Debian's patroni and etcd-server, installed with apt-get when missing; no service of theirs is left running. */
function installPatroni(): Promise<void> {
  if (existsSync(PATRONI) && existsSync(ETCD)) return Promise.resolve();
  if (!runningAsRoot) {
    return Promise.reject(new Error('patroni and etcd are not installed: apt-get install patroni etcd-server'));
  }
  installing ??= (async () => {
    const apt = { env: childEnvironment({ DEBIAN_FRONTEND: 'noninteractive' }), timeout: 300_000 };
    try {
      await run('apt-get', ['update', '-qq'], apt);
      const install = ['install', '-y', '-qq', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=120'];
      await run('apt-get', [...install, 'patroni', 'etcd-server'], apt);
    } catch (error) {
      throw new Error(`apt-get could not install patroni and etcd-server: ${messageOf(error)}`, { cause: error });
    }
    // Where policy-rc.d lets packages start services, etcd starts on the default ports: it is not ours.
    for (const service of ['etcd', 'patroni']) {
      await run('invoke-rc.d', ['--skip-systemd-native', service, 'stop'], apt).catch(() => undefined);
    }
    if (!existsSync(PATRONI) || !existsSync(ETCD)) {
      throw new Error('patroni or etcd is still missing after apt-get install patroni etcd-server');
    }
  })();
  return installing;
}

/** The postgres account, which PostgreSQL needs (it refuses root) and Patroni therefore runs as. */
function postgresAccount(): { uid: number; gid: number } | undefined {
  if (!runningAsRoot) return undefined;
  const entry = readOrEmpty('/etc/passwd')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'postgres');
  if (entry === undefined) throw new Error('there is no postgres account in /etc/passwd');
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

/** `count` distinct loopback ports the OS found free, all held at once so that none repeats. */
async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((server) => {
      const address = server.address();
      if (typeof address !== 'object' || address === null) throw new Error('the OS gave no loopback port');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** The status code and body of GET http://127.0.0.1:<port><urlPath>, or undefined when nothing answers in time. */
function httpGet(port: number, urlPath: string): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: urlPath, timeout: PROBE_MILLIS }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', () => resolve(undefined));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

interface ProcessEntry {
  pid: number;
  ppid: number;
  /** Its working directory ('' when it cannot be read) and its command line, arguments joined by spaces. */
  cwd: string;
  commandLine: string;
}

/** Every live process but this one, read from /proc. */
function processTable(): ProcessEntry[] {
  const table: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    // The parent follows the command name, which may hold spaces and parentheses: read after the last ')'.
    const stat = readOrEmpty(`/proc/${pid}/stat`);
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (ppid === undefined || state === 'Z') continue;
    let cwd = '';
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // Gone, or another user's: its command line still tells.
    }
    const commandLine = readOrEmpty(`/proc/${pid}/cmdline`).replaceAll('\0', ' ');
    table.push({ pid, ppid: Number(ppid), cwd, commandLine });
  }
  return table;
}

/** Processes that run in `folder` (PostgreSQL runs in its data directory) or name it on their command line. */
function processesOf(folder: string, table: readonly ProcessEntry[]): number[] {
  return table
    .filter(({ cwd, commandLine }) => cwd === folder || cwd.startsWith(`${folder}/`) || commandLine.includes(folder))
    .map(({ pid }) => pid);
}

/** `roots` and every process below them. */
function withDescendants(roots: readonly number[], all: readonly ProcessEntry[]): number[] {
  const found = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const { pid, ppid } of all) {
      if (found.has(ppid) && !found.has(pid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found];
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** True while `pid` names a process that has not exited (a zombie waiting for its parent counts as exited). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !/^\d+ \(.*\) Z/s.test(readOrEmpty(`/proc/${pid}/stat`));
}

/**
 * SIGKILLs every process that runs in `folder` or names it, and all their descendants, as one: each is stopped
 * first, so that none forks a child (a postmaster a new backend) between the listing and the kill, and none
 * outlives another to notice it (Patroni would start its PostgreSQL again). Resolves with how many it found.
 */
async function killProcessesOf(folder: string): Promise<number> {
  const roots = processesOf(folder, processTable());
  if (roots.length === 0) return 0;
  for (const pid of roots) signal(pid, 'SIGSTOP');
  const doomed = withDescendants(roots, processTable());
  for (const pid of doomed) signal(pid, 'SIGSTOP');
  for (const pid of doomed) signal(pid, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  while (doomed.some(processAlive)) {
    if (Date.now() > deadline) throw new Error(`processes ${doomed.filter(processAlive).join(', ')} did not die`);
    await sleep(20);
  }
  return doomed.length;
}

/** Whether the PostgreSQL at `url` answers and is out of recovery. */
async function takesWrites(url: string): Promise<boolean> {
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: PROBE_MILLIS,
    query_timeout: PROBE_MILLIS,
  });
  client.on('error', () => {
    // The server went away under the probe: the query rejects, which counts as "not yet".
  });
  try {
    await client.connect();
    const { rows } = await client.query<{ recovering: boolean }>('SELECT pg_is_in_recovery() AS recovering');
    return rows[0]?.recovering === false;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Starts `program` in `cwd`, its output appended to `logFile`; the child is not waited for. Running in its folder
 * is what marks it, and the PostgreSQL it starts, as the cluster's for killProcessesOf.
 */
function startProcess(
  program: string,
  args: string[],
  cwd: string,
  logFile: string,
  account?: { uid: number; gid: number },
): void {
  const log = openSync(logFile, 'a');
  try {
    const child = spawn(program, args, {
      cwd,
      env: childEnvironment({ HOME: cwd }),
      stdio: ['ignore', log, log],
      ...account,
    });
    child.on('error', () => {
      // A program that cannot start shows it as no answer, and the wait's error carries its log.
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`${program} did not start`);
  } finally {
    closeSync(log);
  }
}

interface EtcdMember {
  name: string;
  clientPort: number;
  peerPort: number;
  folder: string;
}

class LocalPatroniNode implements PatroniNode {
  killed = false;

  constructor(
    readonly name: string,
    readonly folder: string,
    readonly port: number,
    readonly restApiPort: number,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get dataDir(): string {
    return path.join(this.folder, 'data');
  }

  get logFile(): string {
    return path.join(this.folder, 'patroni.log');
  }

  /** Patroni's view of this node: 200 on /primary while it holds the leader lock. */
  async holdsLeaderLock(): Promise<boolean> {
    return (await httpGet(this.restApiPort, '/primary'))?.status === 200;
  }
}

class LocalPatroniCluster implements PatroniCluster {
  readonly nodes: LocalPatroniNode[] = [];
  readonly etcd: EtcdMember[] = [];
  #closing: Promise<void> | undefined;

  constructor(
    readonly root: string,
    readonly scope: string,
  ) {}

  get multiHostUrl(): string {
    const hosts = this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',');
    return `postgres://postgres@${hosts}/postgres?target_session_attrs=read-write`;
  }

  /** An Error whose message ends with the tails of every log of the cluster. */
  failure(what: string, cause?: unknown): Error {
    const logs = [
      ...this.nodes.map((node) => node.logFile),
      ...this.etcd.map((member) => path.join(member.folder, 'etcd.log')),
    ];
    const tails = logs.map((file) => `--- last lines of ${file} ---\n${tailOf(file)}`).join('\n');
    const reason = cause === undefined ? '' : `: ${messageOf(cause)}`;
    return new Error(`Patroni cluster ${this.scope} in ${this.root}: ${what}${reason}\n${tails}`, { cause });
  }

  /** Whether any log of the cluster says a port was taken before its server bound it. */
  lostAPort(): boolean {
    const logs = [...this.nodes.map((node) => node.logFile), ...this.etcd.map((m) => path.join(m.folder, 'etcd.log'))];
    return logs.some((file) => BIND_FAILURE.test(readOrEmpty(file)));
  }

  async waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMillis = WAIT_MILLIS): Promise<T> {
    const deadline = Date.now() + timeoutMillis;
    for (;;) {
      const found = await check();
      if (found !== undefined) return found;
      if (Date.now() >= deadline) throw this.failure(`${what}: not within ${timeoutMillis} ms`);
      await sleep(POLL_MILLIS);
    }
  }

  async startEtcd(ports: number[]): Promise<void> {
    for (let i = 0; i < ETCD_MEMBERS; i++) {
      const name = `etcd${i + 1}`;
      const folder = path.join(this.root, name);
      mkdirSync(folder);
      this.etcd.push({ name, folder, clientPort: ports[2 * i], peerPort: ports[2 * i + 1] });
    }
    const initialCluster = this.etcd.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
    for (const member of this.etcd) {
      const client = `http://127.0.0.1:${member.clientPort}`;
      const peer = `http://127.0.0.1:${member.peerPort}`;
      // Slower heartbeats than the defaults, so that a busy machine does not make the members elect over and over.
      const args = [
        `--name=${member.name}`,
        `--data-dir=${path.join(member.folder, 'data')}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-token=${this.scope}`,
        '--initial-cluster-state=new',
        '--heartbeat-interval=200',
        '--election-timeout=2000',
        '--snapshot-count=10000',
      ];
      startProcess(ETCD, args, member.folder, path.join(member.folder, 'etcd.log'));
    }
    await this.waitFor('etcd members healthy', async () => {
      const answers = await Promise.all(this.etcd.map((m) => httpGet(m.clientPort, '/health')));
      return answers.every((answer) => answer?.status === 200 && answer.body.includes('"true"')) ? true : undefined;
    });
  }

  async startPatroni(ports: number[], account: { uid: number; gid: number } | undefined): Promise<void> {
    const binDir = postgresBinDir();
    const etcdHosts = this.etcd.map((m) => `127.0.0.1:${m.clientPort}`);
    for (let i = 0; i < PATRONI_NODES; i++) {
      const name = `node${i + 1}`;
      const node = new LocalPatroniNode(name, path.join(this.root, name), ports[2 * i], ports[2 * i + 1]);
      mkdirSync(path.join(node.folder, 'socket'), { recursive: true });
      // JSON is YAML, which is what Patroni reads.
      writeFileSync(
        path.join(node.folder, 'patroni.yml'),
        JSON.stringify(patroniConfig(this.scope, node, etcdHosts, binDir), null, 2),
      );
      this.nodes.push(node);
    }
    if (account) await run('chown', ['-R', `${account.uid}:${account.gid}`, this.root], { timeout: 30_000 });
    for (const node of this.nodes) {
      startProcess(PATRONI, [path.join(node.folder, 'patroni.yml')], node.folder, node.logFile, account);
    }
    // Ready when one node leads and the other is its synchronous standby, streaming.
    await this.waitFor('a leader and a streaming synchronous standby', async () => {
      const answer = await httpGet(this.nodes[0].restApiPort, '/cluster');
      if (answer?.status !== 200) return undefined;
      const { members = [] } = JSON.parse(answer.body) as { members?: { role?: string; state?: string }[] };
      const leader = members.some((m) => m.role === 'leader' && m.state === 'running');
      const standby = members.some(
        (m) => m.role === 'sync_standby' && ['running', 'streaming'].includes(m.state ?? ''),
      );
      return leader && standby ? true : undefined;
    });
    const leader = await this.leader();
    const leaderNode = this.nodes.find((node) => node.name === leader);
    if (!leaderNode || !(await takesWrites(leaderNode.url)))
      throw this.failure(`the leader ${leader} does not take writes`);
  }

  async #currentLeader(): Promise<string | undefined> {
    for (const node of this.nodes) if (!node.killed && (await node.holdsLeaderLock())) return node.name;
    return undefined;
  }

  leader(): Promise<string> {
    return this.waitFor('a node holding the leader lock', () => this.#currentLeader());
  }

  async killLeader(): Promise<string> {
    const name = await this.leader();
    const node = this.nodes.find((candidate) => candidate.name === name);
    if (node === undefined) throw this.failure(`no node is named ${name}`);
    node.killed = true;
    // Patroni, its postmaster and the postmaster's children at least.
    const killed = await killProcessesOf(node.folder);
    if (killed < 3) throw this.failure(`only ${killed} processes of ${name} were found to kill`);
    return name;
  }

  waitForNewLeader(old: string, timeoutMillis = WAIT_MILLIS): Promise<string> {
    return this.waitFor(
      `a leader other than ${old}`,
      async () => {
        for (const node of this.nodes) {
          if (node.name === old || node.killed) continue;
          if ((await node.holdsLeaderLock()) && (await takesWrites(node.url))) return node.name;
        }
        return undefined;
      },
      timeoutMillis,
    );
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    const failures: unknown[] = [];
    // Again while any is found: a process that forked between the listing and the stop is caught the next round.
    for (let round = 0; round < 5; round++) {
      const killed = await killProcessesOf(this.root).catch((error: unknown) => {
        failures.push(error);
        return 0;
      });
      if (killed === 0) break;
    }
    const left = processesOf(this.root, processTable());
    if (left.length > 0) failures.push(new Error(`processes ${left.join(', ')} still run in ${this.root}`));
    try {
      rmSync(this.root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } catch (error) {
      failures.push(error);
    }
    if (failures.length > 0)
      throw new AggregateError(failures, `the Patroni cluster in ${this.root} did not stop cleanly`);
  }
}

/** One node's Patroni configuration: small memory, fast failure detection, trust on loopback. */
function patroniConfig(scope: string, node: LocalPatroniNode, etcdHosts: string[], binDir: string): object {
  const hba = ['local all all trust', 'host all all 127.0.0.1/32 trust', 'host replication all 127.0.0.1/32 trust'];
  return {
    scope,
    name: node.name,
    log: { level: 'INFO' },
    restapi: { listen: `127.0.0.1:${node.restApiPort}`, connect_address: `127.0.0.1:${node.restApiPort}` },
    etcd3: { hosts: etcdHosts },
    bootstrap: {
      dcs: {
        // The leader lock lapses 10 s after its holder stops renewing it: the failover the test waits for.
        ttl: 10,
        loop_wait: 1,
        // Patroni's rule, loop_wait + 2 × retry_timeout ≤ ttl: a leader demotes itself before its lock lapses.
        retry_timeout: 4,
        maximum_lag_on_failover: 1_048_576,
        synchronous_mode: true,
        postgresql: {
          use_pg_rewind: false,
          use_slots: true,
          parameters: {
            shared_buffers: '16MB',
            max_connections: 60,
            max_wal_senders: 5,
            max_replication_slots: 5,
            max_worker_processes: 4,
            wal_keep_size: '64MB',
            hot_standby: 'on',
          },
        },
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C' }, { 'auth-local': 'trust' }, { 'auth-host': 'trust' }],
    },
    postgresql: {
      listen: `127.0.0.1:${node.port}`,
      connect_address: `127.0.0.1:${node.port}`,
      data_dir: node.dataDir,
      bin_dir: binDir,
      pgpass: path.join(node.folder, 'pgpass'),
      authentication: {
        superuser: { username: 'postgres' },
        replication: { username: 'replicator', password: 'replicator' },
      },
      parameters: { unix_socket_directories: path.join(node.folder, 'socket'), cluster_name: node.name },
      pg_hba: hba,
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
}

async function startOnce(): Promise<LocalPatroniCluster> {
  const account = postgresAccount();
  const root = mkdtempSync(path.join(tmpdir(), 'secretstore-patroni-'));
  const cluster = new LocalPatroniCluster(root, `secretstore-${randomBytes(4).toString('hex')}`);
  try {
    const ports = await freeLoopbackPorts(2 * ETCD_MEMBERS + 2 * PATRONI_NODES);
    await cluster.startEtcd(ports.slice(0, 2 * ETCD_MEMBERS));
    await cluster.startPatroni(ports.slice(2 * ETCD_MEMBERS), account);
    return cluster;
  } catch (error) {
    const retry = cluster.lostAPort();
    await cluster.close().catch(() => undefined);
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), { portTaken: retry });
  }
}

/**
 * Starts three etcd members and two Patroni nodes on loopback ports and resolves once one node leads and takes
 * writes and the other streams as its synchronous standby. A failure midway kills and removes what was made.
 */
export async function startPatroniCluster(): Promise<PatroniCluster> {
  await installPatroni();
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (error) {
      if (!(error as { portTaken?: boolean }).portTaken || attempt >= START_ATTEMPTS) throw error;
    }
  }
}
