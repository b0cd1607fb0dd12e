import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { createSecretStore, generateEncryptionKey, type SecretStoreLogger } from '../../src';
import { openEmbeddedDatabase } from '../../src/database/embedded';
import { useTemporaryFolder } from '../support/temporary-folder';

const Token = z.object({ token: z.string() });

// Each test creates and opens a PGlite database on disk: a few seconds alone, more beside other test files.
jest.setTimeout(240_000);

const folder = useTemporaryFolder('secretstore-embedded-');
/** The test's data folder: the temporary folder itself, unless a test moves it inside. */
let dataDir: string;
beforeEach(() => {
  dataDir = folder.path;
});

function captureStderr(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return { lines, restore: () => spy.mockRestore() };
}

describe('createSecretStore with no server configured', () => {
  it('uses PGlite under the data folder, with a development key made once (0600) and a one-line warning', async () => {
    const stderr = captureStderr();
    try {
      // A folder that does not exist yet is created, owner-only.
      dataDir = path.join(dataDir, 'nested', 'store');
      const first = await createSecretStore({ env: { SECRETSTORE_DATA_DIR: dataDir } });
      expect(first.describe().location).toEqual({ kind: 'embedded', description: dataDir });
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      await first.setSecret('oauth.github', { token: 'persisted' });
      await first.close();

      const keyFile = path.join(dataDir, 'encryption-keys');
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(keyFile, 'utf8')).toMatch(/^dev:[A-Za-z0-9+/]{43}=\n$/);
      expect(stderr.lines).toHaveLength(1);
      expect(stderr.lines[0]).toContain(keyFile);
      expect(stderr.lines[0]).not.toContain(readFileSync(keyFile, 'utf8').slice(4, 40));

      // A second store (as a second process would) finds the data and the same key, and warns no more.
      const second = await createSecretStore({ dataDir, env: {} });
      expect(await second.getSecret(Token, 'oauth.github')).toEqual({ token: 'persisted' });
      await second.close();
      expect(stderr.lines).toHaveLength(1);
    } finally {
      stderr.restore();
    }
  });

  it('sends the warning to an injected logger instead of stderr', async () => {
    const warnings: [Record<string, unknown>, string][] = [];
    const logger: SecretStoreLogger = { warn: (fields, message) => warnings.push([fields, message]) };
    const stderr = captureStderr();
    try {
      const store = await createSecretStore({ dataDir, env: {}, logger });
      await store.close();
    } finally {
      stderr.restore();
    }
    expect(stderr.lines).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0][0]).toEqual({ file: path.join(dataDir, 'encryption-keys') });
  });

  it('uses SECRETSTORE_ENCRYPTION_KEYS when set, generating nothing', async () => {
    const store = await createSecretStore({
      dataDir,
      env: { SECRETSTORE_ENCRYPTION_KEYS: `prod:${generateEncryptionKey()}` },
    });
    expect(store.toJSON()).toMatchObject({ activeKeyId: 'prod' });
    await store.close();
    expect(() => statSync(path.join(dataDir, 'encryption-keys'))).toThrow();
  });

  it('refuses a damaged development key file, naming it', async () => {
    const store = await createSecretStore({ dataDir, env: {}, logger: {} });
    await store.close();
    writeFileSync(path.join(dataDir, 'encryption-keys'), 'dev:not-base64');
    await expect(createSecretStore({ dataDir, env: {} })).rejects.toMatchObject({
      code: 'INVALID_CONFIGURATION',
      setting: expect.stringContaining('encryption-keys') as string,
    });
  });

  it('serves a held data folder to a second opener through the holder, and gives the folder up when closed', async () => {
    const first = await openEmbeddedDatabase(dataDir);
    try {
      const second = await openEmbeddedDatabase(dataDir, { waitMs: 300 });
      try {
        expect([first.role, second.role]).toEqual(['holder', 'client']);
        await first.database.query('CREATE TABLE shared (n integer)');
        await second.database.query('INSERT INTO shared VALUES ($1)', [7]);
        expect((await first.database.query('SELECT n FROM shared')).rows).toEqual([{ n: 7 }]);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
    expect(() => statSync(path.join(dataDir, 'lock'))).toThrow();
    // A lock left by a process that is gone (in the format of earlier versions) is taken over.
    writeFileSync(path.join(dataDir, 'lock'), '999999999');
    const third = await openEmbeddedDatabase(dataDir, { waitMs: 300 });
    expect(third.role).toBe('holder');
    await third.close();
    expect(() => statSync(path.join(dataDir, 'lock'))).toThrow();
  });
});
