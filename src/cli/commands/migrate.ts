import { migrate, type MigrationResult } from '../../database/migrate';
import type { StoreLocation } from '../../database/database-target';
import type { CommandContext } from '../command-context';
import { formatFields, formatLocation, type CommandResult } from '../output';

interface MigrateJson extends MigrationResult {
  database: StoreLocation;
}

const listOrNone = (names: readonly string[]): string => (names.length > 0 ? names.join(', ') : 'none');

/** Applies pending migrations; needs no keyring. */
export async function migrateCommand(context: CommandContext): Promise<CommandResult> {
  return context.database.withDatabase(async (db, location) => {
    const result = await migrate(db);
    const json: MigrateJson = { database: location, ...result };
    const fields: [string, string][] = [
      ['database', formatLocation(location)],
      ['applied', listOrNone(result.applied)],
      ['already applied', listOrNone(result.alreadyApplied)],
    ];
    if (result.unknown.length > 0)
      fields.push(['unknown', `${result.unknown.join(', ')} (applied by a newer version)`]);
    return { json, text: formatFields(fields) };
  });
}
