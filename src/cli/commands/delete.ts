import { SecretNotFoundError } from '../../errors';
import type { CommandContext } from '../command-context';
import type { CommandResult } from '../output';

export interface DeleteJson {
  key: string;
  deleted: true;
}

/** Deletes a secret; a key that did not exist is SecretNotFoundError (exit 1). */
export async function deleteCommand(context: CommandContext, key: string): Promise<CommandResult> {
  const deleted = await context.database.withStore((store) => store.deleteSecret(key));
  if (!deleted) throw new SecretNotFoundError(key);
  const json: DeleteJson = { key, deleted };
  return { json, text: `deleted ${key}` };
}
