import { readDatabaseConfig, type Environment } from '../database/config';
import type { DatabaseInput } from '../database/queryable';
import { SecretStoreConfigError } from '../errors';
import type { SecretStoreLogger } from '../logger';
import {
  chooseDatabase,
  createSecretStore,
  describeTarget,
  openTarget,
  storeLocation,
  type DatabaseTarget,
  type StoreLocation,
} from '../secretstore/create';
import type { SecretStore } from '../secretstore/service';

/** The global options that choose the database. */
export interface DatabaseOptions {
  /** --database-url: a server, instead of DATABASE_URL / PG*. */
  databaseUrl?: string;
  /** --data-dir: the embedded database in this folder, instead of SECRETSTORE_DATA_DIR or a configured server. */
  dataDir?: string;
}

// The variables that make createSecretStore choose a server; --data-dir sets them aside.
const SERVER_VARIABLES = ['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE'] as const;

/** --database-url, checked as DATABASE_URL is; errors name the option and never repeat the URL. */
function checkedDatabaseUrl(url: string): string {
  if (url.trim() === '') throw new SecretStoreConfigError('--database-url', 'is empty');
  try {
    readDatabaseConfig({ DATABASE_URL: url });
  } catch (error) {
    if (error instanceof SecretStoreConfigError) throw new SecretStoreConfigError('--database-url', error.problem);
    throw error;
  }
  return url.trim();
}

/**
 * Opens what a command needs, chosen by the global options over the environment: a flag beats a variable,
 * so `--data-dir` uses the embedded database even where DATABASE_URL is set.
 */
export class DatabaseAccess {
  private readonly env: Environment;

  constructor(
    private readonly options: DatabaseOptions,
    env: Environment,
    /** Receives the development-key warning, so that it reaches the CLI's own stderr. */
    private readonly logger?: SecretStoreLogger,
  ) {
    this.env =
      options.dataDir === undefined
        ? env
        : Object.fromEntries(
            Object.entries(env).filter(([name]) => !(SERVER_VARIABLES as readonly string[]).includes(name)),
          );
  }

  private get databaseUrl(): string | undefined {
    return this.options.databaseUrl === undefined ? undefined : checkedDatabaseUrl(this.options.databaseUrl);
  }

  /** The choice createSecretStore makes from the same inputs: a URL given, else DATABASE_URL or PG*, else embedded. */
  private target(): DatabaseTarget {
    return chooseDatabase(this.databaseUrl, this.options.dataDir, this.env);
  }

  /** Runs `work` with a store from createSecretStore (which reads the keyring, or makes the embedded one), then closes it. */
  async withStore<T>(work: (store: SecretStore, location: StoreLocation) => Promise<T>): Promise<T> {
    const store = await createSecretStore({
      db: this.databaseUrl,
      dataDir: this.options.dataDir,
      env: this.env,
      logger: this.logger,
    });
    try {
      return await work(store, storeLocation(store) ?? describeTarget(this.target()));
    } finally {
      await store.close();
    }
  }

  /**
   * Runs `work` on the database itself, with no store and no keyring: for migrations, which need neither.
   * createSecretStore does not hand out its connection, so this opens one of its own.
   */
  async withDatabase<T>(work: (db: DatabaseInput, location: StoreLocation) => Promise<T>): Promise<T> {
    const opened = await openTarget(this.target(), { max: 1 });
    try {
      return await work(opened.database, opened.location);
    } finally {
      await opened.release();
    }
  }
}
