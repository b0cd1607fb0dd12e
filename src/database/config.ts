import { SecretStoreConfigError } from '../errors';
import { describeHosts, parseHostList } from './multi-host-url';

/** Connection settings for node-postgres, resolved from the environment once, at the edge. */
export interface DatabaseConfig {
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** The libpq variables the store reads when DATABASE_URL is unset. */
const PG_VARIABLES = ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE'] as const;

/** Every variable that makes the store choose a server: DATABASE_URL, else the PG* variables. */
export const SERVER_VARIABLES = ['DATABASE_URL', ...PG_VARIABLES] as const;

/**
 * A variable of this package, undefined when unset. Set but blank is refused, naming the variable: it is a
 * mistake (an unfilled template, a failed substitution) that would otherwise silently mean "unset".
 * Not for the PG* variables, which follow libpq: there an empty value is the default, and PGPASSWORD may be empty.
 */
export function readSetting(env: Environment, name: string): string | undefined {
  const value = env[name];
  if (value !== undefined && value.trim() === '') {
    throw new SecretStoreConfigError(name, 'is empty');
  }
  return value;
}

/**
 * Reads `DATABASE_URL`, or else the libpq `PG*` variables. Returns undefined when none is set.
 * Throws SecretStoreConfigError for a malformed or empty DATABASE_URL or PGPORT, naming the variable (never
 * its content: a URL may hold a password).
 */
export function readDatabaseConfig(env: Environment): DatabaseConfig | undefined {
  const url = readSetting(env, 'DATABASE_URL')?.trim();
  // Several servers (libpq's host list), which `new URL` refuses: read as libpq reads them.
  if (url !== undefined && (parseHostList(url, 'DATABASE_URL')?.hosts.length ?? 0) > 1) {
    return { connectionString: url };
  }
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new SecretStoreConfigError('DATABASE_URL', 'is not a valid URL');
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw new SecretStoreConfigError('DATABASE_URL', 'must start with postgres:// or postgresql://');
    }
    // An unencoded '/' in the password moves the rest of the credentials into the path.
    if (parsed.pathname.includes('@')) {
      throw new SecretStoreConfigError(
        'DATABASE_URL',
        "is malformed: percent-encode '/', '@', '#' and '?' in the password",
      );
    }
    return { connectionString: url };
  }

  if (!PG_VARIABLES.some((name) => env[name])) return undefined;
  const config: DatabaseConfig = {};
  if (env.PGHOST) config.host = env.PGHOST;
  if (env.PGUSER) config.user = env.PGUSER;
  if (env.PGPASSWORD !== undefined) config.password = env.PGPASSWORD;
  if (env.PGDATABASE) config.database = env.PGDATABASE;
  if (env.PGPORT) {
    const port = /^\d{1,5}$/.test(env.PGPORT) ? Number(env.PGPORT) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      throw new SecretStoreConfigError('PGPORT', 'must be a port number between 1 and 65535');
    }
    config.port = port;
  }
  return config;
}

/** A short description of where a config points, without credentials. */
export function describeDatabaseConfig(config: DatabaseConfig): string {
  const listed = config.connectionString === undefined ? undefined : parseListedHosts(config.connectionString);
  if (listed !== undefined) return listed;
  if (config.connectionString) {
    try {
      const url = new URL(config.connectionString);
      const database = url.pathname.includes('@') ? '' : url.pathname;
      return `${url.hostname || 'localhost'}:${url.port || '5432'}${database}`;
    } catch {
      return 'DATABASE_URL';
    }
  }
  return `${config.host ?? 'localhost'}:${config.port ?? 5432}/${config.database ?? config.user ?? ''}`;
}

/** `hostA:5432,hostB:5433/db` for a string that lists several servers; undefined for any other. */
function parseListedHosts(connectionString: string): string | undefined {
  try {
    const list = parseHostList(connectionString, 'DATABASE_URL');
    if (list === undefined || list.hosts.length < 2) return undefined;
    const path = /^[^/]*\/\/[^/?#]*(\/[^?#]*)?/.exec(connectionString)?.[1] ?? '';
    return `${describeHosts(list.hosts)}${path.includes('@') ? '' : path}`;
  } catch {
    return undefined;
  }
}
