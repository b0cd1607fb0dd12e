import { InvalidArgumentError } from 'commander';

import { assertKeyId } from '../encryption/encryption-key';
import { InvalidArgumentError as LibraryArgumentError, SecretStoreConfigError } from '../errors';
import { actorArgument, MAX_VERSION } from '../secretstore/lifecycle-arguments';
import { MAX_KEPT_VERSIONS } from '../secretstore/secret-store-options';
import { isWholeNumber } from '../whole-number';

// Parsers of option and argument values for commander: a value they refuse is a usage error (exit 2) naming the
// option, found before any database is opened.

function integerFrom(text: string, minimum: number, maximum: number, expected: string): number {
  const value = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!isWholeNumber(value, minimum, maximum)) throw new InvalidArgumentError(`expected ${expected}`);
  return value;
}

export function positiveInteger(text: string): number {
  return integerFrom(text, 1, Number.MAX_SAFE_INTEGER, 'a positive integer');
}

/** A position or count that may be 0 (`--after 0`). */
export function wholeNumber(text: string): number {
  return integerFrom(text, 0, Number.MAX_SAFE_INTEGER, 'a whole number');
}

/** A version of a secret: 1 to 2,147,483,647 (the column is a 32-bit integer). */
export function version(text: string): number {
  return integerFrom(text, 1, MAX_VERSION, 'a version: a whole number from 1 to 2147483647');
}

/** `--if-version`: a version, or 0 for "only if the secret is absent". */
export function expectedVersion(text: string): number {
  return integerFrom(text, 0, MAX_VERSION, 'a version, or 0 for a secret that does not exist');
}

/** `--versions 1,2,5`: versions separated by commas. */
export function versionList(text: string): number[] {
  const parts = text.split(',');
  if (parts.some((part) => part.trim() === '')) {
    throw new InvalidArgumentError('expected versions separated by commas, such as 1,2,5');
  }
  return parts.map((part) => version(part.trim()));
}

export function keyId(text: string): string {
  try {
    assertKeyId(text, '--id');
  } catch (error) {
    if (error instanceof SecretStoreConfigError) throw new InvalidArgumentError(error.problem);
    throw error;
  }
  return text;
}

/** `--actor`: the library's own rule (1 to 256 characters), checked while parsing. */
export function actorName(text: string): string {
  try {
    return actorArgument(text) as string;
  } catch (error) {
    if (error instanceof LibraryArgumentError) throw new InvalidArgumentError(error.problem);
    throw error;
  }
}

/**
 * What `none` parses to: a field to remove. Not null, which commander would turn into '' for an option that
 * takes a value.
 */
export const NONE = 'none';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * An ISO 8601 date (`2025-06-30`, midnight UTC) or date and time with its offset (`2025-06-30T12:00Z`,
 * `…+02:00`), or `none` (NONE) to remove it. A time without an offset is refused: it would mean the local time
 * of whichever machine runs the command.
 */
export function dateOrNone(text: string): Date | typeof NONE {
  if (text === NONE) return NONE;
  const match = ISO_DATE.exec(text);
  const date = new Date(text);
  if (match === null || Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError(
      'expected an ISO date (2025-06-30), a date and time with offset (2025-06-30T12:00Z), or none',
    );
  }
  // Date rolls 2025-02-30 over to March 2: a day the month does not have is refused instead.
  const [, year, month, day] = match.map(Number);
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) {
    throw new InvalidArgumentError(`expected a date that exists: ${text.slice(0, 10)} does not`);
  }
  return date;
}

/** `--max-versions`: 1 to 1,000, or `none` (NONE) for the store's default. */
export function maxVersionsOrNone(text: string): number | typeof NONE {
  if (text === NONE) return NONE;
  return integerFrom(text, 1, MAX_KEPT_VERSIONS, `a whole number from 1 to ${MAX_KEPT_VERSIONS}, or none`);
}

/** A repeatable option: each value, in order. */
export function collect(text: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), text];
}
