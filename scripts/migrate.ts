/** npm run migrate: applies pending migrations to the DATABASE_URL (or PG*) database. */
import { migrate } from '../src/database/migrate';
import { describeDatabaseConfig, readDatabaseConfig } from '../src/database/config';
import { createPool } from '../src/database/pool';

async function main(): Promise<void> {
  const config = readDatabaseConfig(process.env);
  if (!config) {
    console.error('migrate: set DATABASE_URL (or PGHOST/PGDATABASE/…) to the database to migrate');
    process.exit(3);
  }
  const pool = createPool(config, { max: 1 });
  try {
    const result = await migrate(pool);
    console.log(`migrate: ${describeDatabaseConfig(config)}`);
    for (const name of result.alreadyApplied) console.log(`  already applied  ${name}`);
    for (const name of result.applied) console.log(`  applied          ${name}`);
    for (const name of result.unknown) console.log(`  unknown here     ${name} (applied by a newer version)`);
    if (result.applied.length === 0) console.log('  nothing to apply');
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(`migrate failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
