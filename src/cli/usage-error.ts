import { SecretStoreError } from '../errors';

/** A mistake in what the user gave the CLI: its arguments, or input that is not the JSON expected. */
export class CliUsageError extends SecretStoreError {
  constructor(
    /** USAGE, INVALID_JSON, INPUT_UNREADABLE or INVALID_IMPORT_FILE. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
