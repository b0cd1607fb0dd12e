import { randomBytes } from 'node:crypto';

import { Client } from 'pg';

export interface ScratchDatabase {
  name: string;
  /** Connection string of the scratch database. */
  url: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

export interface ScratchDatabaseOptions {
  /**
   * Where CREATE and DROP DATABASE go, when `serverUrl` is a connection pooler (PgBouncer): the server itself.
   * Default `serverUrl`.
   */
  adminUrl?: string;
}

async function withAdminClient<T>(adminUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database with a unique name on the server of `serverUrl`, and returns its connection string
 * through `serverUrl`'s host and port (through the pooler, when that is one).
 */
export async function createScratchDatabase(
  serverUrl: string,
  prefix: string,
  options: ScratchDatabaseOptions = {},
): Promise<ScratchDatabase> {
  const adminUrl = options.adminUrl ?? serverUrl;
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () =>
      withAdminClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}
