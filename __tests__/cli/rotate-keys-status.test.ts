/**
 * `rotate-keys` and `status` on the embedded database, run in process: status counts secrets per key before and
 * after a rotation, and a rotation that cannot read a row reports it and exits 5.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { generateEncryptionKey } from '../../src';
import { useCliFolder } from '../support/cli-folder';
import { DEVELOPMENT_KEY_WARNING, expectErrorLine, expectJson, expectOk, type CliRun } from '../support/cli-output';
import { secretstore, useProcessStderr } from '../support/cli-run';
import { MIGRATIONS } from '../support/repository-files';

const TIMEOUT = 120_000;

const folder = useCliFolder('secretstore-cli-rotate-');
const devKeyWarnings = useProcessStderr();

describe('rotate-keys and status on the embedded database', () => {
  it(
    'status counts secrets per key before and after rotation; rotation reports what it cannot read',
    async () => {
      const k2 = generateEncryptionKey();
      const inData = (args: string[], keys?: string): Promise<CliRun> =>
        secretstore(folder.inDataDir(...args), {
          env: keys === undefined ? {} : { SECRETSTORE_ENCRYPTION_KEYS: keys },
        });

      // migrate makes the folder, with its development key.
      const made = await inData(['migrate']);
      expect(made.code).toBe(0);
      const fresh = await inData(['status']);
      expect(fresh.code).toBe(0);
      expect(fresh.stdout).toBe(
        [
          `database     ${folder.dataDir} (embedded)`,
          `migrations   ${MIGRATIONS.length} applied, 0 pending`,
          'active key   dev',
          'keyring      dev',
          'key check    dev not used yet',
          'keys in use  0 secrets under 0 keys',
          '',
        ].join('\n'),
      );
      expect(devKeyWarnings(made, fresh)).toMatch(DEVELOPMENT_KEY_WARNING);
      const devKey = readFileSync(path.join(folder.dataDir, 'encryption-keys'), 'utf8').trim();
      const rotating = `k2:${k2},${devKey}`;

      expect(expectOk(await inData(['set', 'a.one', '{}']))).toContain('version  1');
      const one = expectOk(await inData(['status']));
      expect(one).toContain('\nkey check    dev matches\nkeys in use  1 secret under 1 key\n');
      expect(one.split('\n').slice(-3)).toEqual([
        'KEY ID  ENCODING     SECRETS  IN KEYRING',
        'dev     aes-256-gcm  1        yes',
        '',
      ]);

      // Written under k2, read with the development key only: status says k2 is missing.
      const written = folder.writeJson('more.json', { 'a.two': { n: 2 }, 'a.three': [3] });
      expect(expectJson(await inData(['--json', 'import', written], rotating))).toMatchObject({ created: 2 });
      const mixed = expectOk(await inData(['status']));
      expect(mixed).toContain('\nkeys in use  3 secrets under 2 keys\n');
      expect(mixed).toMatch(/\ndev {2,}aes-256-gcm {2,}1 {2,}yes\nk2 {2,}aes-256-gcm {2,}2 {2,}NO\n$/);
      expect(expectJson(await inData(['--json', 'status']))).toMatchObject({
        keyring: { activeKeyId: 'dev', keyIds: ['dev'], activeKeyInKeyring: true },
        allKeysInKeyring: false,
      });

      expect(expectJson(await inData(['--json', 'rotate-keys', '--batch-size', '1'], rotating))).toEqual({
        activeKeyId: 'k2',
        algorithm: 'aes-256-gcm',
        scanned: 1,
        reEncrypted: 1,
        skipped: 0,
        failed: [],
        auditCheckpointsResealed: 0,
      });
      expect(expectJson(await inData(['--json', 'status'], rotating))).toEqual({
        database: { kind: 'embedded', description: folder.dataDir, exists: true },
        migrations: { applied: MIGRATIONS.map((name) => ({ name, changed: false })), pending: [], unknown: [] },
        keyring: {
          activeKeyId: 'k2',
          algorithm: 'aes-256-gcm',
          keyIds: ['k2', 'dev'],
          activeKeyInKeyring: true,
          keys: [
            { keyId: 'dev', state: 'recorded' },
            { keyId: 'k2', state: 'recorded' },
          ],
        },
        keysInUse: [{ encoding: 'aes-256-gcm', keyId: 'k2', secrets: 3, inKeyring: true }],
        allKeysInKeyring: true,
      });
      expect(expectOk(await inData(['rotate-keys'], rotating))).toBe(
        [
          'active key            k2',
          'scanned               0',
          're-encrypted          0',
          'skipped               0',
          'failed                0',
          'checkpoints resealed  0',
          '',
        ].join('\n'),
      );

      // Rotating to k3 without k2 in the keyring: no row can be read, none is changed, each is reported,
      // and the exit code says the rotation is not done.
      const incomplete = await inData(['rotate-keys'], `k3:${generateEncryptionKey()}`);
      expect({ code: incomplete.code, stderr: incomplete.stderr }).toEqual({ code: 5, stderr: '' });
      const [failed, summary] = incomplete.stdout.split(/\n(?=3 versions were left)/);
      expect(summary).toBe(
        '3 versions were left under their old key: fix the cause (a key missing from the keyring, a locked row) ' +
          'and run rotate-keys again\n' +
          // Nor can the trail, sealed under k2, be signed again under k3.
          'the audit trail was not sealed under the active key: The audit trail does not verify: checkpoint 1 is ' +
          'signed under key id "k2", which is not in the keyring; keep the old keys until a run reports no problem\n',
      );
      expect(`${failed}\n`.split('\n').map((line) => line.split(/\s{2,}/))).toEqual([
        ['active key', 'k3'],
        ['scanned', '3'],
        ['re-encrypted', '0'],
        ['skipped', '0'],
        ['failed', '3'],
        ['checkpoints resealed', '0'],
        ['FAILED KEY', 'VERSION', 'CODE'],
        ['a.one', '1', 'SECRET_DECRYPTION_FAILED'],
        ['a.three', '1', 'SECRET_DECRYPTION_FAILED'],
        ['a.two', '1', 'SECRET_DECRYPTION_FAILED'],
        [''],
      ]);
      expect(expectJson(await inData(['--json', 'get', 'a.three'], `k2:${k2}`))).toEqual({
        key: 'a.three',
        value: [3],
      });
      expectErrorLine(await inData(['get', 'a.three']), 5, 'SECRET_DECRYPTION_FAILED');
    },
    TIMEOUT,
  );
});
