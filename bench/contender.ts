/** One key and what a contender read for it: the decrypted value for the contenders that decrypt, the stored envelope text for the others. */
export interface Entry {
  key: string;
  value: unknown;
}

/** The operations every contender runs against the same table, over its own connection pool of the same size. */
export interface Contender {
  /** Names this contender's own write keys: bench.<id>.… */
  readonly id: string;
  readonly name: string;
  /** Reads return decrypted, validated values (SecretStore and the floor), not the stored envelope text. */
  readonly decrypts: boolean;
  get(key: string): Promise<Entry | undefined>;
  /** Inserts or replaces one secret. */
  upsert(key: string): Promise<void>;
  /** The 1,000 rows under a prefix, ordered by key. */
  listByPrefix(prefix: string): Promise<Entry[]>;
  /** The rows of those keys, ordered by key. */
  getByKeys(keys: string[]): Promise<Entry[]>;
  /** Inserts or replaces every key in one statement; resolves the number of rows written. */
  bulkSet(keys: string[]): Promise<number>;
  close(): Promise<void>;
}
