export default async function globalTeardown(): Promise<void> {
  await globalThis.__SECRETSTORE_TEST_CONTAINER__?.stop();
  globalThis.__SECRETSTORE_TEST_CONTAINER__ = undefined;
}
