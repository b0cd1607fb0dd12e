import { CommanderError } from 'commander';

import { isSecretStoreError, SecretStoreError, type SecretStoreErrorCode } from '../errors';
import type { CliErrorCode } from './usage-error';

/** The exit codes of `secretstore`, stable so that scripts can branch on them. */
export const ExitCode = {
  ok: 0,
  notFound: 1,
  usage: 2,
  configuration: 3,
  databaseUnavailable: 4,
  failure: 5,
  writeOutcomeUnknown: 6,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What each exit code means: the help's table and the README's are this one. */
export const EXIT_CODE_MEANINGS: Record<ExitCode, string> = {
  0: 'success',
  1: 'not found: a key (or a version of it) that does not exist, or is deleted where that matters; undelete of a secret that is not deleted',
  2: 'usage: bad arguments or options (a duration or date it cannot read, destroy or purge without --yes), input that is not JSON or would change on the way in, a value that is not an object or array, an invalid key',
  3: 'configuration: no SECRETSTORE_ENCRYPTION_KEYS for a server, a malformed one, a key that is not the one the database knows under its id',
  4: 'database unreachable',
  5: 'any other failure, rotate-keys that left secrets under their old key, and audit --verify that found a problem',
  6: 'write outcome unknown: the connection was lost after a write was sent; read the secret to see whether it was applied',
};

/** The code the CLI reports for a failure no error code of the package or of the CLI describes. */
export const UNEXPECTED_ERROR = 'UNEXPECTED_ERROR';

/** The exit code of every error code: each code of the package and of the CLI is here, or this does not compile. */
export const EXIT_CODE_OF: Record<SecretStoreErrorCode | CliErrorCode | typeof UNEXPECTED_ERROR, ExitCode> = {
  SECRET_NOT_FOUND: ExitCode.notFound,
  SECRET_VERSION_NOT_FOUND: ExitCode.notFound,
  NOT_DELETED: ExitCode.notFound,
  INVALID_SECRET_KEY: ExitCode.usage,
  INVALID_SECRET_VALUE: ExitCode.usage,
  SECRET_VALUE_TOO_LARGE: ExitCode.usage,
  INVALID_ARGUMENT: ExitCode.usage,
  USAGE: ExitCode.usage,
  INVALID_JSON: ExitCode.usage,
  UNSAFE_NUMBER: ExitCode.usage,
  INPUT_UNREADABLE: ExitCode.usage,
  INVALID_IMPORT_FILE: ExitCode.usage,
  OUTPUT_EXISTS: ExitCode.usage,
  OUTPUT_UNWRITABLE: ExitCode.usage,
  INVALID_CONFIGURATION: ExitCode.configuration,
  ENCRYPTION_KEY_MISMATCH: ExitCode.configuration,
  DATABASE_UNAVAILABLE: ExitCode.databaseUnavailable,
  WRITE_OUTCOME_UNKNOWN: ExitCode.writeOutcomeUnknown,
  SECRET_VERSION_CONFLICT: ExitCode.failure,
  SECRET_VALIDATION_FAILED: ExitCode.failure,
  SECRET_EXPIRED: ExitCode.failure,
  AUDIT_TRAIL_INVALID: ExitCode.failure,
  SECRET_CORRUPT: ExitCode.failure,
  SECRET_DECRYPTION_FAILED: ExitCode.failure,
  STORE_NOT_FOUND: ExitCode.failure,
  TRANSACTION_UNSUPPORTED: ExitCode.failure,
  TRANSACTION_CLOSED: ExitCode.failure,
  MIGRATION_FAILED: ExitCode.failure,
  MIGRATION_CHECKSUM_MISMATCH: ExitCode.failure,
  DATABASE_ERROR: ExitCode.failure,
  CONNECTION_ACQUIRE_TIMEOUT: ExitCode.failure,
  STATEMENT_TIMEOUT: ExitCode.failure,
  STATEMENT_CANCELLED: ExitCode.failure,
  TRANSACTION_CONFLICT: ExitCode.failure,
  TRANSACTION_ABORTED: ExitCode.failure,
  SCHEMA_NOT_MIGRATED: ExitCode.failure,
  UNEXPECTED_ERROR: ExitCode.failure,
};

/** The codes behind an exit code, for the help: `2  usage … (INVALID_ARGUMENT, …)` would be too long; codes of 3, 4, 6. */
function codesOf(exitCode: ExitCode): string[] {
  return Object.entries(EXIT_CODE_OF)
    .filter(([, mapped]) => mapped === exitCode)
    .map(([code]) => code);
}

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join(`\n${indent}`);
}

/** The exit code table at the end of `secretstore --help`, made from EXIT_CODE_MEANINGS. */
export const EXIT_CODES_HELP = `\nExit codes:\n${Object.entries(EXIT_CODE_MEANINGS)
  .map(([exitCode, meaning]) => {
    const codes = codesOf(Number(exitCode) as ExitCode);
    const named = codes.length > 0 && codes.length <= 2 ? ` (${codes.join(', ')})` : '';
    return `  ${exitCode}  ${wrap(`${meaning}${named}`, 74, '     ')}`;
  })
  .join('\n')}`;

/** The exit code for what a command threw: by its code, so that an error of another copy of the package counts. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  if (isSecretStoreError(error)) return EXIT_CODE_OF[error.code];
  // The CLI's own errors (CliUsageError) carry a code of the table too.
  if (error instanceof SecretStoreError && Object.hasOwn(EXIT_CODE_OF, error.code)) {
    return EXIT_CODE_OF[error.code as CliErrorCode];
  }
  return ExitCode.failure;
}
