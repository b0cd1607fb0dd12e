import { type Pool } from 'pg';
import { z } from 'zod';

import { PostgresSecretStoreRepository, SecretStore, type KeyringOptions } from '../../dist/index.js';
import { type Contender, type Entry } from '../contender';
import { type SecretValue } from '../fixture';

const secretSchema = z.object({
  owner: z.string(),
  apiKey: z.string(),
  webhookSecret: z.string(),
  scopes: z.array(z.string()),
  rotatedAt: z.string(),
});

/** Ours: encrypts every write, decrypts and zod-validates every read. */
export class SecretStoreContender implements Contender {
  readonly id = 'secretstore';
  readonly name = 'SecretStore';
  readonly store: SecretStore;

  constructor(
    private readonly pool: Pool,
    encryption: KeyringOptions,
    private readonly writeValue: SecretValue,
  ) {
    this.store = new SecretStore(new PostgresSecretStoreRepository(pool), { encryption });
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

  close(): Promise<void> {
    return this.pool.end();
  }
}
