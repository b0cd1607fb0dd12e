/** A key id never stands for two keys: a data folder's key replaced by another is refused, and status says so. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { jsonErrorOf, jsonOf, secretstore, type CliRun } from '../support/cli-run';

jest.setTimeout(120_000);

let workDir: string;
let dataDir: string;

beforeEach(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'secretstore-key-check-'));
  dataDir = path.join(workDir, '.secretstore');
});
afterEach(() => rmSync(workDir, { recursive: true, force: true }));

const inFolder = (...args: string[]): Promise<CliRun> => secretstore(['--data-dir', dataDir, ...args]);

it('refuses a development key file replaced by another key under the same id, and status shows it', async () => {
  expect((await inFolder('set', 'a', '{"x":1}')).code).toBe(0);
  const keyFile = path.join(dataDir, 'encryption-keys');
  const original = readFileSync(keyFile, 'utf8');
  // A wrong backup restored, or a key made anew by hand: the same id "dev", another key.
  writeFileSync(keyFile, `dev:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });

  for (const args of [
    ['get', 'a'],
    ['set', 'b', '{"x":2}'],
  ]) {
    const refused = jsonErrorOf(await inFolder('--json', ...args));
    expect(refused).toMatchObject({ exitCode: 3, code: 'ENCRYPTION_KEY_MISMATCH' });
    expect(refused.message).toContain('"dev"');
  }
  const status = jsonOf(await inFolder('--json', 'status')) as { keyring: unknown; allKeysInKeyring: boolean };
  expect(status).toMatchObject({
    keyring: { keys: [{ keyId: 'dev', state: 'mismatched' }] },
    allKeysInKeyring: false,
  });
  expect((await inFolder('status')).stdout).toContain('dev MISMATCHED: the database knows another key under this id');

  // With the right key back, everything reads, and b was never written.
  writeFileSync(keyFile, original);
  expect(jsonOf(await inFolder('--json', 'export'))).toEqual({ a: { x: 1 } });
  expect(jsonOf(await inFolder('--json', 'status'))).toMatchObject({
    keyring: { keys: [{ keyId: 'dev', state: 'recorded' }] },
    allKeysInKeyring: true,
  });
});
