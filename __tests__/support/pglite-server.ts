import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** A PGlite instance served over the PostgreSQL protocol on 127.0.0.1 (pglite-socket): a server a pg client reaches. */
export interface ServedPGlite {
  /** `host:port` where it listens. */
  hostPort: string;
  /** A connection string for it: user postgres, database postgres. */
  url: string;
  /** Stops serving; the instance stays open. Stopping rolls back what clients left open, on the live instance. */
  stop(): Promise<void>;
}

/** Serves `db` on a free port of 127.0.0.1 to at most `maxConnections` clients at once. */
export async function servePGlite(db: PGlite, { maxConnections = 8 } = {}): Promise<ServedPGlite> {
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
  await server.start();
  const hostPort = server.getServerConn();
  return { hostPort, url: `postgres://postgres@${hostPort}/postgres`, stop: () => server.stop() };
}

/** A fresh in-memory PGlite, served: a throwaway PostgreSQL server. */
export interface PGliteServer extends ServedPGlite {
  db: PGlite;
  /** Stops serving, then closes the instance. */
  close(): Promise<void>;
}

export async function startPGliteServer(options: { maxConnections?: number } = {}): Promise<PGliteServer> {
  const db = await PGlite.create();
  const served = await servePGlite(db, options);
  return {
    ...served,
    db,
    async close() {
      await served.stop();
      await db.close();
    },
  };
}
