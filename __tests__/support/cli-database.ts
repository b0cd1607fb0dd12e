/**
 * The CLI run in process on this test file's own database (useTestDatabase): a scratch database on the harness
 * server, or the harness's PGlite served on a socket, so that the same test runs on both. Emptied before each
 * test; the raw connection is there for what only an attacker or the passing of time would do.
 */
import { randomBytes } from 'node:crypto';

import type { Database } from '../../src/database/database';
import { useTestDatabase } from '../harness/database';
import { expectErrorLine, expectJsonError, type CliRun } from './cli-output';
import { secretstore, type CliRunOptions } from './cli-run';

export interface CliDatabase {
  /** `secretstore --database-url <this database> …args`, with a keyring, as `SECRETSTORE_ACTOR` when given. */
  run(args: readonly string[], options?: { actor?: string; stdin?: CliRunOptions['stdin'] }): Promise<CliRun>;
  /** Runs `args` for a person and with --json: the same error both ways (as expectFailure); its message. */
  expectFailure(args: readonly string[], exitCode: number, code: string): Promise<string>;
  /** The same database, for raw SQL. */
  readonly database: Database;
}

/** Registers the hooks: the database opened once per file and emptied before each test. */
export function useCliDatabase(): CliDatabase {
  const testDatabase = useTestDatabase();
  const keyring = `k1:${randomBytes(32).toString('base64')}`;
  let url: string;

  beforeAll(async () => {
    url = await testDatabase().tcpUrl();
  });

  beforeEach(async () => {
    await testDatabase().reset();
  });

  const run: CliDatabase['run'] = (args, { actor, stdin } = {}) =>
    secretstore(['--database-url', url, ...args], {
      env: { SECRETSTORE_ENCRYPTION_KEYS: keyring, ...(actor === undefined ? {} : { SECRETSTORE_ACTOR: actor }) },
      stdin,
    });

  return {
    run,
    async expectFailure(args, exitCode, code) {
      const message = expectErrorLine(await run(args), exitCode, code);
      expect(expectJsonError(await run(['--json', ...args]), exitCode, code)).toEqual({ code, message });
      return message;
    },
    get database() {
      return testDatabase().database;
    },
  };
}
