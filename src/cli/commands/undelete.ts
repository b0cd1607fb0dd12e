import { describeKey, SecretNotFoundError } from '../../errors';
import { assertValidKey } from '../../secretstore/key-names';
import type { SecretStore } from '../../secretstore/secret-store';
import type { CommandContext } from '../command-context';
import type { CommandResult } from '../output';
import { CliUsageError } from '../usage-error';

interface UndeleteJson {
  key: string;
  undeleted: true;
  /** The version it is back at: the one it had when it was deleted. */
  version: number;
}

/** Undeletes, then reads the version it is back at; a key that was not deleted says which way it was not. */
async function undelete(store: SecretStore, key: string): Promise<number> {
  return store.transaction(async (tx) => {
    const undeleted = await tx.undeleteSecret(key);
    const metadata = await tx.getSecretMetadata(key);
    if (metadata === undefined) throw new SecretNotFoundError(key);
    if (!undeleted) {
      throw new CliUsageError('NOT_DELETED', `Secret ${describeKey(key)} is not deleted: there is nothing to undelete`);
    }
    return metadata.version;
  });
}

/** Brings a deleted secret back with its latest version; exit 1 when it was not deleted, or does not exist. */
export async function undeleteCommand(context: CommandContext, key: string): Promise<CommandResult> {
  const version = await context.database.withExistingStore(
    (store) => undelete(store, key),
    () => {
      assertValidKey(key);
      throw new SecretNotFoundError(key);
    },
  );
  const json: UndeleteJson = { key, undeleted: true, version };
  return { json, text: `undeleted ${key}, back at version ${version}` };
}
