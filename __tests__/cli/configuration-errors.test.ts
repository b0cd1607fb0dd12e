/**
 * Configuration errors, run in process: exit 3 and one line naming the setting (the same error as JSON with
 * --json), found before any connection is made or data folder created, never quoting a password or key.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

import { generateEncryptionKey } from '../../src';
import { useCliFolder } from '../support/cli-folder';
import { CANARY } from '../support/cli-output';
import { expectFailure, type CliRunOptions } from '../support/cli-run';

/** Nothing listens on port 1: connecting fails at once with ECONNREFUSED. */
const UNREACHABLE = 'postgres://127.0.0.1:1/x';

const folder = useCliFolder('secretstore-cli-configuration-');

describe('configuration errors (exit 3), found before any connection or data folder is made', () => {
  const keyring = `k1:${generateEncryptionKey()}`;
  const shortKey = randomBytes(16).toString('base64');

  it.each<{ name: string; args: string[]; env?: Record<string, string>; message: unknown }>([
    {
      name: 'a blank --database-url',
      args: ['--database-url', '  ', 'list'],
      message: 'Invalid configuration --database-url: is empty',
    },
    {
      name: 'a --database-url that is not PostgreSQL',
      args: ['--database-url', 'mysql://127.0.0.1/app', 'get', 'k'],
      message: 'Invalid configuration --database-url: must start with postgres:// or postgresql://',
    },
    {
      name: 'a --database-url with an unencoded / in its password',
      args: ['--database-url', `postgres://app:1234/${CANARY}@127.0.0.1/x`, 'migrate'],
      message:
        "Invalid configuration --database-url: is malformed: percent-encode '/', '@', '#' and '?' in the password",
    },
    {
      name: 'a --database-url that is not a URL',
      args: ['--database-url', `not a url ${CANARY}`, 'status'],
      message: 'Invalid configuration --database-url: is not a valid URL',
    },
    {
      name: 'a server without a keyring',
      args: ['--database-url', UNREACHABLE, 'list'],
      // The command to run, not the library's advice.
      message:
        'SECRETSTORE_ENCRYPTION_KEYS is not set, and a PostgreSQL server needs a keyring (keys are generated only ' +
        'for the embedded database): run `secretstore keygen --id k1` and export the printed entry as ' +
        'SECRETSTORE_ENCRYPTION_KEYS',
    },
    {
      name: 'a DATABASE_URL that is not a URL',
      args: ['list'],
      env: { DATABASE_URL: `not a url ${CANARY}` },
      message: 'Invalid configuration DATABASE_URL: is not a valid URL',
    },
    {
      name: 'a PGPORT that is not a port',
      args: ['migrate'],
      env: { PGPORT: '99999' },
      message: 'Invalid configuration PGPORT: must be a port number between 1 and 65535',
    },
    {
      name: 'a blank SECRETSTORE_DATA_DIR, for a store',
      args: ['get', 'k'],
      env: { SECRETSTORE_DATA_DIR: ' ' },
      message: 'Invalid configuration SECRETSTORE_DATA_DIR: is empty',
    },
    {
      name: 'a blank SECRETSTORE_DATA_DIR, for migrations',
      args: ['migrate'],
      env: { SECRETSTORE_DATA_DIR: ' ' },
      message: 'Invalid configuration SECRETSTORE_DATA_DIR: is empty',
    },
    {
      name: 'a key of 16 bytes',
      args: ['--data-dir', '<data>', 'list'],
      env: { SECRETSTORE_ENCRYPTION_KEYS: `k1:${shortKey}` },
      message: expect.stringMatching(/^Invalid configuration SECRETSTORE_ENCRYPTION_KEYS \(key "k1"\): /) as unknown,
    },
    {
      name: 'a keyring entry without an id',
      args: ['--data-dir', '<data>', 'status'],
      env: { SECRETSTORE_ENCRYPTION_KEYS: `${keyring},${shortKey}` },
      message: 'Invalid configuration SECRETSTORE_ENCRYPTION_KEYS: entry 2 is not of the form id:<base64>',
    },
    {
      name: 'a trigger.dev key that is not 32 bytes',
      args: ['--data-dir', '<data>', 'rotate-keys'],
      env: { SECRETSTORE_ENCRYPTION_KEYS: keyring, SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY: 'too short' },
      message: 'Invalid configuration SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY: must be 32 bytes in UTF-8',
    },
    {
      name: 'a --data-dir that cannot be made',
      args: ['--data-dir', '<file>/data', 'set', 'k', '{}'],
      message: expect.stringMatching(
        /^Invalid configuration SECRETSTORE_DATA_DIR: cannot create the folder .+\/data$/,
      ) as unknown,
    },
  ])('$name', async ({ args, env, message }) => {
    const file = folder.writeText('a-file', '');
    const resolved = args.map((arg) => arg.replace('<data>', folder.dataDir).replace('<file>', file));
    // Without --data-dir, SECRETSTORE_DATA_DIR points here too: a store opened by mistake would show.
    const options = (): CliRunOptions => ({ env: { SECRETSTORE_DATA_DIR: folder.dataDir, ...env } });
    expect(await expectFailure(resolved, 3, 'INVALID_CONFIGURATION', options)).toEqual(message);
    expect(existsSync(folder.dataDir)).toBe(false);
  });
});
