import { existsSync } from 'node:fs';

import { Client } from 'pg';

import { eventually } from '../support/eventually';
import { type ReplicationCluster, startPgBouncer, startReplicationCluster } from '../support/postgres-cluster';

/** initdb, pg_basebackup and (the first time) apt-get install pgbouncer take seconds, not milliseconds. */
const SETUP_MILLIS = 120_000;

async function ids(cluster: ReplicationCluster, node: 'primary' | 'standby'): Promise<number[]> {
  const target = node === 'primary' ? cluster.primary : cluster.standbys[0];
  const rows = await target.query<{ id: number }>('SELECT id FROM replicated ORDER BY id');
  return rows.map((row) => row.id);
}

describe('an asynchronous cluster of a primary and one standby', () => {
  let cluster: ReplicationCluster;

  beforeAll(async () => {
    cluster = await startReplicationCluster({ primaryStatements: ['CREATE TABLE replicated (id int PRIMARY KEY)'] });
  }, SETUP_MILLIS);

  afterAll(async () => {
    await cluster?.close();
  }, SETUP_MILLIS);

  it(
    'shows the standby what the primary wrote, and holds it back while replay is paused',
    async () => {
      const [standby] = cluster.standbys;
      await cluster.primary.query('INSERT INTO replicated VALUES (1)');
      await cluster.caughtUp();
      expect(await ids(cluster, 'standby')).toEqual([1]);

      await standby.pauseReplay();
      await cluster.primary.query('INSERT INTO replicated VALUES (2)');
      const [{ lsn }] = await cluster.primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      // Received but not replayed: the row is on the standby's disk and still invisible there.
      await eventually(
        'the standby receives the second row',
        async () => {
          const [row] = await standby.query<{ received: boolean }>(
            'SELECT pg_last_wal_receive_lsn() >= $1::pg_lsn AS received',
            [lsn],
          );
          return row.received || undefined;
        },
        60_000,
      );
      expect(await ids(cluster, 'standby')).toEqual([1]);
      await expect(standby.waitForReplay(lsn, 300)).rejects.toThrow(/^standby1 .*replay up to/);

      await standby.resumeReplay();
      await standby.waitForReplay(lsn);
      expect(await ids(cluster, 'standby')).toEqual([1, 2]);
    },
    SETUP_MILLIS,
  );

  it('serves the standby through PgBouncer', async () => {
    const [standby] = cluster.standbys;
    const bouncer = await startPgBouncer(standby);
    try {
      const client = new Client({ connectionString: bouncer.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ recovering: boolean; port: string }>(
          "SELECT pg_is_in_recovery() AS recovering, current_setting('port') AS port",
        );
        expect(rows).toEqual([{ recovering: true, port: String(standby.port) }]);
      } finally {
        await client.end();
      }
    } finally {
      await bouncer.stop();
    }
  }, 300_000);

  it(
    'promotes the standby once the primary is gone, and the standby then takes writes',
    async () => {
      const [standby] = cluster.standbys;
      await cluster.primary.stop('immediate');
      await expect(cluster.primary.query('SELECT 1')).rejects.toThrow();
      await expect(standby.query('INSERT INTO replicated VALUES (3)')).rejects.toMatchObject({ code: '25006' });

      await standby.promote();
      await standby.query('INSERT INTO replicated VALUES (3)');
      expect(await ids(cluster, 'standby')).toEqual([1, 2, 3]);
    },
    SETUP_MILLIS,
  );
});

describe('a synchronous cluster', () => {
  it(
    'holds a commit on the primary while its standby is down, and close() leaves nothing behind',
    async () => {
      const cluster = await startReplicationCluster({
        synchronous: true,
        primaryStatements: ['CREATE TABLE replicated (id int PRIMARY KEY)'],
      });
      const writer = new Client({ connectionString: cluster.primary.url });
      writer.on('error', () => undefined);
      try {
        const [standby] = cluster.standbys;
        expect(await cluster.primary.query('SHOW synchronous_standby_names')).toEqual([
          { synchronous_standby_names: 'FIRST 1 (standby1)' },
        ]);
        expect(await cluster.primary.query('SELECT application_name, sync_state FROM pg_stat_replication')).toEqual([
          { application_name: 'standby1', sync_state: 'sync' },
        ]);

        await standby.stop();
        await writer.connect();
        const commit = writer.query('INSERT INTO replicated VALUES (1)');
        await eventually(
          'the commit waits for the standby',
          async () => {
            const rows = await cluster.primary.query("SELECT 1 FROM pg_stat_activity WHERE wait_event = 'SyncRep'");
            return rows.length === 1 || undefined;
          },
          60_000,
        );

        await standby.start();
        await commit;
        await cluster.caughtUp();
        expect(await ids(cluster, 'standby')).toEqual([1]);
      } finally {
        await cluster.close();
        await writer.end().catch(() => undefined);
      }
      expect(existsSync(cluster.primary.dataDir)).toBe(false);
      expect(existsSync(cluster.standbys[0].dataDir)).toBe(false);
      await expect(cluster.close()).resolves.toBeUndefined();
    },
    SETUP_MILLIS,
  );
});
