import type { CommandContext } from '../command-context';
import { requireConfirmation } from '../confirmation';
import { formatDuration } from '../duration';
import type { CommandResult } from '../output';

export interface PurgeOptions {
  /** --older-than, in milliseconds. */
  olderThan: number;
  yes?: boolean;
}

interface PurgeJson {
  olderThan: number;
  /** The keys removed, with every version, in key order. */
  purged: string[];
}

/** Removes for good the secrets deleted at least --older-than ago, with every version. Refused without --yes. */
export async function purgeCommand(context: CommandContext, options: PurgeOptions): Promise<CommandResult> {
  const window = formatDuration(options.olderThan);
  requireConfirmation(options.yes, `purge removes secrets deleted over ${window} ago, with every version, for good`);
  const purged = await context.database.withExistingStore(
    async (store) => (await store.purgeDeletedSecrets({ olderThan: options.olderThan })).purged,
    // No store: nothing was ever deleted.
    () => [],
  );
  const json: PurgeJson = { olderThan: options.olderThan, purged };
  if (purged.length === 0) return { json, text: `nothing to purge: no secret was deleted over ${window} ago` };
  const count = `${purged.length} secret${purged.length === 1 ? '' : 's'}`;
  return { json, text: [`purged ${count} deleted over ${window} ago:`, ...purged.map((key) => `  ${key}`)].join('\n') };
}
