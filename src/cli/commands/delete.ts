import { SecretNotFoundError } from '../../errors';
import { assertValidKey } from '../../secretstore/key-names';
import type { CommandContext } from '../command-context';
import type { CommandResult } from '../output';

interface DeleteJson {
  key: string;
  deleted: true;
}

/**
 * Deletes a secret softly: it reads as missing and leaves listings, its versions stay, and `undelete` brings it
 * back. A key that is not there (missing, or deleted already), or no store at all, is SecretNotFoundError (exit 1).
 */
export async function deleteCommand(context: CommandContext, key: string): Promise<CommandResult> {
  const deleted = await context.database.withExistingStore(
    (store) => store.deleteSecret(key),
    () => {
      // Where there is no store there is nothing to delete, and nothing is created to find that out.
      assertValidKey(key);
      return false;
    },
  );
  if (!deleted) throw new SecretNotFoundError(key);
  const json: DeleteJson = { key, deleted };
  return {
    json,
    text: `deleted ${key}: \`secretstore undelete\` brings it back; \`secretstore destroy\` erases it for good`,
  };
}
