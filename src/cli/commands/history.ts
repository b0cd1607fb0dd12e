import { SecretNotFoundError } from '../../errors';
import { assertValidKey } from '../../secretstore/key-names';
import type { SecretVersionInfo } from '../../secretstore/secret-record';
import type { CommandContext } from '../command-context';
import { formatTable, formatTime, type CommandResult } from '../output';

interface HistoryJson {
  key: string;
  /** Newest first. */
  versions: { version: number; createdAt: string; deletedAt: string | null; destroyed: boolean }[];
}

/**
 * What a version is now: its value erased (destroyed), the latest of a deleted secret (deleted), the value the
 * secret reads as (current), or an older one that restore can bring back (older).
 */
function stateOf(info: SecretVersionInfo, newest: boolean): string {
  if (info.destroyed) return 'destroyed';
  if (info.deletedAt !== null) return 'deleted';
  return newest ? 'current' : 'older';
}

/** The kept versions of a secret, newest first; a key without any, or no store at all, is SecretNotFoundError (exit 1). */
export async function historyCommand(context: CommandContext, key: string): Promise<CommandResult> {
  const versions = await context.database.withExistingStore(
    (store) => store.listSecretVersions(key),
    () => {
      assertValidKey(key);
      return [];
    },
  );
  if (versions.length === 0) throw new SecretNotFoundError(key);
  const json: HistoryJson = {
    key,
    versions: versions.map(({ version, createdAt, deletedAt, destroyed }) => ({
      version,
      createdAt: createdAt.toISOString(),
      deletedAt: deletedAt?.toISOString() ?? null,
      destroyed,
    })),
  };
  const rows = versions.map((info, index) => [
    String(info.version),
    formatTime(info.createdAt),
    stateOf(info, index === 0),
  ]);
  return { json, text: formatTable(['VERSION', 'CREATED', 'STATE'], rows) };
}
