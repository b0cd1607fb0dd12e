/**
 * The smallest string greater than every string that starts with `prefix`, in code point order (which is
 * byte order of UTF-8, the "C" collation's order). Undefined when no such string exists.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const codePoints = Array.from(prefix, (char) => char.codePointAt(0) as number);
  while (codePoints.length > 0) {
    const last = codePoints.pop() as number;
    if (last < 0x10ffff) {
      // Surrogates never occur in well-formed text: step over them.
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return String.fromCodePoint(...codePoints, next);
    }
  }
  return undefined;
}
