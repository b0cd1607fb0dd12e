import { readFile } from 'node:fs/promises';

import { CliUsageError } from './usage-error';

/** What the CLI reads a value from when none is given as an argument. */
export type InputStream = AsyncIterable<string | Buffer> & { isTTY?: boolean };

/**
 * Parses JSON the user gave. The error names where the text came from and the position, never the text:
 * JSON.parse's own messages quote the input, which may be a secret.
 */
export function parseJson(text: string, source: string): unknown {
  if (text.trim() === '') throw new CliUsageError('INVALID_JSON', `${source} is empty`);
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    const position = error instanceof Error ? /at position (\d+)/.exec(error.message)?.[1] : undefined;
    const where = position === undefined ? '' : ` at character ${Number(position) + 1}`;
    throw new CliUsageError('INVALID_JSON', `${source} is not valid JSON${where}`);
  }
}

export async function readTextFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    throw new CliUsageError('INPUT_UNREADABLE', `cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

export async function readStream(stream: InputStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
