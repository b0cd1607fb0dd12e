/**
 * Code point order, which is the "C" collation's order (UTF-8 bytes): the order the database lists keys in.
 * UTF-16 code units compare the same way except where a surrogate meets a unit above it (U+E000–U+FFFF).
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const left = a.charCodeAt(index);
    const right = b.charCodeAt(index);
    if (left === right) continue;
    const leftSurrogate = left >= 0xd800 && left <= 0xdfff;
    const rightSurrogate = right >= 0xd800 && right <= 0xdfff;
    // A surrogate stands for a code point above U+FFFF: after every unit that is not one.
    if (leftSurrogate !== rightSurrogate) return leftSurrogate ? 1 : -1;
    return left - right;
  }
  return a.length - b.length;
}
