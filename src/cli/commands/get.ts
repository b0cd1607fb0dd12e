import { anyJson } from '../../secretstore/schema';
import type { CommandContext } from '../command-context';
import type { CommandResult } from '../output';

export interface GetJson {
  key: string;
  value: unknown;
}

/** The secret's value; a missing key is SecretNotFoundError (exit 1). */
export async function getCommand(context: CommandContext, key: string): Promise<CommandResult> {
  const value = await context.database.withStore((store) => store.getSecretOrThrow(anyJson, key));
  const json: GetJson = { key, value };
  return { json, text: JSON.stringify(value, null, 2) };
}
