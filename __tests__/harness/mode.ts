export type HarnessMode = 'server' | 'pglite';

export const HARNESS_MODE_VARIABLE = 'SECRETSTORE_TEST_DATABASE_MODE';
export const HARNESS_SERVER_VARIABLE = 'SECRETSTORE_TEST_SERVER_URL';
