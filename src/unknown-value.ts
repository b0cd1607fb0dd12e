/** A value whose properties can be read: an object, not null. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The `code` of a thrown value (ENOENT, EEXIST, a SQLSTATE…), if it has one. */
export function codeOf(error: unknown): unknown {
  return isObject(error) ? error.code : undefined;
}
