import { CommanderError } from 'commander';

import {
  DatabaseUnavailableError,
  EncryptionKeyMismatchError,
  InvalidArgumentError,
  InvalidSecretKeyError,
  InvalidSecretValueError,
  SecretNotFoundError,
  SecretStoreConfigError,
  SecretWriteOutcomeUnknownError,
} from '../errors';
import { CliUsageError } from './usage-error';

/**
 * The exit codes of `secretstore`, stable so that scripts can branch on them:
 *   0 success
 *   1 not found: get or delete of a key that does not exist
 *   2 usage: a command-line error, input that is not JSON, a value that is not an object or array, an invalid key
 *   3 configuration: INVALID_CONFIGURATION (e.g. no keyring for a server, a malformed SECRETSTORE_ENCRYPTION_KEYS)
 *     or ENCRYPTION_KEY_MISMATCH (a key id of the keyring names another key than the database knows)
 *   4 database unreachable: DATABASE_UNAVAILABLE
 *   5 any other failure
 *   6 write outcome unknown: WRITE_OUTCOME_UNKNOWN, the connection was lost after a write was sent
 */
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

/** The same table, for the end of `secretstore --help`. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  not found: get or delete of a key that does not exist
  2  usage: bad arguments or options, input that is not JSON, a value that is
     not an object or array, an invalid key
  3  configuration (INVALID_CONFIGURATION): e.g. no SECRETSTORE_ENCRYPTION_KEYS
     for a server, or a malformed one; or a key that is not the one the
     database knows under its id (ENCRYPTION_KEY_MISMATCH)
  4  database unreachable (DATABASE_UNAVAILABLE)
  5  any other failure
  6  write outcome unknown (WRITE_OUTCOME_UNKNOWN): the connection was lost
     after a write was sent; read the secret to see whether it was applied`;

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  if (error instanceof SecretNotFoundError) return ExitCode.notFound;
  if (
    error instanceof CliUsageError ||
    error instanceof InvalidSecretKeyError ||
    error instanceof InvalidSecretValueError ||
    error instanceof InvalidArgumentError
  ) {
    return ExitCode.usage;
  }
  if (error instanceof SecretStoreConfigError || error instanceof EncryptionKeyMismatchError) {
    return ExitCode.configuration;
  }
  // Before DatabaseUnavailableError, which it extends: the write may have been applied.
  if (error instanceof SecretWriteOutcomeUnknownError) return ExitCode.writeOutcomeUnknown;
  if (error instanceof DatabaseUnavailableError) return ExitCode.databaseUnavailable;
  return ExitCode.failure;
}
