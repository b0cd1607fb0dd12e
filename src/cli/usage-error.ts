import { SecretStoreError } from '../errors';

/** The codes of the CLI's own errors: mistakes in what the user gave it, and its output file. */
export const CLI_ERROR_CODES = [
  'USAGE',
  'INVALID_JSON',
  'UNSAFE_NUMBER',
  'INPUT_UNREADABLE',
  'INVALID_IMPORT_FILE',
  'OUTPUT_EXISTS',
  'OUTPUT_UNWRITABLE',
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
