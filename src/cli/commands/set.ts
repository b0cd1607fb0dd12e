import type { CommandContext } from '../command-context';
import { parseJson, readStream, readTextFile } from '../json-input';
import { metadataPatch, type MetadataOptions } from '../metadata-options';
import { formatFields, type CommandResult } from '../output';
import { CliUsageError } from '../usage-error';

export interface SetOptions extends MetadataOptions {
  file?: string;
}

interface SetJson {
  key: string;
  version: number;
  updatedAt: string;
}

/** The value from the argument, --file, or stdin when neither is given. */
async function readValue(context: CommandContext, argument: string | undefined, file: string | undefined) {
  if (argument !== undefined && file !== undefined) {
    throw new CliUsageError('USAGE', 'give the value as an argument or with --file, not both');
  }
  if (argument !== undefined) return parseJson(argument, 'the value argument');
  if (file !== undefined) return parseJson(await readTextFile(file), file);
  if (context.stdin.isTTY) context.output.notice('secretstore: reading the value from stdin; end it with Ctrl-D');
  return parseJson(await readStream(context.stdin), 'the value on stdin');
}

/**
 * Creates or replaces a secret and reports its new version; metadata options are applied with the write, and
 * --if-version makes it a compare-and-set.
 */
export async function setCommand(
  context: CommandContext,
  key: string,
  argument: string | undefined,
  options: SetOptions,
): Promise<CommandResult> {
  const metadata = metadataPatch(options);
  const value = await readValue(context, argument, options.file);
  const written = await context.database.withStore((store) =>
    // One transaction, so that the version read back is the one this write made.
    store.transaction(async (tx) => {
      // The store refuses anything but an object or array (InvalidSecretValueError): it is the one that checks.
      await tx.setSecret(key, value as object, { metadata, ifVersion: options.ifVersion });
      return tx.getSecretMetadata(key);
    }),
  );
  if (written === undefined) throw new Error(`the secret ${JSON.stringify(key)} was not found after writing it`);
  const json: SetJson = { key, version: written.version, updatedAt: written.updatedAt.toISOString() };
  return {
    json,
    text: formatFields([
      ['key', key],
      ['version', String(written.version)],
    ]),
  };
}
