/**
 * `secretstore watch [prefix]`, run in a process of its own as a person or a script runs it, on this file's
 * database: one line per committed change under the prefix (never a value), a resync line once the listening
 * connection is back, exit 0 on SIGTERM or SIGINT and when its reader goes away; refused over the embedded folder.
 *
 * Server mode only, but for the embedded folder's refusal: in PGlite mode the harness serves its in-process
 * PGlite over a socket (pglite-socket), whose clients share one session and are sent no notifications, so a
 * watch over it hears nothing.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';

import { PostgresSecretStoreRepository, SecretStore } from '../../src';
import { LISTENER_APPLICATION_NAME } from '../../src/database/notification-listener';
import { useTestDatabase } from '../harness/database';
import { useCliFolder } from '../support/cli-folder';
import { CANARY, expectOk } from '../support/cli-output';
import { expectFailure, secretstore } from '../support/cli-run';
import { eventually } from '../support/eventually';
import { spawnSource } from '../support/source-process';
import { testKeyring } from '../support/test-keyring';

/** The logger's warning when the listening connection is lost (the tests kill it), and nothing else. */
const ONLY_LOSS_WARNINGS = /^(secretstore stopped hearing changes[^\n]*\n)*$/;

jest.setTimeout(60_000);

const testDatabase = useTestDatabase();
const serverOnly = () => testDatabase().mode === 'server';
const folder = useCliFolder('secretstore-cli-watch-');
const keyring = testKeyring();

beforeEach(async () => {
  await testDatabase().reset();
});

/** Bound of every wait for the watching process. */
const WAIT_MILLIS = 15_000;

