import { CliUsageError } from './usage-error';

/**
 * What cannot be undone runs only with --yes: without it, a usage error (exit 2) before anything is opened.
 * `consequence` says what would be lost.
 */
export function requireConfirmation(yes: boolean | undefined, consequence: string): void {
  if (yes !== true) throw new CliUsageError('USAGE', `${consequence}, which cannot be undone: add --yes to confirm`);
}
