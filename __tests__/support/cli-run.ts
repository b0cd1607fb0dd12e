/**
 * The `secretstore` CLI run in process, so that jest's coverage sees src/cli: `run(argv, io)` with collecting
 * sinks for stdout and stderr, a Readable for stdin, and a bare machine's environment plus what a test adds.
 */
import { Readable } from 'node:stream';

import type { InputStream } from '../../src/cli/json-input';
import { run } from '../../src/cli/program';
import { cleanEnv } from './clean-env';
import { expectErrorLine, expectJsonError, type CliRun } from './cli-output';

export interface CliRunOptions {
  /** Variables added to the clean environment. */
  env?: Record<string, string>;
  stdin?: InputStream;
}

/** What a TextSink was given, as a terminal would show it. */
class CollectedText {
  text = '';

  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

/** stdin yielding `chunks` one by one (strings stay strings, Buffers stay Buffers). */
export function stdinOf(chunks: readonly (string | Buffer)[], { isTTY = false } = {}): InputStream {
  return Object.assign(Readable.from(chunks), { isTTY });
}

/** stdin whose first read throws `thrown`: a failure that no exit code but 5 explains. */
export function failingStdin(thrown: unknown): InputStream {
  return {
    [Symbol.asyncIterator]: () => ({
      next: async (): Promise<IteratorResult<string>> => {
        throw thrown;
      },
    }),
  };
}

/** Runs `secretstore …args` in process; its exit code and what it printed. */
export async function secretstore(
  args: readonly string[],
  { env = {}, stdin = stdinOf([]) }: CliRunOptions = {},
): Promise<CliRun> {
  const stdout = new CollectedText();
  const stderr = new CollectedText();
  const code = await run(['node', 'secretstore', ...args], { stdin, stdout, stderr, env: { ...cleanEnv, ...env } });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/**
 * Runs `args` for a person and with --json (options made afresh for each, stdin included): the same error both
 * ways; its message.
 */
export async function expectFailure(
  args: readonly string[],
  exitCode: number,
  code: string,
  options: () => CliRunOptions = () => ({}),
): Promise<string> {
  const message = expectErrorLine(await secretstore(args, options()), exitCode, code);
  expect(expectJsonError(await secretstore(['--json', ...args], options()), exitCode, code)).toEqual({ code, message });
  return message;
}

/**
 * Lines starting `secretstore: ` that anything writes to process.stderr while this file's tests run, held back
 * from the terminal: the library under the CLI would print the development-key warning there were it given no
 * logger. Returns what the current test printed there together with the stderr of `runs`: wherever the CLI puts
 * the warning, a test sees it.
 */
export function useProcessStderr(): (...runs: readonly CliRun[]) => string {
  let printed = '';
  let spy: jest.SpyInstance | undefined;
  beforeAll(() => {
    const write = process.stderr.write.bind(process.stderr);
    spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (!text.startsWith('secretstore: ')) return write(chunk);
      printed += text;
      return true;
    });
  });
  afterAll(() => spy?.mockRestore());
  beforeEach(() => {
    printed = '';
  });
  return (...runs) => printed + runs.map((result) => result.stderr).join('');
}
