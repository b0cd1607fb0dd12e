import { migrationStatus, type MigrationStatus } from '../../database/migrate';
import { SchemaNotMigratedError } from '../../errors';
import type { StoreLocation } from '../../database/database-target';
import type { EncryptionKeyCheck } from '../../secretstore/key-fingerprint-check';
import type { EncryptionUsage } from '../../secretstore/secret-record';
import type { CommandContext } from '../command-context';
import { describeKeyring, type KeyringDescription } from '../keyring';
import { formatFields, formatLocation, formatTable, type CommandResult } from '../output';

interface KeyInUseJson extends EncryptionUsage {
  /**
   * Whether the configured keyring reads these rows: for aes-256-gcm, its key id is in the keyring (and, for
   * xchacha20-poly1305, sodium-native loads); for
   * plaintext rows, plaintext is accepted; for triggerdev-v2 rows, the trigger.dev key is configured.
   */
  inKeyring: boolean;
}

interface StatusJson {
  /**
   * Where the secrets are: host:port/database or the embedded folder. Never credentials. `exists` is false
   * for an embedded folder that holds no store yet: status creates none, and `migrations` and `keyring` are null.
   */
  database: StoreLocation & { exists: boolean };
  migrations: MigrationStatus | null;
  keyring: {
    activeKeyId: string | undefined;
    /** What new writes and rotation encrypt with (aes-256-gcm or xchacha20-poly1305); undefined without a keyring. */
    algorithm: string | undefined;
    keyIds: string[];
    activeKeyInKeyring: boolean;
    /**
     * Each key id of the keyring and of the database's key fingerprints: `recorded` (this very key wrote
     * under it), `unrecorded` (nothing written under it yet), `mismatched` (the database knows another key
     * under this id: the store refuses to read or write), `missing` (the database knows the id, the keyring
     * lacks it). Null when the schema is not migrated.
     */
    keys: EncryptionKeyCheck[] | null;
  } | null;
  /** Secret counts by encoding and key id; null when the schema is not migrated, or there is no store. */
  keysInUse: KeyInUseJson[] | null;
  /** The active key and every key in use are in the keyring, and no key of it is mismatched. */
  allKeysInKeyring: boolean;
}

const KEY_STATES: Record<EncryptionKeyCheck['state'], string> = {
  recorded: 'matches',
  unrecorded: 'not used yet',
  mismatched: 'MISMATCHED: the database knows another key under this id',
  missing: 'MISSING from the keyring',
};

function describeKeyChecks(keys: readonly EncryptionKeyCheck[] | null): string {
  if (keys === null) return 'unknown: the schema is not migrated';
  if (keys.length === 0) return 'no keys';
  return keys.map(({ keyId, state }) => `${keyId} ${KEY_STATES[state]}`).join('; ');
}

function inKeyring(usage: EncryptionUsage, keyring: KeyringDescription): boolean {
  switch (usage.encoding) {
    case 'aes-256-gcm':
      return usage.keyId !== null && keyring.keyIds.includes(usage.keyId);
    case 'xchacha20-poly1305':
      return usage.keyId !== null && keyring.keyIds.includes(usage.keyId) && keyring.sodiumNative;
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

const NO_STORE = 'none yet: set, import or migrate creates one here';

/** The algorithm beside the active key, when it is not the default. */
export function algorithmNote(algorithm: string | undefined): string {
  return algorithm === undefined || algorithm === 'aes-256-gcm' ? '' : ` (${algorithm})`;
}

function formatStatus(status: StatusJson): string {
  const { keyring, keysInUse, migrations } = status;
  if (migrations === null || keyring === null) {
    return formatFields([
      ['database', formatLocation(status.database)],
      ['store', NO_STORE],
    ]);
  }
  const fields = formatFields([
    ['database', formatLocation(status.database)],
    ['migrations', formatMigrations(migrations)],
    [
      'active key',
      `${keyring.activeKeyId ?? 'none'}${algorithmNote(keyring.algorithm)}${keyring.activeKeyInKeyring ? '' : ' (not in the keyring)'}`,
    ],
    ['keyring', keyring.keyIds.join(', ') || 'none'],
    ['key check', describeKeyChecks(keyring.keys)],
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

/** The status of an embedded folder that holds no store: it says so, and creates nothing. */
function noStore(location: StoreLocation): CommandResult {
  const json: StatusJson = {
    database: { ...location, exists: false },
    migrations: null,
    keyring: null,
    keysInUse: null,
    allKeysInKeyring: false,
  };
  return { json, text: formatStatus(json) };
}

/** What `read` returns, or null when the schema (or the part of it `read` needs) is not migrated. */
async function unlessNotMigrated<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof SchemaNotMigratedError) return null;
    throw error;
  }
}

/** What the store showed, or that there is none. */
type FromStore =
  | {
      exists: true;
      location: StoreLocation;
      keyring: KeyringDescription;
      usage: EncryptionUsage[] | null;
      keys: EncryptionKeyCheck[] | null;
    }
  | { exists: false; location: StoreLocation };

/** Which database, its migrations, the keyring, and the keys the stored secrets are under. */
export async function statusCommand(context: CommandContext): Promise<CommandResult> {
  const fromStore = await context.database.withExistingStore<FromStore>(
    async (store, location) => {
      const usage = await unlessNotMigrated(() => store.encryptionUsage());
      const keys = await unlessNotMigrated(() => store.checkEncryptionKeys());
      return { exists: true, location, keyring: describeKeyring(store), usage, keys };
    },
    (location) => ({ exists: false, location }),
  );
  if (!fromStore.exists) return noStore(fromStore.location);
  // After the store is closed: the embedded database takes one opener at a time.
  const migrations = await context.database.withDatabase((db) => migrationStatus(db));

  const { keyring, usage, location, keys } = fromStore;
  const activeKeyInKeyring = keyring.activeKeyId !== undefined && keyring.keyIds.includes(keyring.activeKeyId);
  const keysInUse = usage?.map((entry) => ({ ...entry, inKeyring: inKeyring(entry, keyring) })) ?? null;
  const json: StatusJson = {
    database: { ...location, exists: true },
    migrations,
    keyring: {
      activeKeyId: keyring.activeKeyId,
      algorithm: keyring.algorithm,
      keyIds: keyring.keyIds,
      activeKeyInKeyring,
      keys,
    },
    keysInUse,
    allKeysInKeyring:
      activeKeyInKeyring &&
      (keysInUse ?? []).every((entry) => entry.inKeyring) &&
      !(keys ?? []).some((key) => key.state === 'mismatched'),
  };
  return { json, text: formatStatus(json) };
}
