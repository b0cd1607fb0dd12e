import { SecretCorruptError } from '../errors';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A stored envelope's JSON as an object, or SecretCorruptError naming what `what` is. */
export function parseObject(key: string, json: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new SecretCorruptError(key, `the ${what} is not JSON`);
  }
  if (!isRecord(value)) throw new SecretCorruptError(key, `the ${what} is not an object`);
  return value;
}

/**
 * The bytes of a base64 or hex field, from its canonical text only. Buffer.from skips what it cannot read and
 * takes URL-safe base64 and uppercase hex too: a base64 text must be as long as the bytes it yields and use the
 * standard alphabet; a hex text must be what those bytes encode to.
 */
export function decodeBytes(key: string, value: unknown, field: string, encoding: 'base64' | 'hex'): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, encoding);
    const canonical =
      encoding === 'hex'
        ? bytes.toString('hex') === value
        : value.length === Math.ceil(bytes.length / 3) * 4 && !value.includes('-') && !value.includes('_');
    if (canonical) return bytes;
  }
  throw new SecretCorruptError(key, `the envelope's "${field}" is not ${encoding}`);
}
