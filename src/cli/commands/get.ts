import { SecretNotFoundError, SecretVersionNotFoundError } from '../../errors';
import { assertValidKey } from '../../secretstore/key-names';
import { anyJson } from '../../secretstore/schema';
import type { SecretStore } from '../../secretstore/secret-store';
import type { CommandContext } from '../command-context';
import type { CommandResult } from '../output';

export interface GetOptions {
  /** --version: a kept version instead of the current value. */
  version?: number;
}

interface GetJson {
  key: string;
  /** With --version only. */
  version?: number;
  value: unknown;
}

async function versionOrThrow(store: SecretStore, key: string, version: number): Promise<unknown> {
  const value = await store.getSecretVersion(anyJson, key, version);
  if (value === undefined) throw new SecretVersionNotFoundError(key, version);
  return value;
}

/**
 * The secret's value, or with --version the value of that version; a missing key or version, or no store at
 * all, is SecretNotFoundError or SecretVersionNotFoundError (exit 1).
 */
export async function getCommand(
  context: CommandContext,
  key: string,
  options: GetOptions = {},
): Promise<CommandResult> {
  const { version } = options;
  const value = await context.database.withExistingStore(
    (store) => (version === undefined ? store.getSecretOrThrow(anyJson, key) : versionOrThrow(store, key, version)),
    () => {
      // As a store would: an invalid key is a usage error (2) before it is a missing one (1).
      assertValidKey(key);
      throw version === undefined ? new SecretNotFoundError(key) : new SecretVersionNotFoundError(key, version);
    },
  );
  const json: GetJson = version === undefined ? { key, value } : { key, version, value };
  return { json, text: JSON.stringify(value, null, 2) };
}
