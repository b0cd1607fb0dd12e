import { assertValidPrefix } from '../../secretstore/key-names';
import { anyJson } from '../../secretstore/schema';
import type { SecretMetadata, SecretStore } from '../../secretstore/secret-store';
import type { CommandContext } from '../command-context';
import { formatTable, formatTime, type CommandResult } from '../output';

export interface ListOptions {
  values?: boolean;
}

interface ListedSecretJson {
  key: string;
  version: number;
  encoding: string;
  keyId: string | null;
  createdAt: string;
  updatedAt: string;
  /** With --values only. */
  value?: unknown;
}

interface ListJson {
  prefix: string;
  secrets: ListedSecretJson[];
}

interface Listed {
  metadata: SecretMetadata;
  value?: unknown;
}

/** Metadata and values read in one transaction; a key deleted between the two reads is left out. */
async function listWithValues(store: SecretStore, prefix: string): Promise<Listed[]> {
  return store.transaction(async (tx) => {
    const metadata = await tx.listSecrets(prefix);
    const values = new Map((await tx.getSecrets(anyJson, prefix)).map((entry) => [entry.key, entry.value]));
    return metadata
      .filter((item) => values.has(item.key))
      .map((item) => ({ metadata: item, value: values.get(item.key) }));
  });
}

function toJson({ metadata, value }: Listed, withValue: boolean): ListedSecretJson {
  const json: ListedSecretJson = {
    key: metadata.key,
    version: metadata.version,
    encoding: metadata.encoding,
    keyId: metadata.keyId,
    createdAt: metadata.createdAt.toISOString(),
    updatedAt: metadata.updatedAt.toISOString(),
  };
  if (withValue) json.value = value;
  return json;
}

/** Keys under a prefix with version and update time; values (decrypted) only with --values. */
export async function listCommand(
  context: CommandContext,
  prefix: string,
  options: ListOptions,
): Promise<CommandResult> {
  const withValues = options.values === true;
  const listed: Listed[] = await context.database.withExistingStore(
    async (store) =>
      withValues ? listWithValues(store, prefix) : (await store.listSecrets(prefix)).map((metadata) => ({ metadata })),
    // No store here: no secrets, and nothing created; an invalid prefix is refused as a store would.
    () => {
      assertValidPrefix(prefix);
      return [];
    },
  );
  const json: ListJson = { prefix, secrets: listed.map((item) => toJson(item, withValues)) };
  if (listed.length === 0) {
    return { json, text: prefix === '' ? 'no secrets' : `no secrets under ${JSON.stringify(prefix)}` };
  }
  const header = withValues ? ['KEY', 'VERSION', 'UPDATED', 'VALUE'] : ['KEY', 'VERSION', 'UPDATED'];
  const rows = listed.map(({ metadata, value }) => {
    const row = [metadata.key, String(metadata.version), formatTime(metadata.updatedAt)];
    return withValues ? [...row, JSON.stringify(value)] : row;
  });
  return { json, text: formatTable(header, rows) };
}
