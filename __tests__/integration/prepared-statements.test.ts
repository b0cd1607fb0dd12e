import { type PGlite } from '@electric-sql/pglite';
import type { Pool } from 'pg';

import { randomUUID } from 'node:crypto';

import { statementName } from '../../src/database/statement-name';
import { toDatabase } from '../../src/database/to-database';
import { createPool } from '../../src/database/pool';
import { HASH_AUDIT_MAC } from '../../src/encryption/audit-mac';
import { auditEntry } from '../../src/secretstore/audit-trail';
import { PostgresSecretStoreRepository } from '../../src';
import { useTestDatabase } from '../harness/database';

const testDatabase = useTestDatabase();

/** An unconditional write of plaintext `valueJson`, with its audit record, as the store sends one. */
function writePlain(repository: PostgresSecretStoreRepository, key: string, valueJson: string) {
  const writeId = randomUUID();
  return repository.writeSecret(
    key,
    { valueJson, encoding: 'plain', keyId: null, writeId },
    { maxVersions: 10, operation: 'set', audit: auditEntry(HASH_AUDIT_MAC, 'set', key, writeId, null) },
  );
}

/** The statements prepared in the session `run` uses: a pool of one connection, or PGlite's one session. */
async function preparedNames(handle: Pool | PGlite): Promise<string[]> {
  const { rows } = await toDatabase(handle).query('SELECT name FROM pg_prepared_statements ORDER BY name', []);
  return (rows as { name: string }[]).map((row) => row.name);
}

/**
 * A pool of one connection on a server session without prepared statements. Behind PgBouncer server sessions
 * outlive the pools that used them, and a lone client gets the same one back while nobody else uses the database.
 */
async function cleanPoolOfOne(url: string | undefined): Promise<Pool> {
  const pool = createPool({ connectionString: url }, { max: 1 });
  await pool.query('DEALLOCATE ALL');
  return pool;
}

describe('named prepared statements', () => {
  beforeEach(() => testDatabase().reset());

  it('are prepared once per pooled connection on a server, and only for the store’s own statements', async () => {
    const { mode, url, handle } = testDatabase();
    const pool = mode === 'server' ? await cleanPoolOfOne(url) : undefined;
    try {
      const repository = new PostgresSecretStoreRepository(pool ?? handle);
      await writePlain(repository, 'a', '{"n":1}');
      await writePlain(repository, 'a', '{"n":2}');
      await repository.getSecret('a');
      await repository.transaction(async (tx) => {
        await tx.getSecretsByKeys(['a']);
      });

      const names = await preparedNames(pool ?? handle);
      if (mode === 'server') {
        // Two writes and one read: two statements, each prepared once. Inside a transaction none is named.
        expect(names).toHaveLength(2);
        expect(names.every((name) => /^secretstore_[0-9a-f]{24}$/.test(name))).toBe(true);
      } else {
        // PGlite runs each statement unnamed.
        expect(names).toEqual([]);
      }
      expect(JSON.parse((await repository.getSecret('a'))!.valueJson)).toEqual({ n: 2 });
    } finally {
      await pool?.end();
    }
  });

  it('are not used when turned off, for poolers that cannot keep them', async () => {
    const { mode, url } = testDatabase();
    if (mode !== 'server') {
      expect(statementName('SELECT 1')).toMatch(/^secretstore_/);
      return;
    }
    const pool = await cleanPoolOfOne(url);
    try {
      const repository = new PostgresSecretStoreRepository(pool, { preparedStatements: false });
      await writePlain(repository, 'b', '{}');
      await repository.getSecret('b');

      expect(await preparedNames(pool)).toEqual([]);
    } finally {
      await pool.end();
    }
  });
});
