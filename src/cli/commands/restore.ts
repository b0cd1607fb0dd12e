import { SecretVersionNotFoundError } from '../../errors';
import { assertValidKey } from '../../secretstore/key-names';
import type { CommandContext } from '../command-context';
import { formatFields, type CommandResult } from '../output';

export interface RestoreOptions {
  ifVersion?: number;
}

interface RestoreJson {
  key: string;
  /** The new version, holding the value of `restoredFrom`. */
  version: number;
  restoredFrom: number;
}

/**
 * Writes the value of an older version as a new version (undeleting a deleted secret); a version without a
 * value, or no store at all, is SecretVersionNotFoundError (exit 1).
 */
export async function restoreCommand(
  context: CommandContext,
  key: string,
  version: number,
  options: RestoreOptions,
): Promise<CommandResult> {
  const written = await context.database.withExistingStore(
    (store) => store.restoreSecretVersion(key, version, { ifVersion: options.ifVersion }),
    () => {
      assertValidKey(key);
      throw new SecretVersionNotFoundError(key, version);
    },
  );
  const json: RestoreJson = { key, version: written.version, restoredFrom: version };
  return {
    json,
    text: formatFields([
      ['key', key],
      ['version', String(written.version)],
      ['restored from', String(version)],
    ]),
  };
}
