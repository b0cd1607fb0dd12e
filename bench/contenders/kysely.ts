import { type ColumnType, type Generated, Kysely, PostgresDialect, sql } from 'kysely';
import { type Pool } from 'pg';

import { type Contender, type Entry } from '../contender';
import { prefixRange } from './columns';

interface SecretStoreTable {
  key: string;
  /** Written as JSON text; read through value::text only. */
  value: ColumnType<unknown, string, string>;
  encoding: string;
  key_id: string | null;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

interface BenchDatabase {
  secret_store: SecretStoreTable;
}

/** A small Kysely repository over a pg Pool: what an application would write instead of this package. */
export class KyselyContender implements Contender {
  readonly id = 'kysely';
  readonly name = 'Kysely';
  readonly decrypts = false;
  private readonly db: Kysely<BenchDatabase>;

  constructor(
    pool: Pool,
    private readonly envelope: string,
    private readonly keyId: string,
  ) {
    this.db = new Kysely<BenchDatabase>({ dialect: new PostgresDialect({ pool }) });
  }

  private selectSecrets() {
    return this.db
      .selectFrom('secret_store')
      .select([
        'key',
        sql<string>`value::text`.as('valueJson'),
        'encoding',
        'key_id',
        'version',
        'created_at',
        'updated_at',
      ]);
  }

  async get(key: string): Promise<Entry | undefined> {
    const row = await this.selectSecrets().where('key', '=', key).executeTakeFirst();
    return row && { key: row.key, value: row.valueJson };
  }

  async upsert(key: string): Promise<void> {
    await this.db
      .insertInto('secret_store')
      .values({ key, value: this.envelope, encoding: 'aes-256-gcm', key_id: this.keyId })
      .onConflict((conflict) =>
        conflict.column('key').doUpdateSet((eb) => ({
          value: eb.ref('excluded.value'),
          encoding: eb.ref('excluded.encoding'),
          key_id: eb.ref('excluded.key_id'),
          version: sql<number>`secret_store.version + 1`,
          updated_at: sql<Date>`now()`,
        })),
      )
      .returning('version')
      .executeTakeFirstOrThrow();
  }

  async listByPrefix(prefix: string): Promise<Entry[]> {
    const { lowerBound, upperBound } = prefixRange(prefix);
    const rows = await this.selectSecrets()
      .where('key', '>=', lowerBound)
      .where('key', '<', upperBound)
      .orderBy('key')
      .execute();
    return rows.map((row) => ({ key: row.key, value: row.valueJson }));
  }

  async getByKeys(keys: string[]): Promise<Entry[]> {
    const rows = await this.selectSecrets()
      .where((eb) => eb('key', '=', eb.fn.any(eb.val(keys))))
      .orderBy('key')
      .execute();
    return rows.map((row) => ({ key: row.key, value: row.valueJson }));
  }

  async bulkSet(keys: string[]): Promise<number> {
    const written = await this.db
      .insertInto('secret_store')
      .values(keys.map((key) => ({ key, value: this.envelope, encoding: 'aes-256-gcm', key_id: this.keyId })))
      .onConflict((conflict) =>
        conflict.column('key').doUpdateSet((eb) => ({
          value: eb.ref('excluded.value'),
          encoding: eb.ref('excluded.encoding'),
          key_id: eb.ref('excluded.key_id'),
          version: sql<number>`secret_store.version + 1`,
          updated_at: sql<Date>`now()`,
        })),
      )
      .returning(['key', 'version'])
      .execute();
    return written.length;
  }

  close(): Promise<void> {
    // The Kysely instance owns the pool it was given: destroying it ends the pool.
    return this.db.destroy();
  }
}
