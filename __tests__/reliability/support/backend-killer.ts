import { Client } from 'pg';

import { sleep } from './watchdog';

export interface KillReport {
  ticks: number;
  /** Backends pg_terminate_backend reported as signalled. */
  terminated: number;
  /** The first failure of the killer's own connection or query: it must keep working throughout. */
  firstFailure: string | undefined;
}

export interface BackendKiller {
  stop(): Promise<KillReport>;
}

// Every client backend of the database, each tick: in-flight statements, idle pool connections and
// connections still starting up all get cut, many times over.
const TERMINATE_BACKENDS = `
  SELECT pg_terminate_backend(pid) AS terminated
  FROM pg_stat_activity
  WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`;

/**
 * Every `intervalMs`, terminates every backend connected to `databaseName`, over its own admin connection
 * to the server's `postgres` database (never through the pool under test).
 */
export async function startBackendKiller(
  serverUrl: string,
  databaseName: string,
  intervalMs: number,
): Promise<BackendKiller> {
  const client = new Client({ connectionString: serverUrl, application_name: 'reliability-killer' });
  const report: KillReport = { ticks: 0, terminated: 0, firstFailure: undefined };
  client.on('error', (error) => {
    // A lost admin connection fails the ticks after it; the report carries the reason.
    report.firstFailure ??= error.message;
  });
  await client.connect();
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      try {
        const { rows } = await client.query<{ terminated: boolean }>(TERMINATE_BACKENDS, [databaseName]);
        report.terminated += rows.filter((row) => row.terminated).length;
      } catch (error) {
        report.firstFailure ??= error instanceof Error ? error.message : String(error);
      }
      report.ticks++;
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      await client.end();
      return { ...report };
    },
  };
}
