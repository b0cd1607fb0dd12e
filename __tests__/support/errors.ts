/** The `code` of an error, or its constructor name when it has none: what a test compares failures by. */
export function codeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    return error.constructor.name;
  }
  return typeof error;
}
