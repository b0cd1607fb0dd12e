import { assertValidPrefix } from '../../secretstore/key-names';
import { anyJson } from '../../secretstore/schema';
import type { SecretMetadata, SecretStore } from '../../secretstore/secret-store';
import type { CommandContext } from '../command-context';
import { formatTable, formatTime, type CommandResult } from '../output';

export interface ListOptions {
  values?: boolean;
  /** --deleted: deleted secrets too, marked. */
  deleted?: boolean;
}

interface ListedSecretJson {
  key: string;
  version: number;
  encoding: string;
  keyId: string | null;
  createdAt: string;
  updatedAt: string;
  /** With --values only; never for a deleted secret. */
  value?: unknown;
  /** With --deleted only: when the secret was deleted, or null. */
  deletedAt?: string | null;
}

interface ListJson {
  prefix: string;
  secrets: ListedSecretJson[];
}

interface Listed {
  metadata: SecretMetadata;
  value?: unknown;
}

/** What to list, as the options chose. */
interface Listing {
  prefix: string;
  withValues: boolean;
  includeDeleted: boolean;
}

/** Every page of the listing under `prefix`. */
async function listAll(store: SecretStore, { prefix, includeDeleted }: Listing): Promise<SecretMetadata[]> {
  const secrets: SecretMetadata[] = [];
  for (let after: string | undefined = ''; after !== undefined;) {
    const page = await store.listSecrets({ prefix, after, includeDeleted });
    secrets.push(...page.secrets);
    after = page.next;
  }
  return secrets;
}

/**
 * Metadata and values read in one transaction. A secret without a value is left out (a key deleted between the
 * two reads, a destroyed current version), unless it is deleted and --deleted lists it: then without a value.
 */
async function listWithValues(store: SecretStore, listing: Listing): Promise<Listed[]> {
  return store.transaction(async (tx) => {
    const metadata = await listAll(tx, listing);
    const values = new Map((await tx.getSecrets(anyJson, listing.prefix)).map((entry) => [entry.key, entry.value]));
    return metadata
      .filter((item) => values.has(item.key) || (listing.includeDeleted && item.deletedAt !== null))
      .map((item) => (values.has(item.key) ? { metadata: item, value: values.get(item.key) } : { metadata: item }));
  });
}

function toJson({ metadata, value }: Listed, { withValues, includeDeleted }: Listing): ListedSecretJson {
  const json: ListedSecretJson = {
    key: metadata.key,
    version: metadata.version,
    encoding: metadata.encoding,
    keyId: metadata.keyId,
    createdAt: metadata.createdAt.toISOString(),
    updatedAt: metadata.updatedAt.toISOString(),
  };
  if (withValues && metadata.deletedAt === null) json.value = value;
  if (includeDeleted) json.deletedAt = metadata.deletedAt?.toISOString() ?? null;
  return json;
}

/** The table's columns, as the options chose them. */
function formatListing(listed: readonly Listed[], { withValues, includeDeleted }: Listing): string {
  const header = ['KEY', 'VERSION', 'UPDATED'];
  if (includeDeleted) header.push('DELETED');
  if (withValues) header.push('VALUE');
  const rows = listed.map(({ metadata, value }) => {
    const row = [metadata.key, String(metadata.version), formatTime(metadata.updatedAt)];
    if (includeDeleted) row.push(metadata.deletedAt === null ? '-' : formatTime(metadata.deletedAt));
    if (withValues) row.push(metadata.deletedAt === null ? JSON.stringify(value) : '-');
    return row;
  });
  return formatTable(header, rows);
}

/**
 * Keys under a prefix with version and update time; values (decrypted) only with --values; deleted secrets
 * only with --deleted, with when they were deleted.
 */
export async function listCommand(
  context: CommandContext,
  prefix: string,
  options: ListOptions,
): Promise<CommandResult> {
  const listing: Listing = { prefix, withValues: options.values === true, includeDeleted: options.deleted === true };
  const listed: Listed[] = await context.database.withExistingStore(
    async (store) =>
      listing.withValues
        ? listWithValues(store, listing)
        : (await listAll(store, listing)).map((metadata) => ({ metadata })),
    // No store here: no secrets, and nothing created; an invalid prefix is refused as a store would.
    () => {
      assertValidPrefix(prefix);
      return [];
    },
  );
  const json: ListJson = { prefix, secrets: listed.map((item) => toJson(item, listing)) };
  if (listed.length === 0) {
    return { json, text: prefix === '' ? 'no secrets' : `no secrets under ${JSON.stringify(prefix)}` };
  }
  return { json, text: formatListing(listed, listing) };
}
