import { InvalidArgumentError, SecretStoreConfigError } from './errors';

/** Whether `value` is a whole number (a safe integer) from `minimum` to `maximum`. */
export function isWholeNumber(value: unknown, minimum: number, maximum = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= minimum && value <= maximum;
}

/** A count setting: `fallback` when left out, else a whole number ≥ 1, or SecretStoreConfigError naming it. */
export function positiveInteger(setting: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!isWholeNumber(value, 1)) throw new SecretStoreConfigError(setting, 'must be a positive integer');
  return value;
}

/** A duration or limit setting that may be 0: `fallback` when left out, else a whole number ≥ 0. */
export function nonNegativeInteger(setting: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!isWholeNumber(value, 0)) throw new SecretStoreConfigError(setting, 'must be a whole number ≥ 0');
  return value;
}

/** An argument of a call that must be a whole number from `minimum` to `maximum`, or InvalidArgumentError. */
export function integerArgument(argument: string, value: unknown, minimum: number, maximum: number): number {
  if (!isWholeNumber(value, minimum, maximum)) {
    throw new InvalidArgumentError(
      argument,
      `must be a whole number from ${minimum.toLocaleString('en-US')} to ${maximum.toLocaleString('en-US')}`,
    );
  }
  return value;
}
