import { type Pool } from 'pg';

import {
  PostgresSecretStoreRepository,
  SecretStore,
  type KeyringOptions,
  type SecretStoreOptions,
} from '../../dist/index.js';
import { type Contender, type Entry } from '../contender';
import { secretSchema, type SecretValue } from '../fixture';

/**
 * Ours: encrypts every write, decrypts and zod-validates every read; with `cache`, reads are served from
 * memory, invalidated by the database's change notifications.
 */
export class SecretStoreContender implements Contender {
  readonly id: string;
  readonly name: string;
  readonly decrypts = true;
  readonly store: SecretStore;

  constructor(
    private readonly pool: Pool,
    encryption: KeyringOptions,
    private readonly writeValue: SecretValue,
    cache?: SecretStoreOptions['cache'],
  ) {
    this.id = cache ? 'secretstore-cached' : 'secretstore';
    this.name = cache ? 'SecretStore cached' : 'SecretStore';
    this.store = new SecretStore(new PostgresSecretStoreRepository(pool), { encryption, ...(cache && { cache }) });
  }

  async get(key: string): Promise<Entry | undefined> {
    const value = await this.store.getSecret(secretSchema, key);
    return value === undefined ? undefined : { key, value };
  }

  async upsert(key: string): Promise<void> {
    await this.store.setSecret(key, this.writeValue);
  }

  listByPrefix(prefix: string): Promise<Entry[]> {
    return this.store.getSecrets(secretSchema, prefix);
  }

  getByKeys(keys: string[]): Promise<Entry[]> {
    return this.store.getSecretsByKeys(secretSchema, keys);
  }

  async bulkSet(keys: string[]): Promise<number> {
    const written = await this.store.setSecrets(keys.map((key) => ({ key, value: this.writeValue })));
    return written.length;
  }

  /** The baseline setSecrets is measured against: one setSecret call per key, one after the other. */
  async setSequentially(keys: string[]): Promise<number> {
    for (const key of keys) await this.store.setSecret(key, this.writeValue);
    return keys.length;
  }

  async close(): Promise<void> {
    // A store with a cache listens on a connection of its own: closed before the pool it came from.
    await this.store.close();
    await this.pool.end();
  }
}
