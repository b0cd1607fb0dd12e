import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';

import { Client } from 'pg';

import { sleep } from './watchdog';

const run = promisify(execFile);

/** The newest cluster version under /etc/postgresql, as `ls /etc/postgresql | sort -V | tail -n1` gives it. */
function clusterVersion(): string {
  const versions = readdirSync('/etc/postgresql').sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const newest = versions.at(-1);
  if (newest === undefined) throw new Error('/etc/postgresql holds no cluster');
  return newest;
}

async function pgCtlCluster(action: 'restart' | 'start'): Promise<void> {
  const args = ['--skip-systemctl-redirect', clusterVersion(), 'main', action];
  try {
    await run('pg_ctlcluster', args, { timeout: 60_000 });
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    const why = typeof stderr === 'string' && stderr.trim() ? stderr.trim() : (error as Error).message;
    throw new Error(`pg_ctlcluster ${args.join(' ')} failed: ${why}`, { cause: error });
  }
}

/**
 * Restarts the server: RELIABILITY_RESTART_COMMAND when set (run by a shell, e.g. `docker restart <id>` where
 * PostgreSQL is a container), else the local cluster with pg_ctlcluster (fast shutdown: open connections
 * are terminated).
 */
export async function restartPostgres(): Promise<void> {
  const command = process.env.RELIABILITY_RESTART_COMMAND;
  if (!command) {
    await pgCtlCluster('restart');
    return;
  }
  try {
    await run('sh', ['-c', command], { timeout: 120_000 });
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    const why = typeof stderr === 'string' && stderr.trim() ? stderr.trim() : (error as Error).message;
    throw new Error(`RELIABILITY_RESTART_COMMAND failed: ${why}`, { cause: error });
  }
}

/** When the server's postmaster started: a restart that really happened moves it. */
export async function serverStartTime(serverUrl: string): Promise<Date> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ started: Date }>('SELECT pg_postmaster_start_time() AS started');
    return rows[0].started;
  } finally {
    await client.end();
  }
}

async function answers(serverUrl: string): Promise<boolean> {
  const client = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 1_000 });
  client.on('error', () => {
    // A connection the server drops while we probe it only means "not yet".
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Resolves once the server accepts a connection and a query; rejects after `timeoutMs`. */
export async function waitForPostgres(serverUrl: string, timeoutMs = 60_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await answers(serverUrl))) {
    if (Date.now() > giveUpAt) throw new Error(`PostgreSQL did not answer within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/** Leaves the server running for whatever runs next, starting the cluster if it is down. */
export async function ensurePostgresRunning(serverUrl: string): Promise<void> {
  if (await answers(serverUrl)) return;
  await pgCtlCluster('start');
  await waitForPostgres(serverUrl);
}
