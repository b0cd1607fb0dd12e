import { writeFile } from 'node:fs/promises';

import { assertValidPrefix } from '../../secretstore/key-names';
import { anyJson } from '../../secretstore/schema';
import { codeOf } from '../../unknown-value';
import type { CommandContext } from '../command-context';
import type { CommandResult } from '../output';
import { CliUsageError } from '../usage-error';

export interface ExportOptions {
  file?: string;
}

interface ExportFileJson {
  file: string;
  exported: number;
}

/** Writes `text` to a new file readable by its owner only; never replaces a file that exists. */
async function writeNewPrivateFile(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const code = codeOf(error);
    if (code === 'EEXIST') throw new CliUsageError('OUTPUT_EXISTS', `${file} exists; remove it or choose another file`);
    throw new CliUsageError('OUTPUT_UNWRITABLE', `cannot write ${file}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

/**
 * The secrets under a prefix as one JSON object of key → value, decrypted: the form `import` reads. On stdout,
 * or with --file into a new file of mode 0600. Where there is no store, `{}`, and nothing is created.
 */
export async function exportCommand(
  context: CommandContext,
  prefix: string,
  options: ExportOptions,
): Promise<CommandResult> {
  const entries = await context.database.withExistingStore(
    (store) => store.getSecrets(anyJson, prefix),
    () => {
      assertValidPrefix(prefix);
      return [];
    },
  );
  const secrets: Record<string, unknown> = {};
  // Defined rather than assigned: a key such as "__proto__" must stay an ordinary property.
  for (const { key, value } of entries) {
    Object.defineProperty(secrets, key, { value, enumerable: true, writable: true, configurable: true });
  }
  const document = JSON.stringify(secrets, null, 2);
  if (options.file === undefined) return { json: secrets, text: document };

  await writeNewPrivateFile(options.file, `${document}\n`);
  const json: ExportFileJson = { file: options.file, exported: entries.length };
  return { json, text: `exported ${entries.length} secret${entries.length === 1 ? '' : 's'} to ${options.file}` };
}
