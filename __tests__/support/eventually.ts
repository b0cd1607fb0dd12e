/**
 * Polls `check` until it returns something other than undefined, for at most `timeoutMillis`: for what another
 * connection or process makes happen (a notification) with no way to be told. Fails with `what` when it never does.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMillis = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    const result = await check();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMillis} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
