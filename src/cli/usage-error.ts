import { SecretStoreError } from '../errors';

/** The codes of the CLI's own errors: mistakes in what the user gave it, its output file, an undelete of a secret that is not deleted. */
export const CLI_ERROR_CODES = [
  'USAGE',
  'INVALID_JSON',
  'UNSAFE_NUMBER',
  'INPUT_UNREADABLE',
  'INVALID_IMPORT_FILE',
  'OUTPUT_EXISTS',
  'OUTPUT_UNWRITABLE',
  'NOT_DELETED',
] as const;

export type CliErrorCode = (typeof CLI_ERROR_CODES)[number];

/** A mistake in what the user gave the CLI: its arguments, input that is not the JSON expected, its output file. */
export class CliUsageError extends SecretStoreError {
  constructor(
    readonly code: CliErrorCode,
    message: string,
  ) {
    super(message);
  }
}
