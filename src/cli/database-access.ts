import { readDatabaseConfig, readSetting, SERVER_VARIABLES, type Environment } from '../database/config';
import type { DatabaseInput } from '../database/database';
import { SecretStoreConfigError, StoreNotFoundError } from '../errors';
import type { SecretStoreLogger } from '../logger';
import {
  chooseDatabase,
  describeTarget,
  openTarget,
  type DatabaseTarget,
  type StoreLocation,
} from '../database/database-target';
import { ensureDevelopmentKey } from '../encryption/development-key';
import { createSecretStore } from '../secretstore/create-secret-store';
import type { SecretStore } from '../secretstore/secret-store';
import { chooseActor } from './actor';

/** The global options a store is opened with: which database, and who the changes are attributed to. */
export interface DatabaseChoice {
  /** --database-url: a server, instead of DATABASE_URL / PG*. */
  databaseUrl?: string;
  /** --data-dir: the embedded database in this folder, instead of SECRETSTORE_DATA_DIR or a configured server. */
  dataDir?: string;
  /** False with --no-prepared-statements; commander sets true otherwise, which leaves the choice to the environment. */
  preparedStatements?: boolean;
  /** --actor: who the changes are attributed to in the audit trail (see chooseActor). */
  actor?: string;
}

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
    private readonly options: DatabaseChoice,
    env: Environment,
    /** Receives the warnings about the data folder and its key, so that they reach the CLI's own stderr. */
    private readonly logger?: SecretStoreLogger,
  ) {
    this.env =
      options.dataDir === undefined
        ? env
        : // --data-dir sets aside the variables that would choose a server.
          Object.fromEntries(
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

  /** Where the global options and the environment point, as `status` shows it; opens nothing. */
  location(): StoreLocation {
    return describeTarget(this.target());
  }

  private openStore(createIfMissing: boolean, keyless = false): Promise<SecretStore> {
    return createSecretStore({
      db: this.databaseUrl,
      dataDir: this.options.dataDir,
      env: this.env,
      logger: this.logger,
      createIfMissing,
      // A store that reads no value needs no keyring; without one it can decrypt nothing, and must write nothing.
      encryption: keyless ? 'none' : undefined,
      // The flag can only turn them off; without it SECRETSTORE_PREPARED_STATEMENTS decides.
      preparedStatements: this.options.preparedStatements === false ? false : undefined,
    });
  }

  /** Runs `work` with a store from createSecretStore (which reads the keyring, or makes the embedded one), then closes it. */
  async withStore<T>(work: (store: SecretStore, location: StoreLocation) => Promise<T>): Promise<T> {
    return this.run(await this.openStore(true), work);
  }

  /**
   * As withStore, for commands that only read, and so create nothing: where the embedded data folder holds
   * no store, `absent` runs instead, with that folder's location.
   */
  async withExistingStore<T>(
    work: (store: SecretStore, location: StoreLocation) => Promise<T>,
    absent: (location: StoreLocation) => T,
  ): Promise<T> {
    let store: SecretStore;
    try {
      store = await this.openStore(false);
    } catch (error) {
      if (error instanceof StoreNotFoundError) return absent(describeTarget(this.target()));
      throw error;
    }
    return this.run(store, work);
  }

  /**
   * Runs `work` with a store opened without a keyring, for commands that read no value and write nothing
   * (watch): SECRETSTORE_ENCRYPTION_KEYS is neither needed nor read. It creates no embedded store.
   */
  async withKeylessStore<T>(work: (store: SecretStore, location: StoreLocation) => Promise<T>): Promise<T> {
    return this.run(await this.openStore(false, true), work);
  }

  private async run<T>(
    store: SecretStore,
    work: (store: SecretStore, location: StoreLocation) => Promise<T>,
  ): Promise<T> {
    try {
      // Every change made through the store is attributed, without each command having to pass it.
      const actor = chooseActor(this.options.actor, this.env);
      return await store.withActor(actor, () =>
        work(store, store.describe().location ?? describeTarget(this.target())),
      );
    } finally {
      await store.close();
    }
  }

  /**
   * Runs `work` on the database itself, with no store and no keyring: for migrations, which need neither.
   * createSecretStore does not hand out its connection, so this opens one of its own.
   */
  async withDatabase<T>(work: (db: DatabaseInput, location: StoreLocation) => Promise<T>): Promise<T> {
    // A database is never made in a folder without the key its secrets will need (unless the keyring is given).
    const needsDevelopmentKey = readSetting(this.env, 'SECRETSTORE_ENCRYPTION_KEYS') === undefined;
    const opened = await openTarget(this.target(), {
      pool: { max: 1 },
      logger: this.logger,
      beforeOpening: needsDevelopmentKey ? (dataDir) => ensureDevelopmentKey(dataDir, this.logger) : undefined,
    });
    try {
      return await work(opened.database, opened.location);
    } finally {
      await opened.release();
    }
  }
}
