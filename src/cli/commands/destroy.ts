import { describeKey, SecretNotFoundError, SecretVersionNotFoundError } from '../../errors';
import { assertValidKey } from '../../secretstore/key-names';
import type { SecretStore } from '../../secretstore/secret-store';
import type { CommandContext } from '../command-context';
import { requireConfirmation } from '../confirmation';
import type { CommandResult } from '../output';

export interface DestroyOptions {
  /** --versions 1,2: only these; left out, every version and the secret itself. */
  versions?: number[];
  yes?: boolean;
}

interface DestroyJson {
  key: string;
  /** The versions whose values this run erased; versions destroyed before are not repeated. */
  destroyed: number[];
}

/**
 * Destroys in one transaction, after checking that the key has versions and that every version asked for is
 * one of them: a typo in --versions destroys nothing rather than something else.
 */
async function destroy(store: SecretStore, key: string, versions: number[] | undefined): Promise<number[]> {
  return store.transaction(async (tx) => {
    const kept = await tx.listSecretVersions(key);
    if (kept.length === 0 && (await tx.getSecretMetadata(key)) === undefined) throw new SecretNotFoundError(key);
    const missing = versions?.find((version) => !kept.some((info) => info.version === version));
    if (missing !== undefined) throw new SecretVersionNotFoundError(key, missing);
    return (await tx.destroySecret(key, { versions })).destroyed;
  });
}

function describeDestroyed(key: string, destroyed: readonly number[], all: boolean): string {
  const what =
    destroyed.length === 0
      ? 'no version was left to destroy'
      : `destroyed version${destroyed.length === 1 ? '' : 's'} ${destroyed.join(', ')}`;
  return all ? `${key}: ${what}; the secret is gone for good` : `${key}: ${what}`;
}

/** Erases values for good: the versions given, or every version and the secret. Refused without --yes. */
export async function destroyCommand(
  context: CommandContext,
  key: string,
  options: DestroyOptions,
): Promise<CommandResult> {
  requireConfirmation(options.yes, `destroy erases the values of ${describeKey(key)} for good`);
  const destroyed = await context.database.withExistingStore(
    (store) => destroy(store, key, options.versions),
    () => {
      assertValidKey(key);
      throw new SecretNotFoundError(key);
    },
  );
  const json: DestroyJson = { key, destroyed };
  return { json, text: describeDestroyed(key, destroyed, options.versions === undefined) };
}
