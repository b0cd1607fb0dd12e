import { CommanderError } from 'commander';

import {
  DatabaseUnavailableError,
  InvalidSecretKeyError,
  InvalidSecretValueError,
  SecretNotFoundError,
  SecretStoreConfigError,
} from '../errors';
import { CliUsageError } from './usage-error';

/**
 * The exit codes of `secretstore`, stable so that scripts can branch on them:
 *   0 success
 *   1 not found: get or delete of a key that does not exist
 *   2 usage: a command-line error, input that is not JSON, a value that is not an object or array, an invalid key
 *   3 configuration: INVALID_CONFIGURATION, e.g. no keyring for a server or a malformed SECRETSTORE_ENCRYPTION_KEYS
 *   4 database unreachable: DATABASE_UNAVAILABLE
 *   5 any other failure
 */
export const ExitCode = {
  ok: 0,
  notFound: 1,
  usage: 2,
  configuration: 3,
  databaseUnavailable: 4,
  failure: 5,
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
     for a server, or a malformed one
  4  database unreachable (DATABASE_UNAVAILABLE)
  5  any other failure`;

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  if (error instanceof SecretNotFoundError) return ExitCode.notFound;
  if (
    error instanceof CliUsageError ||
    error instanceof InvalidSecretKeyError ||
    error instanceof InvalidSecretValueError
  ) {
    return ExitCode.usage;
  }
  if (error instanceof SecretStoreConfigError) return ExitCode.configuration;
  if (error instanceof DatabaseUnavailableError) return ExitCode.databaseUnavailable;
  return ExitCode.failure;
}
