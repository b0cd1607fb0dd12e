import { Client } from 'pg';

import { sleep } from './watchdog';

/** Today's interval on a fast machine, and the floor everywhere: no machine gets a gentler rate than this. */
export const KILL_INTERVAL_FLOOR_MS = 50;
/**
 * The interval in connection costs, so that the fault rate relative to the machine's speed is fixed, not the
 * interval: 50 ms is about 14 of them where a connection costs 3.5 ms, so such a machine stays at the floor.
 */
export const KILL_INTERVAL_IN_CONNECTION_COSTS = 12;

/**
 * The interval in pool reopenings: the store must have time to reopen its whole pool between two kills and
 * do some work, or no write could ever land (where starting a process is slow, 12 single connections' time is
 * less than reopening 10 at once).
 */
export const KILL_INTERVAL_IN_RECONNECTIONS = 3;

/**
 * The kill interval for a machine where opening a connection costs `connectionCostMs` and reopening the pool
 * `reconnectionCostMs`.
 */
export function killIntervalFor(connectionCostMs: number, reconnectionCostMs: number): number {
  return Math.max(
    KILL_INTERVAL_FLOOR_MS,
    Math.round(KILL_INTERVAL_IN_CONNECTION_COSTS * connectionCostMs),
    Math.round(KILL_INTERVAL_IN_RECONNECTIONS * reconnectionCostMs),
  );
}

export interface KillReport {
  ticks: number;
  /** Ticks that terminated at least one backend: kills that landed on a live connection. */
  killingTicks: number;
  /** Backends pg_terminate_backend reported as signalled. */
  terminated: number;
  /** The first failure of the killer's own connection or query: it must keep working throughout. */
  firstFailure: string | undefined;
}

export interface BackendKiller {
  /** Live counts, for a load that goes on until enough kills have landed. */
  progress: Readonly<KillReport>;
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
  const report: KillReport = { ticks: 0, killingTicks: 0, terminated: 0, firstFailure: undefined };
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
        const terminated = rows.filter((row) => row.terminated).length;
        report.terminated += terminated;
        if (terminated > 0) report.killingTicks++;
      } catch (error) {
        report.firstFailure ??= error instanceof Error ? error.message : String(error);
      }
      report.ticks++;
      await sleep(intervalMs);
    }
  })();
  return {
    progress: report,
    async stop() {
      stopping = true;
      await loop;
      await client.end();
      return { ...report };
    },
  };
}
