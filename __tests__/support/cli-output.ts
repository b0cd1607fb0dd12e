/**
 * What a run of the `secretstore` CLI printed, in process or as its own process, and what the tests expect of
 * it: a success with its output, one JSON document, one error line for a person, one JSON error line — and no
 * secret value in any error.
 */
import { randomBytes } from 'node:crypto';

import { testdata } from './repository-files';

export interface CliRun {
  /** The exit code; null for a process ended by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export type Json = Record<string, unknown>;

/** An error as `--json` reports it on stderr; `stack` only with --debug. */
export interface ReportedError {
  code: string;
  message: string;
  stack?: string;
}

/** A secret value the CLI tests write: no error may ever show it. */
export const CANARY = `canary-${randomBytes(8).toString('hex')}`;
/** Short enough that JSON.parse's own message would quote all of it. */
export const SHORT_CANARY = `pw${randomBytes(3).toString('hex')}`;

/** Every secret value the CLI tests write, testdata/secrets.json's included. */
const SECRET_VALUES = [
  CANARY,
  SHORT_CANARY,
  String(testdata['oauth.github'].client_secret),
  String(testdata['database.postgres'].password),
  String(testdata['api.external'].api_key),
];

/** A time as --json prints it: ISO 8601 to the millisecond. */
export const ISO_TIME = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown;
/** A time in a table for a person: ISO 8601 to the second. */
export const TABLE_TIME = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) as unknown;

const WARNING_LINE = 'secretstore: generated a development encryption key in [^\\n]+\\n';
/** The line the CLI prints when it generates the development key of a new embedded data folder, alone. */
export const DEVELOPMENT_KEY_WARNING = new RegExp(`^${WARNING_LINE}$`);
const LEADING_WARNING = new RegExp(`^${WARNING_LINE}`);

/**
 * What a successful run may print on stderr: the development-key warning (`warned`: a data folder's first use),
 * nothing (`silent`), or either (`either`: a run that may or may not be the first).
 */
export type KeyWarning = 'warned' | 'silent' | 'either';

export function expectNoSecretIn(text: string): void {
  for (const value of SECRET_VALUES) expect(text).not.toContain(value);
}

/** A success: exit 0, and on stderr nothing but what `keyWarning` allows; the output. */
export function expectOk(result: CliRun, keyWarning: KeyWarning = 'either'): string {
  if (keyWarning === 'warned') expect(result.stderr).toMatch(DEVELOPMENT_KEY_WARNING);
  const stderr = keyWarning === 'silent' ? result.stderr : result.stderr.replace(LEADING_WARNING, '');
  expect({ code: result.code, stderr }).toEqual({ code: 0, stderr: '' });
  return result.stdout;
}

/** A success with --json: one JSON document, on one line of stdout. */
export function expectJson(result: CliRun, keyWarning: KeyWarning = 'either'): Json {
  const stdout = expectOk(result, keyWarning);
  expect(stdout.endsWith('\n') && stdout.indexOf('\n') === stdout.length - 1).toBe(true);
  return JSON.parse(stdout) as Json;
}

/** A failure in human mode: the exit code, nothing on stdout, one `secretstore: … (CODE)` line; its message. */
export function expectErrorLine(result: CliRun, exitCode: number, code: string): string {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code: exitCode, stdout: '' });
  const [, message] = /^secretstore: ([^\n]+) \((\w+)\)\n$/.exec(result.stderr) ?? [];
  expect(result.stderr).toBe(`secretstore: ${message} (${code})\n`);
  expectNoSecretIn(result.stderr);
  return message;
}

/** A failure with --json: the exit code, nothing on stdout, one JSON line on stderr; the error it reports. */
export function expectJsonError(result: CliRun, exitCode: number, code: string): ReportedError {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code: exitCode, stdout: '' });
  const { error } = JSON.parse(result.stderr) as { error: ReportedError };
  expect(result.stderr).toBe(`${JSON.stringify({ error })}\n`);
  expect(error.code).toBe(code);
  expectNoSecretIn(result.stderr);
  return error;
}
