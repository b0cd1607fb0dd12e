import { type Pool, type QueryResultRow } from 'pg';

import { type Contender, type Entry } from '../contender';
import { ON_CONFLICT_UPDATE, prefixRange, SELECT_COLUMNS, type SecretRow } from './columns';

const STATEMENTS = {
  get: `SELECT ${SELECT_COLUMNS} FROM secret_store WHERE key = $1`,
  upsert: `INSERT INTO secret_store (key, value, encoding, key_id, write_id)
VALUES ($1, $2::text::jsonb, 'aes-256-gcm', $3, gen_random_uuid()::text)
${ON_CONFLICT_UPDATE} RETURNING version`,
  listByPrefix: `SELECT ${SELECT_COLUMNS} FROM secret_store WHERE key >= $1 AND key < $2 ORDER BY key`,
  getByKeys: `SELECT ${SELECT_COLUMNS} FROM secret_store WHERE key = ANY($1::text[]) ORDER BY key`,
  bulkSet: `INSERT INTO secret_store (key, value, encoding, key_id, write_id)
SELECT entry.key, entry.value_json::jsonb, 'aes-256-gcm', $3, gen_random_uuid()::text FROM unnest($1::text[], $2::text[]) AS entry (key, value_json)
${ON_CONFLICT_UPDATE} RETURNING key, version`,
};

function toEntry(row: SecretRow): Entry {
  return { key: row.key, value: row.valueJson };
}

/**
 * node-postgres with hand-written SQL: the floor. Unnamed, every query is parsed and planned again; named
 * (`{ name, text, values }`), each pooled connection prepares a statement once and then only binds it.
 * Writes store the sample envelope as they are; reads return the envelope text, undecrypted.
 */
export class RawPgContender implements Contender {
  readonly id: string;
  readonly name: string;
  readonly decrypts = false;

  constructor(
    private readonly pool: Pool,
    private readonly named: boolean,
    private readonly envelope: string,
    private readonly keyId: string,
  ) {
    this.id = named ? 'pg-named' : 'pg';
    this.name = named ? 'pg (named prepared)' : 'pg';
  }

  private query<R extends QueryResultRow>(statement: keyof typeof STATEMENTS, values: unknown[]) {
    const text = STATEMENTS[statement];
    return this.named
      ? this.pool.query<R>({ name: `bench_${statement}`, text, values })
      : this.pool.query<R>(text, values);
  }

  async get(key: string): Promise<Entry | undefined> {
    const { rows } = await this.query<SecretRow>('get', [key]);
    return rows[0] && toEntry(rows[0]);
  }

  async upsert(key: string): Promise<void> {
    await this.query('upsert', [key, this.envelope, this.keyId]);
  }

  async listByPrefix(prefix: string): Promise<Entry[]> {
    const { lowerBound, upperBound } = prefixRange(prefix);
    const { rows } = await this.query<SecretRow>('listByPrefix', [lowerBound, upperBound]);
    return rows.map(toEntry);
  }

  async getByKeys(keys: string[]): Promise<Entry[]> {
    const { rows } = await this.query<SecretRow>('getByKeys', [keys]);
    return rows.map(toEntry);
  }

  async bulkSet(keys: string[]): Promise<number> {
    const { rows } = await this.query('bulkSet', [keys, keys.map(() => this.envelope), this.keyId]);
    return rows.length;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
