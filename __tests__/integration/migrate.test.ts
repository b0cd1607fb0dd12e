import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { migrate, MigrationChecksumMismatchError, MigrationError, migrationStatus } from '../../src';
import { MIGRATIONS_DIRECTORY } from '../../src/database/migrate';
import { createPool } from '../../src/database/pool';
import { useTestDatabase } from '../harness/database';
import { expectRejection } from '../support/errors';
import { useTemporaryFolder } from '../support/temporary-folder';

const testDatabase = useTestDatabase();
const PACKAGE_MIGRATIONS = readdirSync(MIGRATIONS_DIRECTORY).sort();
const FIRST = '001_secret_store.sql';

/** A copy of the package's migrations for each test, to edit. */
const copy = useTemporaryFolder('secretstore-migrations-');
let directory: string;
beforeEach(() => {
  directory = copy.path;
  cpSync(MIGRATIONS_DIRECTORY, directory, { recursive: true });
});

async function recorded(): Promise<{ name: string; checksum: string }[]> {
  const { rows } = await testDatabase().database.query(
    'SELECT name, checksum FROM secretstore_migrations ORDER BY name',
    [],
  );
  return rows as { name: string; checksum: string }[];
}

async function tableExists(name: string): Promise<boolean> {
  const { rows } = await testDatabase().database.query('SELECT to_regclass($1) IS NOT NULL AS present', [name]);
  return (rows as { present: boolean }[])[0].present;
}

describe('migrate', () => {
  it('has applied the package migrations with a checksum, and a second run is a no-op', async () => {
    expect(PACKAGE_MIGRATIONS).toContain(FIRST);
    expect((await recorded()).map((row) => row.name)).toEqual(PACKAGE_MIGRATIONS);
    for (const row of await recorded()) expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);

    const result = await migrate(testDatabase().database);
    expect(result).toEqual({ applied: [], alreadyApplied: PACKAGE_MIGRATIONS, unknown: [] });
    expect(await recorded()).toHaveLength(PACKAGE_MIGRATIONS.length);
  });

  it('applies a new migration once, in its own transaction, recording it', async () => {
    writeFileSync(
      path.join(directory, '900_audit.sql'),
      'CREATE TABLE secret_audit (id int);\nCREATE INDEX ON secret_audit (id);',
    );

    expect(await migrate(testDatabase().database, { directory })).toEqual({
      applied: ['900_audit.sql'],
      alreadyApplied: PACKAGE_MIGRATIONS,
      unknown: [],
    });
    expect(await tableExists('secret_audit')).toBe(true);
    expect((await migrate(testDatabase().database, { directory })).applied).toEqual([]);
    await testDatabase().database.query('DROP TABLE secret_audit', []);
    await testDatabase().database.query("DELETE FROM secretstore_migrations WHERE name = '900_audit.sql'", []);
  });

  it('reports applied, pending, changed and unknown migrations without applying anything', async () => {
    writeFileSync(path.join(directory, '900_pending.sql'), 'CREATE TABLE never_applied (id int);');
    writeFileSync(path.join(directory, FIRST), `${readFileSync(path.join(directory, FIRST), 'utf8')}\n-- edited\n`);
    const { database } = testDatabase();
    await database.query("INSERT INTO secretstore_migrations (name, checksum) VALUES ('999_future.sql', 'x')", []);
    try {
      expect(await migrationStatus(database, { directory })).toEqual({
        applied: PACKAGE_MIGRATIONS.map((name) => ({ name, changed: name === FIRST })),
        pending: ['900_pending.sql'],
        unknown: ['999_future.sql'],
      });
      expect(await tableExists('never_applied')).toBe(false);
    } finally {
      await database.query("DELETE FROM secretstore_migrations WHERE name = '999_future.sql'", []);
    }
  });

  it('reports every migration pending on a database never migrated', async () => {
    await testDatabase().database.withConnection(async (connection) => {
      await connection.query('CREATE SCHEMA empty_status', []);
      await connection.query('SET search_path TO empty_status', []);
      try {
        expect(await migrationStatus(connection)).toEqual({ applied: [], pending: PACKAGE_MIGRATIONS, unknown: [] });
      } finally {
        await connection.query('RESET search_path', []);
        await connection.query('DROP SCHEMA empty_status', []);
      }
    });
  });

  it('refuses a migration that changed after it was applied, naming it', async () => {
    writeFileSync(path.join(directory, FIRST), `${readFileSync(path.join(directory, FIRST), 'utf8')}\n-- edited\n`);

    const error = await expectRejection(
      migrate(testDatabase().database, { directory }),
      MigrationChecksumMismatchError,
      'MIGRATION_CHECKSUM_MISMATCH',
    );
    expect(error).toMatchObject({ migration: FIRST });
    expect(error.message).toContain(FIRST);
  });

  it('rolls back a failing migration entirely and names it', async () => {
    writeFileSync(
      path.join(directory, '900_broken.sql'),
      'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;',
    );

    const error = await expectRejection(
      migrate(testDatabase().database, { directory }),
      MigrationError,
      'MIGRATION_FAILED',
    );
    expect(error).toMatchObject({ migration: '900_broken.sql' });
    expect(error.message).toContain('900_broken.sql');
    expect(await tableExists('half_done')).toBe(false);
    expect((await recorded()).map((row) => row.name)).toEqual(PACKAGE_MIGRATIONS);
  });

  it('refuses files that are not named NNN_name.sql', async () => {
    writeFileSync(path.join(directory, 'add table.sql'), 'SELECT 1');
    await expect(migrate(testDatabase().database, { directory })).rejects.toMatchObject({ migration: 'add table.sql' });
  });

  it('reports migrations the database has and this package does not know', async () => {
    await testDatabase().database.query(
      "INSERT INTO secretstore_migrations (name, checksum) VALUES ('999_future.sql', 'x')",
      [],
    );
    try {
      expect((await migrate(testDatabase().database)).unknown).toEqual(['999_future.sql']);
    } finally {
      await testDatabase().database.query("DELETE FROM secretstore_migrations WHERE name = '999_future.sql'", []);
    }
  });

  it('serializes concurrent runners: each new migration is applied exactly once', async () => {
    writeFileSync(
      path.join(directory, '900_counter.sql'),
      'CREATE TABLE migration_runs (n int);\nINSERT INTO migration_runs VALUES (1);',
    );
    const { mode, url, database } = testDatabase();
    // On a server, separate pools are separate sessions racing for the advisory lock.
    const pools =
      mode === 'server' ? Array.from({ length: 4 }, () => createPool({ connectionString: url }, { max: 1 })) : [];
    try {
      const targets = mode === 'server' ? pools : Array.from({ length: 4 }, () => database);
      const results = await Promise.all(targets.map((target) => migrate(target, { directory })));

      expect(results.flatMap((result) => result.applied)).toEqual(['900_counter.sql']);
      const { rows } = await database.query('SELECT count(*)::int AS runs FROM migration_runs', []);
      expect(rows).toEqual([{ runs: 1 }]);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await database.query('DROP TABLE IF EXISTS migration_runs', []);
      await database.query("DELETE FROM secretstore_migrations WHERE name = '900_counter.sql'", []);
    }
  });
});
