/** A key id never stands for two keys: a data folder's key replaced by another is refused, and status says so. */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { useCliFolder } from '../support/cli-folder';
import { expectJson, expectJsonError, type CliRun } from '../support/cli-output';
import { secretstore } from '../support/cli-run';

jest.setTimeout(120_000);

const folder = useCliFolder('secretstore-key-check-');

const inFolder = (...args: string[]): Promise<CliRun> => secretstore(folder.inDataDir(...args));

it('refuses a development key file replaced by another key under the same id, and status shows it', async () => {
  expect((await inFolder('set', 'a', '{"x":1}')).code).toBe(0);
  const keyFile = path.join(folder.dataDir, 'encryption-keys');
  const original = readFileSync(keyFile, 'utf8');
  // A wrong backup restored, or a key made anew by hand: the same id "dev", another key.
  writeFileSync(keyFile, `dev:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });

  for (const args of [
    ['get', 'a'],
    ['set', 'b', '{"x":2}'],
  ]) {
    const refused = expectJsonError(await inFolder('--json', ...args), 3, 'ENCRYPTION_KEY_MISMATCH');
    expect(refused.message).toContain('"dev"');
  }
  const status = expectJson(await inFolder('--json', 'status'));
  expect(status).toMatchObject({
    keyring: { keys: [{ keyId: 'dev', state: 'mismatched' }] },
    allKeysInKeyring: false,
  });
  expect((await inFolder('status')).stdout).toContain('dev MISMATCHED: the database knows another key under this id');

  // With the right key back, everything reads, and b was never written.
  writeFileSync(keyFile, original);
  expect(expectJson(await inFolder('--json', 'export'))).toEqual({ a: { x: 1 } });
  expect(expectJson(await inFolder('--json', 'status'))).toMatchObject({
    keyring: { keys: [{ keyId: 'dev', state: 'recorded' }] },
    allKeysInKeyring: true,
  });
});
