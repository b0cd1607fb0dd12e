import { SecretNotFoundError } from '../../errors';
import { assertValidKey } from '../../secretstore/key-names';
import type { SecretMetadata, SecretStore } from '../../secretstore/secret-store';
import type { CommandContext } from '../command-context';
import { metadataPatch, type MetadataOptions } from '../metadata-options';
import { formatFields, formatTime, type CommandResult } from '../output';
import { CliUsageError } from '../usage-error';

/** A secret's metadata as --json prints it: dates as ISO strings, absent fields as null. */
interface MetadataJson {
  key: string;
  version: number;
  encoding: string;
  keyId: string | null;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  description: string | null;
  tags: Record<string, string>;
  expiresAt: string | null;
  rotateAfter: string | null;
  /** Null: the store's default. */
  maxVersions: number | null;
}

const isoOrNull = (date: Date | null): string | null => date?.toISOString() ?? null;

function toJson(metadata: SecretMetadata): MetadataJson {
  return {
    key: metadata.key,
    version: metadata.version,
    encoding: metadata.encoding,
    keyId: metadata.keyId,
    createdAt: metadata.createdAt.toISOString(),
    updatedAt: metadata.updatedAt.toISOString(),
    deletedAt: isoOrNull(metadata.deletedAt),
    description: metadata.description,
    tags: metadata.tags,
    expiresAt: isoOrNull(metadata.expiresAt),
    rotateAfter: isoOrNull(metadata.rotateAfter),
    maxVersions: metadata.maxVersions,
  };
}

function formatMetadata(metadata: SecretMetadata): string {
  const orNone = (date: Date | null): string => (date === null ? '-' : formatTime(date));
  const tags = Object.entries(metadata.tags).map(([name, value]) => `${name}=${value}`);
  return formatFields([
    ['key', metadata.key],
    ['version', String(metadata.version)],
    ['description', metadata.description ?? '-'],
    ['tags', tags.length > 0 ? tags.join(', ') : '-'],
    ['expires at', orNone(metadata.expiresAt)],
    ['rotate after', orNone(metadata.rotateAfter)],
    ['max versions', metadata.maxVersions === null ? 'store default' : String(metadata.maxVersions)],
    ['created', formatTime(metadata.createdAt)],
    ['updated', formatTime(metadata.updatedAt)],
  ]);
}

/** The metadata of a secret that is there: a deleted one counts as missing, as it does for every read. */
async function currentMetadata(store: SecretStore, key: string): Promise<SecretMetadata> {
  const metadata = await store.getSecretMetadata(key);
  if (metadata === undefined || metadata.deletedAt !== null) throw new SecretNotFoundError(key);
  return metadata;
}

/**
 * Shows a secret's metadata; with changes, applies them as one JSON Merge Patch (--if-version: only at that
 * version) and shows the result. A missing or deleted secret, or no store at all, is SecretNotFoundError (exit 1).
 */
export async function metaCommand(
  context: CommandContext,
  key: string,
  options: MetadataOptions,
): Promise<CommandResult> {
  const patch = metadataPatch(options);
  if (patch === undefined && options.ifVersion !== undefined) {
    throw new CliUsageError('USAGE', '--if-version guards a change: give one (--description, --tag, --expires-at, …)');
  }
  const metadata = await context.database.withExistingStore(
    (store) =>
      patch === undefined
        ? currentMetadata(store, key)
        : store.updateSecretMetadata(key, patch, { ifVersion: options.ifVersion }),
    () => {
      assertValidKey(key);
      throw new SecretNotFoundError(key);
    },
  );
  return { json: toJson(metadata), text: formatMetadata(metadata) };
}
