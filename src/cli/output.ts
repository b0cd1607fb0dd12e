import { CommanderError } from 'commander';

import { KeyringRequiredError, SchemaNotMigratedError, SecretStoreError } from '../errors';
import type { StoreLocation } from '../database/database-target';
import { ExitCode, exitCodeFor, UNEXPECTED_ERROR } from './exit-codes';

/** Where the CLI writes: process.stdout and process.stderr, or a test's buffers. */
export interface TextSink {
  write(text: string): unknown;
  /** True for a terminal (as on process.stdout); left out otherwise. */
  readonly isTTY?: boolean;
}

/** What a command produced, in both of its forms. */
export interface CommandResult {
  /** Printed with --json: one JSON value. */
  json: unknown;
  /** Printed otherwise, for a person: short lines or a small table, without the final newline. */
  text: string;
  /** Set when the command printed its result but did not do all it was asked (e.g. rows rotation left). */
  exitCode?: ExitCode;
}

interface ReportedError {
  code: string;
  message: string;
}

/**
 * The message of an error whose library text gives library advice (call migrate(), pass { encryption }):
 * at the command line, the command to run instead.
 */
function messageForTheCommandLine(error: SecretStoreError): string {
  if (error instanceof SchemaNotMigratedError) {
    return `${error.operation} failed: the database has no secret store schema yet; run \`secretstore migrate\` first`;
  }
  if (error instanceof KeyringRequiredError) {
    return (
      `SECRETSTORE_ENCRYPTION_KEYS is not set, and ${error.where} needs a keyring (keys are generated only for the ` +
      'embedded database): run `secretstore keygen --id k1` and export the printed entry as SECRETSTORE_ENCRYPTION_KEYS'
    );
  }
  return error.message;
}

/** One line, whatever the error: stable code, message without line breaks, never a stack. */
function describeError(error: unknown): ReportedError {
  const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();
  if (error instanceof CommanderError)
    return { code: 'USAGE', message: oneLine(error.message.replace(/^error: /, '')) };
  if (error instanceof SecretStoreError) return { code: error.code, message: oneLine(messageForTheCommandLine(error)) };
  if (error instanceof Error) return { code: UNEXPECTED_ERROR, message: oneLine(error.message || error.name) };
  return { code: UNEXPECTED_ERROR, message: 'a value that is not an Error was thrown' };
}

/** Everything the CLI prints goes through here: results on stdout, errors and notices on stderr. */
export class Output {
  constructor(
    private readonly stdout: TextSink,
    private readonly stderr: TextSink,
    private readonly json: boolean,
  ) {}

  result(result: CommandResult): void {
    this.line(result.json, result.text);
  }

  /** A line for the person at the terminal, never for a script: nothing in --json mode. */
  notice(line: string): void {
    if (!this.json) this.stderr.write(`${line}\n`);
  }

  /** As notice, only when stdout is a terminal too: a command whose output goes on and on is piped alike. */
  terminalNotice(line: string): void {
    if (this.stdout.isTTY === true) this.notice(line);
  }

  /** One line of a command that prints as it goes (watch), in the chosen form: written at once, not held back. */
  line(json: unknown, text: string): void {
    this.stdout.write(this.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
  }

  /** Reports `error` on stderr and returns the exit code it stands for. The stack only with --debug, and only for failures no other code explains. */
  error(error: unknown, debug: boolean): ExitCode {
    const exitCode = exitCodeFor(error);
    const reported = describeError(error);
    const stack = debug && exitCode === ExitCode.failure && error instanceof Error ? error.stack : undefined;
    if (this.json) {
      this.stderr.write(`${JSON.stringify({ error: stack === undefined ? reported : { ...reported, stack } })}\n`);
    } else {
      this.stderr.write(`secretstore: ${reported.message} (${reported.code})\n`);
      if (stack !== undefined) this.stderr.write(`${stack}\n`);
    }
    return exitCode;
  }
}

/** Columns padded to their widest cell; the last column is not padded. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Label/value lines, labels padded to one width. */
export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

/** A time as a person reads it in a table: ISO 8601 in UTC, to the second. */
export function formatTime(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Where the secrets are, as a person reads it: `/path/.secretstore (embedded)`, `db:5432/app (server)`. */
export function formatLocation(location: StoreLocation): string {
  return `${location.description} (${location.kind})`;
}
