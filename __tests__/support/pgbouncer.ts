import { Client } from 'pg';

/**
 * The version of the PgBouncer answering at `url`'s host and port (`PgBouncer 1.18.0`…), read from its admin
 * console; undefined when what answers there is not PgBouncer, or does not let this user in.
 */
export async function pgbouncerVersion(url: string): Promise<string | undefined> {
  const adminConsole = new URL(url);
  adminConsole.pathname = '/pgbouncer';
  const client = new Client({ connectionString: adminConsole.toString(), connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    // The admin console speaks only the simple protocol: a query without values.
    const { rows } = await client.query<{ version?: unknown }>('SHOW VERSION');
    const version = rows[0]?.version;
    return typeof version === 'string' && version.startsWith('PgBouncer') ? version : undefined;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}
