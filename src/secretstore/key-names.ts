import { InvalidSecretKeyError } from '../errors';

const MAX_KEY_BYTES = 1024;

// C0, DEL and C1 control characters are exactly what this pattern is for.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
const EDGE_WHITESPACE = /^\s|\s$/;

function problemWithText(text: string): string | undefined {
  if (Buffer.byteLength(text, 'utf8') > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes in UTF-8`;
  if (CONTROL_CHARACTER.test(text)) return 'contains a control character';
  // A lone surrogate has no UTF-8 form: the database would store a different key.
  if (!text.isWellFormed()) return 'contains an unpaired UTF-16 surrogate';
  return undefined;
}

/** A key is a non-empty string of at most 1024 UTF-8 bytes, without control characters or edge whitespace. */
export function assertValidKey(key: unknown): asserts key is string {
  if (typeof key !== 'string')
    throw new InvalidSecretKeyError(key, `must be a string, not ${key === null ? 'null' : typeof key}`);
  if (key.length === 0) throw new InvalidSecretKeyError(key, 'must not be empty');
  const problem = problemWithText(key);
  if (problem) throw new InvalidSecretKeyError(key, problem);
  if (EDGE_WHITESPACE.test(key)) throw new InvalidSecretKeyError(key, 'must not start or end with whitespace');
}

/** A prefix follows the key rules, except that it may be empty or end in whitespace (keys may go on after it). */
export function assertValidPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string') {
    throw new InvalidSecretKeyError(prefix, `prefix must be a string, not ${prefix === null ? 'null' : typeof prefix}`);
  }
  const problem = problemWithText(prefix);
  if (problem) throw new InvalidSecretKeyError(prefix, `prefix ${problem}`);
}