/** A running `secretstore watch`: what it printed so far, and how it ended. */
class WatchProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
    child.stdin.end();
  }

  /** The complete lines of stdout. */
  lines(): string[] {
    return this.stdout.split('\n').slice(0, -1);
  }

  /** Waits for `count` lines past the first `from`; returns them. */
  linesAfter(from: number, count: number, what: string): Promise<string[]> {
    return eventually(
      what,
      async () => {
        const lines = this.lines().slice(from);
        return lines.length >= count ? lines : undefined;
      },
      WAIT_MILLIS,
    );
  }

  /** Sends `signal` and waits (bounded) for the exit code. */
  async stop(signal: NodeJS.Signals): Promise<number | null> {
    this.child.kill(signal);
    return within(this.exited, `the watch to exit on ${signal}`);
  }
}

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${WAIT_MILLIS} ms`)), WAIT_MILLIS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const running = new Set<WatchProcess>();

// Whatever a test left running is killed, even when it failed.
afterEach(async () => {
  const left = [...running];
  running.clear();
  for (const watch of left) watch.child.kill('SIGKILL');
  await Promise.all(left.map((watch) => watch.exited));
});

/**
 * `secretstore --database-url <this database> watch …args`, with no keyring: it reads no value. It listens
 * where SECRETSTORE_LISTEN_DATABASE_URL says, the server itself (never a pooler, which would drop the LISTEN).
 */
function spawnWatch(args: readonly string[]): WatchProcess {
  const { url, directUrl } = testDatabase();
  const child = spawnSource('src/cli/main.ts', ['--database-url', url as string, 'watch', ...args], {
    SECRETSTORE_LISTEN_DATABASE_URL: directUrl as string,
  });
  const watch = new WatchProcess(child);
  running.add(watch);
  return watch;
}

function writer(): SecretStore {
  return new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), { encryption: keyring });
}

/**
 * Writes `app/ready` until the watch prints it: from then on it hears every change. Returns how many lines
 * it printed by then, so that later lines are told apart; an earlier probe it heard has printed already, as
 * notifications arrive in commit order.
 */
async function untilListening(watch: WatchProcess, store: SecretStore): Promise<number> {
  const deadline = Date.now() + WAIT_MILLIS;
  while (Date.now() < deadline) {
    await store.setSecret('app/ready', { probe: true });
    const heard = await eventually(
      'the probe',
      async () => (watch.lines().some((line) => line.includes('app/ready')) ? true : undefined),
      300,
    ).catch(() => false);
    if (heard) return watch.lines().length;
  }
  throw new Error(`the watch did not hear a change within ${WAIT_MILLIS} ms: ${watch.stderr}`);
}

/** Ends the watch's listening connection from the server, as a restart or a network fault would. */
async function dropListeningConnection(): Promise<void> {
  await testDatabase().database.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
    [LISTENER_APPLICATION_NAME],
  );
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('secretstore watch', () => {
  it('prints one JSON line per committed change under the prefix, never a value, then a resync; SIGTERM exits 0', async () => {
    if (!serverOnly()) return;
    const store = writer();
    const watch = spawnWatch(['app/', '--json']);
    const from = await untilListening(watch, store);

    await store.setSecret('app/db', { password: CANARY });
    await store.setSecret('other/db', { password: CANARY });
    await store.setSecret('app/db', { password: `${CANARY}-2` });
    await store.deleteSecret('app/db');
    await store.undeleteSecret('app/db');
    await store.updateSecretMetadata('app/db', { description: 'the database' });
    const changes = await watch.linesAfter(from, 5, 'five changes');
    await dropListeningConnection();
    const [resync] = await watch.linesAfter(from + 5, 1, 'the resync');

    const events = [...changes, resync].map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const event of events) expect(event.at).toMatch(ISO);
    // Each line is the object as JSON.stringify writes it: one line, its fields in this order.
    expect([...changes, resync]).toEqual(events.map((event) => JSON.stringify(event)));
    expect(events.map(({ at: _at, ...event }) => event)).toEqual([
      { type: 'change', key: 'app/db', version: 1, operation: 'set' },
      { type: 'change', key: 'app/db', version: 2, operation: 'set' },
      { type: 'change', key: 'app/db', version: 2, operation: 'delete' },
      { type: 'change', key: 'app/db', version: 2, operation: 'undelete' },
      { type: 'change', key: 'app/db', version: 2, operation: 'metadata' },
      { type: 'resync' },
    ]);

    expect(await watch.stop('SIGTERM')).toBe(0);
    expect(watch.lines()).toHaveLength(from + 6);
    expect(watch.stderr).toMatch(ONLY_LOSS_WARNINGS);
    expect(watch.stdout).not.toContain(CANARY);
    expect(watch.stdout).not.toContain('other/');
  });

  it('prints aligned lines for a person; SIGINT exits 0', async () => {
    if (!serverOnly()) return;
    const store = writer();
    const watch = spawnWatch([]);
    const from = await untilListening(watch, store);

    await store.setSecret('app/api', { token: CANARY });
    await store.setSecret('billing/stripe', { token: CANARY });
    await store.destroySecret('app/api');
    const changes = await watch.linesAfter(from, 3, 'three changes');
    await dropListeningConnection();
    const [resync] = await watch.linesAfter(from + 3, 1, 'the resync');

    const split = [...changes, resync].map((line) => {
      const [time, rest] = [line.slice(0, 24), line.slice(24)];
      expect(time).toMatch(ISO);
      return rest;
    });
    expect(split).toEqual([
      '  set        app/api  v1',
      '  set        billing/stripe  v1',
      '  destroy    app/api  v1',
      '  resync     changes may have been missed while the connection was down: re-read what you depend on',
    ]);
    expect(await watch.stop('SIGINT')).toBe(0);
    // stdout is not a terminal: no notice on stderr, nothing but the lines on stdout.
    expect(watch.stderr).toMatch(ONLY_LOSS_WARNINGS);
    expect(watch.stdout).not.toContain(CANARY);
  });

  it('exits 0, without a word on stderr, when its reader stops reading (`watch | head -n 1`)', async () => {
    if (!serverOnly()) return;
    const store = writer();
    const watch = spawnWatch(['--json']);
    await untilListening(watch, store);
    watch.child.stdout.destroy();
    // The next line it writes finds the pipe closed.
    await store.setSecret('app/after', { n: 1 });
    expect(await within(watch.exited, 'the watch to exit on a closed pipe')).toBe(0);
    expect(watch.stderr).toBe('');
  });
});

describe('secretstore watch refuses', () => {
  it('a database without the change notifications (5), naming the command to run', async () => {
    if (!serverOnly()) return;
    const { database, url } = testDatabase();
    const migration = '005_change_notifications.sql';
    const { rows } = await database.query('DELETE FROM secretstore_migrations WHERE name = $1 RETURNING checksum', [
      migration,
    ]);
    try {
      const message = await expectFailure(['--database-url', url as string, 'watch'], 5, 'SCHEMA_NOT_MIGRATED');
      expect(message).toBe(
        'watch failed: the database has no secret store schema yet; run `secretstore migrate` first',
      );
    } finally {
      await database.query('INSERT INTO secretstore_migrations (name, checksum) VALUES ($1, $2)', [
        migration,
        (rows as { checksum: string }[])[0].checksum,
      ]);
    }
  });
});

describe('secretstore watch over the embedded folder', () => {
  it('is refused as a configuration error (3) that names the folder, and changes nothing there', async () => {
    expectOk(await secretstore(folder.inDataDir('set', 'app/a', JSON.stringify({ token: CANARY }))));
    const message = await expectFailure(folder.inDataDir('watch', 'app/'), 3, 'INVALID_CONFIGURATION');
    expect(message).toBe(
      `Invalid configuration watch: is not available over the embedded database folder ${folder.dataDir}, whose ` +
        'processes share one session: point DATABASE_URL or --database-url at a PostgreSQL server',
    );
    expect(await secretstore(folder.inDataDir('--json', 'history', 'app/a'))).toMatchObject({ code: 0 });
  });
});
