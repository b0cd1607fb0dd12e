import { SecretStoreConfigError } from './errors';

function wholeNumber(setting: string, value: number | undefined, fallback: number, minimum: number, expected: string) {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < minimum) throw new SecretStoreConfigError(setting, `must be ${expected}`);
  return value;
}

/** A count setting: `fallback` when left out, else a whole number ≥ 1, or SecretStoreConfigError naming it. */
export function positiveInteger(setting: string, value: number | undefined, fallback: number): number {
  return wholeNumber(setting, value, fallback, 1, 'a positive integer');
}

/** A duration or limit that may be 0: `fallback` when left out, else a whole number ≥ 0. */
export function nonNegativeInteger(setting: string, value: number | undefined, fallback: number): number {
  return wholeNumber(setting, value, fallback, 0, 'a whole number ≥ 0');
}
