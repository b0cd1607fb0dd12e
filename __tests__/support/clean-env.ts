/**
 * The environment of a bare machine: no server (DATABASE_URL, PG*), no keyring or data folder (SECRETSTORE_*),
 * none of the test harness's choices (TEST_DATABASE*), and no NODE_OPTIONS for the processes a test starts.
 */
export const cleanEnv: Record<string, string | undefined> = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !/^(DATABASE_URL|PG[A-Z]*|SECRETSTORE_.*|TEST_DATABASE.*|NODE_OPTIONS)$/.test(name),
  ),
);
