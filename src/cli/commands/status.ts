import { migrationStatus, type MigrationStatus } from '../../database/migrate';
import { SchemaNotMigratedError } from '../../errors';
import type { StoreLocation } from '../../secretstore/create';
import type { EncryptionUsage } from '../../secretstore/repository';
import type { CommandContext } from '../command-context';
import { describeKeyring, type KeyringDescription } from '../keyring';
import { formatFields, formatLocation, formatTable, type CommandResult } from '../output';

export interface KeyInUseJson extends EncryptionUsage {
  /**
   * Whether the configured keyring reads these rows: for aes-256-gcm, its key id is in the keyring; for
   * plaintext rows, plaintext is accepted; for triggerdev-v2 rows, the trigger.dev key is configured.
   */
  inKeyring: boolean;
}

export interface StatusJson {
  /** Where the secrets are: host:port/database or the embedded folder. Never credentials. */
  database: StoreLocation;
  migrations: MigrationStatus;
  keyring: { activeKeyId: string | undefined; keyIds: string[]; activeKeyInKeyring: boolean };
  /** Secret counts by encoding and key id; null when the schema is not migrated. */
  keysInUse: KeyInUseJson[] | null;
  /** The active key and every key in use are in the keyring. */
  allKeysInKeyring: boolean;
}

function inKeyring(usage: EncryptionUsage, keyring: KeyringDescription): boolean {
  switch (usage.encoding) {
    case 'aes-256-gcm':
      return usage.keyId !== null && keyring.keyIds.includes(usage.keyId);
    case 'plain':
      return keyring.acceptPlaintext;
    default:
      return keyring.legacyTriggerDevKey;
  }
}

function formatMigrations({ applied, pending, unknown }: MigrationStatus): string {
  const changed = applied.filter((migration) => migration.changed).length;
  const parts = [
    `${applied.length} applied${changed > 0 ? ` (${changed} changed since)` : ''}`,
    `${pending.length} pending${pending.length > 0 ? ` (${pending.join(', ')}): run secretstore migrate` : ''}`,
  ];
  if (unknown.length > 0) parts.push(`${unknown.length} unknown to this version`);
  return parts.join(', ');
}

function describeKeysInUse(keysInUse: readonly KeyInUseJson[] | null): string {
  if (keysInUse === null) return 'unknown: the schema is not migrated';
  const secrets = keysInUse.reduce((sum, usage) => sum + usage.secrets, 0);
  return `${secrets} secret${secrets === 1 ? '' : 's'} under ${keysInUse.length} key${keysInUse.length === 1 ? '' : 's'}`;
}

function formatStatus(status: StatusJson): string {
  const { keyring, keysInUse } = status;
  const fields = formatFields([
    ['database', formatLocation(status.database)],
    ['migrations', formatMigrations(status.migrations)],
    ['active key', `${keyring.activeKeyId ?? 'none'}${keyring.activeKeyInKeyring ? '' : ' (not in the keyring)'}`],
    ['keyring', keyring.keyIds.join(', ') || 'none'],
    ['keys in use', describeKeysInUse(keysInUse)],
  ]);
  if (keysInUse === null || keysInUse.length === 0) return fields;
  const rows = keysInUse.map((usage) => [
    usage.keyId ?? '-',
    usage.encoding,
    String(usage.secrets),
    usage.inKeyring ? 'yes' : 'NO',
  ]);
  return `${fields}\n${formatTable(['KEY ID', 'ENCODING', 'SECRETS', 'IN KEYRING'], rows)}`;
}

/** Which database, its migrations, the keyring, and the keys the stored secrets are under. */
export async function statusCommand(context: CommandContext): Promise<CommandResult> {
  const fromStore = await context.database.withStore(async (store, location) => {
    let usage: EncryptionUsage[] | null;
    try {
      usage = await store.encryptionUsage();
    } catch (error) {
      if (!(error instanceof SchemaNotMigratedError)) throw error;
      usage = null;
    }
    return { location, keyring: describeKeyring(store), usage };
  });
  // After the store is closed: the embedded database takes one opener at a time.
  const migrations = await context.database.withDatabase((db) => migrationStatus(db));

  const { keyring, usage, location } = fromStore;
  const activeKeyInKeyring = keyring.activeKeyId !== undefined && keyring.keyIds.includes(keyring.activeKeyId);
  const keysInUse = usage?.map((entry) => ({ ...entry, inKeyring: inKeyring(entry, keyring) })) ?? null;
  const json: StatusJson = {
    database: location,
    migrations,
    keyring: { activeKeyId: keyring.activeKeyId, keyIds: keyring.keyIds, activeKeyInKeyring },
    keysInUse,
    allKeysInKeyring: activeKeyInKeyring && (keysInUse ?? []).every((entry) => entry.inKeyring),
  };
  return { json, text: formatStatus(json) };
}
