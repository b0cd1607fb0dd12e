import { SecretNotFoundError } from '../../errors';
import { assertValidKey } from '../../secretstore/key-names';
import { anyJson } from '../../secretstore/schema';
import type { CommandContext } from '../command-context';
import type { CommandResult } from '../output';

interface GetJson {
  key: string;
  value: unknown;
}

/** The secret's value; a missing key, or no store at all, is SecretNotFoundError (exit 1). */
export async function getCommand(context: CommandContext, key: string): Promise<CommandResult> {
  const value = await context.database.withExistingStore(
    (store) => store.getSecretOrThrow(anyJson, key),
    () => {
      // As a store would: an invalid key is a usage error (2) before it is a missing one (1).
      assertValidKey(key);
      throw new SecretNotFoundError(key);
    },
  );
  const json: GetJson = { key, value };
  return { json, text: JSON.stringify(value, null, 2) };
}
