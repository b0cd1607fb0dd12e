/**
 * A process of its own with a cached store (a TTL that never ends), for the tests of invalidation between
 * processes: `node --import tsx cache-worker.ts <url>` with SECRETSTORE_ENCRYPTION_KEYS set. It reads commands
 * on stdin and prints one JSON event per line:
 *   read <key>           → { event: 'read', value }            (served from the cache when it holds the key)
 *   await <key> <n>      → { event: 'saw', n, cached }         (reads until the value's n is <n>, for up to 20 s,
 *                                                               then until the cache holds it: a read that raced
 *                                                               the change's own notification is not stored)
 *   describe             → { event: 'described', cache }
 */
import { createInterface } from 'node:readline';

import { anyJson, createSecretStore } from '../../src';

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ pid: process.pid, ...event })}\n`);
}

async function main(): Promise<void> {
  const [url] = process.argv.slice(2);
  const store = await createSecretStore({
    db: url,
    env: process.env,
    cache: { ttlMillis: Number.POSITIVE_INFINITY, maxEntries: 1_000 },
  });
  emit({ event: 'ready', cache: store.describe().cache });
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [command, key, wanted] = line.split(' ');
    if (command === 'read') {
      emit({ event: 'read', value: await store.getSecret(anyJson, key) });
    } else if (command === 'await') {
      const deadline = Date.now() + 20_000;
      let value = (await store.getSecret(anyJson, key)) as { n?: number } | undefined;
      while (value?.n !== Number(wanted) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        value = (await store.getSecret(anyJson, key)) as { n?: number } | undefined;
      }
      while (value?.n === Number(wanted) && store.describe().cache?.keys === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        value = (await store.getSecret(anyJson, key)) as { n?: number } | undefined;
      }
      emit({ event: 'saw', n: value?.n ?? null, cached: store.describe().cache?.keys === 1 });
    } else if (command === 'describe') {
      emit({ event: 'described', cache: store.describe().cache });
    }
  }
  await store.close();
}

main().catch((error: unknown) => {
  emit({ event: 'failed', error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  process.exitCode = 1;
});
