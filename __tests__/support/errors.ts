/** The errors a test expects: catching them, checking their class and code, and naming them for comparison. */
import { isSecretStoreError } from '../../src';

/** A class whose instances carry a literal `code`, as every error of the package does. */
type CodedErrorClass<E extends Error & { readonly code: string }> = abstract new (...args: never[]) => E;

/** The error `promise` rejects with; fails the test when it resolves instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** The error `action` throws; fails the test when it returns instead. */
export function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw, but it returned');
}

/** Fails unless `error` is an instance of `errorClass` whose `code` is `code`; returns it, typed. */
export function expectError<E extends Error & { readonly code: string }>(
  error: unknown,
  errorClass: CodedErrorClass<E>,
  code: E['code'],
): E {
  expect(error).toBeInstanceOf(errorClass);
  expect((error as E).code).toBe(code);
  return error as E;
}

/**
 * Fails unless `promise` rejects with an instance of `errorClass` whose `code` is `code`; returns the error for
 * further checks.
 */
export async function expectRejection<E extends Error & { readonly code: string }>(
  promise: Promise<unknown>,
  errorClass: CodedErrorClass<E>,
  code: E['code'],
): Promise<E> {
  return expectError(await rejectionOf(promise), errorClass, code);
}

/** Fails unless `action` throws an instance of `errorClass` whose `code` is `code`; returns the error. */
export function expectThrow<E extends Error & { readonly code: string }>(
  action: () => unknown,
  errorClass: CodedErrorClass<E>,
  code: E['code'],
): E {
  return expectError(thrownBy(action), errorClass, code);
}

/**
 * What a test compares failures by: the code of one of the package's errors, or, for anything else, "untyped"
 * and what it is (its name, and its own code if it has one), so that it never passes for one of ours.
 */
export function codeOf(error: unknown): string {
  if (isSecretStoreError(error)) return error.code;
  if (!(error instanceof Error)) return `untyped ${error === null ? 'null' : typeof error}`;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' ? `untyped ${error.name} ${code}` : `untyped ${error.name}`;
}
