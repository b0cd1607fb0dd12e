/**
 * The `secretstore` CLI run in process: `run(argv, io)` with collecting sinks for stdout and stderr, a
 * Readable for stdin, and the environment of a bare machine (no DATABASE_URL, PG* or SECRETSTORE_*) plus
 * what a test adds.
 */
import { Readable } from 'node:stream';

import type { InputStream } from '../../src/cli/json-input';
import { run } from '../../src/cli/program';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Variables added to the clean environment. */
  env?: Record<string, string>;
  stdin?: InputStream;
}

/** The environment of a bare machine: no server, no keyring, no data folder chosen. */
export const cleanEnv: Record<string, string | undefined> = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !/^(DATABASE_URL|PG[A-Z]*|SECRETSTORE_.*|TEST_DATABASE.*)$/.test(name),
  ),
);

class CollectedText {
  text = '';

  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

/** stdin yielding `chunks` one by one. */
export function stdinOf(chunks: readonly (string | Buffer)[], { isTTY = false } = {}): InputStream {
  return Object.assign(Readable.from(chunks), { isTTY });
}

export async function secretstore(
  args: readonly string[],
  { env = {}, stdin = stdinOf([]) }: CliRunOptions = {},
): Promise<CliRun> {
  const stdout = new CollectedText();
  const stderr = new CollectedText();
  const code = await run(['node', 'secretstore', ...args], { stdin, stdout, stderr, env: { ...cleanEnv, ...env } });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** The one line the CLI prints when it generates the development key of a new embedded data folder. */
export const DEVELOPMENT_KEY_WARNING = /^secretstore: generated a development encryption key in [^\n]+\n/;

/**
 * The JSON document a `--json` run printed on stdout, after checking it succeeded with nothing on stderr but,
 * on first use of a data folder, the development-key warning.
 */
export function jsonOf(result: CliRun): unknown {
  const stderr = result.stderr.replace(DEVELOPMENT_KEY_WARNING, '');
  expect({ code: result.code, stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(result.stdout);
}

/** The error a `--json` run reported: its exit code and `{ code, message }` from stderr, nothing on stdout. */
export function jsonErrorOf(result: CliRun): { exitCode: number; code: string; message: string } {
  expect(result.stdout).toBe('');
  const { error } = JSON.parse(result.stderr) as { error: { code: string; message: string } };
  return { exitCode: result.code, code: error.code, message: error.message };
}

/** `secretstore(args)` with variables added to the clean environment. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return secretstore(args, { env });
}
