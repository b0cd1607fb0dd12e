import { randomUUID } from 'node:crypto';

import postgres from 'postgres';

import { type Contender, type Entry } from '../contender';
import { POOL_MAX } from '../fixture';
import { prefixRange, type SecretRow } from './columns';

type Sql = ReturnType<typeof postgres>;

/**
 * postgres.js tagged templates, prepared by default. Reads return the envelope text, undecrypted; the bulk
 * insert passes the envelope as a parsed object because postgres.js serializes jsonb parameters itself.
 */
export class PostgresJsContender implements Contender {
  readonly id = 'postgres-js';
  readonly name = 'postgres.js';
  readonly decrypts = false;
  private readonly sql: Sql;
  private readonly envelopeObject: postgres.JSONValue;

  constructor(
    url: string,
    private readonly envelope: string,
    private readonly keyId: string,
  ) {
    this.sql = postgres(url, { max: POOL_MAX, onnotice: () => undefined });
    this.envelopeObject = JSON.parse(envelope) as postgres.JSONValue;
  }

  async get(key: string): Promise<Entry | undefined> {
    const [row] = await this.sql<SecretRow[]>`
      SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version,
             created_at AS "createdAt", updated_at AS "updatedAt"
      FROM secret_store WHERE key = ${key}`;
    return row && { key: row.key, value: row.valueJson };
  }

  async upsert(key: string): Promise<void> {
    await this.sql`
      INSERT INTO secret_store (key, value, encoding, key_id, write_id)
      VALUES (${key}, ${this.envelope}::text::jsonb, 'aes-256-gcm', ${this.keyId}, gen_random_uuid()::text)
      ON CONFLICT (key) DO UPDATE
      SET value = EXCLUDED.value, encoding = EXCLUDED.encoding, key_id = EXCLUDED.key_id, write_id = EXCLUDED.write_id,
          version = secret_store.version + 1, updated_at = now()
      RETURNING version`;
  }

  async listByPrefix(prefix: string): Promise<Entry[]> {
    const { lowerBound, upperBound } = prefixRange(prefix);
    const rows = await this.sql<SecretRow[]>`
      SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version,
             created_at AS "createdAt", updated_at AS "updatedAt"
      FROM secret_store WHERE key >= ${lowerBound} AND key < ${upperBound} ORDER BY key`;
    return rows.map((row) => ({ key: row.key, value: row.valueJson }));
  }

  async getByKeys(keys: string[]): Promise<Entry[]> {
    const rows = await this.sql<SecretRow[]>`
      SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version,
             created_at AS "createdAt", updated_at AS "updatedAt"
      FROM secret_store WHERE key = ANY(${keys}::text[]) ORDER BY key`;
    return rows.map((row) => ({ key: row.key, value: row.valueJson }));
  }

  async bulkSet(keys: string[]): Promise<number> {
    const rows = keys.map((key) => ({
      key,
      value: this.envelopeObject,
      encoding: 'aes-256-gcm',
      key_id: this.keyId,
      write_id: randomUUID(),
    }));
    const written = await this.sql`
      INSERT INTO secret_store ${this.sql(rows, 'key', 'value', 'encoding', 'key_id', 'write_id')}
      ON CONFLICT (key) DO UPDATE
      SET value = EXCLUDED.value, encoding = EXCLUDED.encoding, key_id = EXCLUDED.key_id, write_id = EXCLUDED.write_id,
          version = secret_store.version + 1, updated_at = now()
      RETURNING key, version`;
    return written.length;
  }

  close(): Promise<void> {
    return this.sql.end();
  }
}
