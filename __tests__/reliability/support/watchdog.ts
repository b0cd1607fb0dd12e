/** Longer than any pool or statement timeout the suite configures, so only a real hang reaches it. */
export const CALL_DEADLINE_MS = 20_000;

export class HungCallError extends Error {
  override readonly name = 'HungCallError';
}

/**
 * Settles as `call` does, or rejects with HungCallError once `deadlineMs` has passed: a call that never
 * settles becomes a failure naming the operation, not a jest timeout naming nothing.
 */
export async function withinDeadline<T>(what: string, call: Promise<T>, deadlineMs = CALL_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HungCallError(`hung: ${what} did not settle within ${deadlineMs / 1000} s`)),
      deadlineMs,
    );
  });
  try {
    return await Promise.race([call, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` until it holds; rejects naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${what} after ${timeoutMs / 1000} s`);
    await sleep(10);
  }
}
