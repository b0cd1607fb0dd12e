/**
 * The embedded data folder on disk, through createSecretStore with real PGlite: its key file (never replaced
 * under the same id once a database depends on it, published atomically), the keyring it adds to
 * SECRETSTORE_ENCRYPTION_KEYS, opening only a store that exists, the permissions of the folder and key, and a
 * database folder that PGlite cannot open.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { anyJson, createSecretStore, generateEncryptionKey, type SecretStoreLogger } from '../../src';
import { openEmbeddedDatabase } from '../../src/database/embedded';
import { loadEmbeddedKeyring } from '../../src/encryption/development-key';
import { rejectionOf } from '../support/errors';
import { useTemporaryFolder } from '../support/temporary-folder';

// Each opening of PGlite on disk takes seconds, and a minute or more on a loaded machine beside other test files.
jest.setTimeout(240_000);

const KEY_FILE_TEXT = /^dev:[A-Za-z0-9+/]{43}=\n$/;
const GENERATED = /^secretstore: generated a development encryption key in /;

const root = useTemporaryFolder('secretstore-data-folder-');
let dataDir: string;
let keyFile: string;
beforeEach(() => {
  dataDir = root.join('data');
  keyFile = path.join(dataDir, 'encryption-keys');
});

/** A logger that keeps its warnings, so that a test sees each one (and that there is no other). */
function collectingLogger(): { logger: SecretStoreLogger; warnings: string[] } {
  const warnings: string[] = [];
  return { logger: { warn: (_fields, message) => warnings.push(message) }, warnings };
}

const modeOf = (file: string): number => statSync(file).mode & 0o777;

/** The files beside the key file: none but itself, once no process is writing it. */
const keyFiles = (): string[] => readdirSync(dataDir).filter((name) => name.startsWith('encryption-keys'));

/** Warnings are asserted where they matter; elsewhere they would only clutter the test output. */
const quiet: SecretStoreLogger = { warn: () => undefined };

async function storeWithSecret(env: Record<string, string> = {}, logger = quiet): Promise<void> {
  const store = await createSecretStore({ dataDir, env, logger });
  try {
    await store.setSecret('oauth.github', { token: 'first' });
  } finally {
    await store.close();
  }
}

describe('the development key file', () => {
  it('is never made again in a folder that holds a database: a lost or emptied file is refused, with the way back', async () => {
    const { logger, warnings } = collectingLogger();
    await storeWithSecret({}, logger);
    const original = readFileSync(keyFile, 'utf8');

    for (const damage of ['missing', 'empty'] as const) {
      if (damage === 'missing') rmSync(keyFile);
      else writeFileSync(keyFile, '', { mode: 0o600 });

      const error = await rejectionOf(createSecretStore({ dataDir, env: {}, logger }));
      expect(error).toMatchObject({ code: 'INVALID_CONFIGURATION', setting: keyFile });
      const { message } = error as Error;
      expect(message).toContain(`is ${damage}, but the folder holds a database`);
      expect(message).toContain('Restore the file from a backup');
      expect(message).toContain('SECRETSTORE_ENCRYPTION_KEYS');
      // No key was made in its place.
      expect(keyFiles()).toEqual(damage === 'missing' ? [] : ['encryption-keys']);
      if (damage === 'empty') expect(readFileSync(keyFile, 'utf8')).toBe('');
    }

    // Restored from a backup, the file reads the secrets written before.
    writeFileSync(keyFile, original, { mode: 0o600 });
    const restored = await createSecretStore({ dataDir, env: {}, logger });
    expect(await restored.getSecret(anyJson, 'oauth.github')).toEqual({ token: 'first' });
    await restored.close();
    expect(warnings).toEqual([expect.stringMatching(GENERATED)]);
  });

  it('is made afresh when empty in a folder without a database: a crash while writing it left a key no one used', async () => {
    mkdirSync(dataDir, { mode: 0o700 });
    writeFileSync(keyFile, '', { mode: 0o600 });
    const { logger, warnings } = collectingLogger();

    await storeWithSecret({}, logger);

    expect(readFileSync(keyFile, 'utf8')).toMatch(KEY_FILE_TEXT);
    expect(modeOf(keyFile)).toBe(0o600);
    expect(keyFiles()).toEqual(['encryption-keys']);
    expect(warnings).toEqual([expect.stringMatching(GENERATED)]);
  });

  it('is not disturbed by a temporary file that a crash left while publishing a key', async () => {
    mkdirSync(dataDir, { mode: 0o700 });
    const leftover = `${keyFile}.tmp-999999-0123456789ab`;
    writeFileSync(leftover, `dev:${generateEncryptionKey()}\n`, { mode: 0o600 });

    await storeWithSecret();
    const store = await createSecretStore({ dataDir, env: {} });
    expect(await store.getSecret(anyJson, 'oauth.github')).toEqual({ token: 'first' });
    await store.close();

    expect(readFileSync(keyFile, 'utf8')).toMatch(KEY_FILE_TEXT);
    expect(readFileSync(keyFile, 'utf8')).not.toBe(readFileSync(leftover, 'utf8'));
  });

  it.each([
    ['missing', false],
    ['empty', true],
  ])(
    'is one key for openers racing on a folder where it is %s: the first published wins, none is replaced',
    async (_, empty) => {
      mkdirSync(dataDir, { mode: 0o700 });
      if (empty) writeFileSync(keyFile, '', { mode: 0o600 });
      const { logger, warnings } = collectingLogger();

      const keyrings = await Promise.all(
        Array.from({ length: 8 }, () => loadEmbeddedKeyring(dataDir, undefined, logger)),
      );

      const published = readFileSync(keyFile, 'utf8');
      expect(published).toMatch(KEY_FILE_TEXT);
      for (const keyring of keyrings) {
        expect(keyring.activeKeyId).toBe('dev');
        expect(`dev:${keyring.keys.dev.exportBase64()}\n`).toBe(published);
      }
      expect(warnings).toEqual([expect.stringMatching(GENERATED)]);
      expect(keyFiles()).toEqual(['encryption-keys']);
    },
  );
});

describe('the keyring of an embedded folder', () => {
  it('is SECRETSTORE_ENCRYPTION_KEYS, its first key active, plus the keys of the key file that it does not name', async () => {
    await storeWithSecret();
    const devEntry = readFileSync(keyFile, 'utf8').trim();
    const k1 = `k1:${generateEncryptionKey()}`;

    const store = await createSecretStore({ dataDir, env: { SECRETSTORE_ENCRYPTION_KEYS: k1 } });
    try {
      expect(store.toJSON()).toMatchObject({ activeKeyId: 'k1', keyIds: ['k1', 'dev'] });
      expect(await store.getSecret(anyJson, 'oauth.github')).toEqual({ token: 'first' });
      await store.setSecret('api.token', { token: 'second' });
      expect((await store.listSecrets()).secrets.map(({ key, keyId }) => [key, keyId])).toEqual([
        ['api.token', 'k1'],
        ['oauth.github', 'dev'],
      ]);
    } finally {
      await store.close();
    }

    // The variable may name the file's key too, with the same material: it is the same key.
    const both = await createSecretStore({ dataDir, env: { SECRETSTORE_ENCRYPTION_KEYS: `${devEntry},${k1}` } });
    expect(both.toJSON()).toMatchObject({ activeKeyId: 'dev', keyIds: ['dev', 'k1'] });
    expect(await both.getSecret(anyJson, 'api.token')).toEqual({ token: 'second' });
    await both.close();
    expect(readFileSync(keyFile, 'utf8')).toBe(`${devEntry}\n`);
  });

  it('refuses an id that the variable and the key file give different keys, naming the id and never a key', async () => {
    await storeWithSecret();
    const fileKey = readFileSync(keyFile, 'utf8').trim().slice('dev:'.length);
    const otherKey = generateEncryptionKey();

    const error = await rejectionOf(
      createSecretStore({
        dataDir,
        env: { SECRETSTORE_ENCRYPTION_KEYS: `k1:${generateEncryptionKey()},dev:${otherKey}` },
      }),
    );

    expect(error).toMatchObject({ code: 'INVALID_CONFIGURATION', setting: 'SECRETSTORE_ENCRYPTION_KEYS' });
    const { message } = error as Error;
    expect(message).toContain('key id "dev" is also in');
    expect(message).not.toContain(otherKey);
    expect(message).not.toContain(fileKey);
  });
});

describe('createSecretStore({ createIfMissing: false })', () => {
  it('throws STORE_NOT_FOUND and creates nothing where the folder holds no store', async () => {
    const open = (env: Record<string, string> = {}): Promise<unknown> =>
      rejectionOf(createSecretStore({ dataDir, env, createIfMissing: false }));

    expect(await open()).toMatchObject({ code: 'STORE_NOT_FOUND', name: 'StoreNotFoundError', dataDir });
    expect(existsSync(dataDir)).toBe(false);

    mkdirSync(dataDir, { mode: 0o755 });
    expect(await open({ SECRETSTORE_ENCRYPTION_KEYS: `k1:${generateEncryptionKey()}` })).toMatchObject({
      code: 'STORE_NOT_FOUND',
    });
    // Not even the folder's upkeep: no key, no .gitignore, its mode as it was.
    expect(readdirSync(dataDir)).toEqual([]);
    expect(modeOf(dataDir)).toBe(0o755);

    // A key file without a database (a first run stopped before creating it) is no store either.
    writeFileSync(keyFile, `dev:${generateEncryptionKey()}\n`, { mode: 0o600 });
    expect(await open()).toMatchObject({ code: 'STORE_NOT_FOUND' });
    expect(readdirSync(dataDir)).toEqual(['encryption-keys']);
  });

  it('opens a store that exists', async () => {
    await storeWithSecret();
    const store = await createSecretStore({ dataDir, env: {}, createIfMissing: false });
    expect(await store.getSecret(anyJson, 'oauth.github')).toEqual({ token: 'first' });
    await store.close();
  });

  it('names a data folder under a file as a configuration error', async () => {
    const file = root.join('a-file');
    writeFileSync(file, '');
    const error = await rejectionOf(
      createSecretStore({ dataDir: path.join(file, 'data'), env: {}, createIfMissing: false }),
    );
    expect(error).toMatchObject({ code: 'INVALID_CONFIGURATION', setting: 'SECRETSTORE_DATA_DIR' });
    expect((error as Error).message).toContain(`is not a folder: ${path.join(file, 'data')}`);
  });
});

describe('permissions of the data folder and its key', () => {
  it('makes a new folder 0700 with a .gitignore of *, and a correct folder draws no warning', async () => {
    const { logger, warnings } = collectingLogger();
    await storeWithSecret({}, logger);

    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(keyFile)).toBe(0o600);
    expect(readFileSync(path.join(dataDir, '.gitignore'), 'utf8')).toBe('*\n');
    expect(warnings).toEqual([expect.stringMatching(GENERATED)]);

    const again = await createSecretStore({ dataDir, env: {}, logger });
    await again.close();
    expect(warnings).toHaveLength(1);
  });

  it('restricts a folder and a key file that others can reach to their owner, warning about each', async () => {
    await storeWithSecret();
    chmodSync(dataDir, 0o755);
    chmodSync(keyFile, 0o644);
    const keyMaterial = readFileSync(keyFile, 'utf8').trim().slice('dev:'.length);
    const { logger, warnings } = collectingLogger();

    const store = await createSecretStore({ dataDir, env: {}, logger });
    expect(await store.getSecret(anyJson, 'oauth.github')).toEqual({ token: 'first' });
    await store.close();

    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(keyFile)).toBe(0o600);
    expect(warnings).toEqual([
      `secretstore: ${dataDir} was open to other users (mode 0755); restricted it to 0700`,
      `secretstore: ${keyFile} was open to other users (mode 0644); restricted it to 0600`,
    ]);
    expect(warnings.join('\n')).not.toContain(keyMaterial);
  });

  it('writes the .gitignore into an existing folder, and leaves one already there alone', async () => {
    mkdirSync(dataDir, { mode: 0o700 });
    writeFileSync(path.join(dataDir, '.gitignore'), 'pgdata/\n');
    await storeWithSecret();
    expect(readFileSync(path.join(dataDir, '.gitignore'), 'utf8')).toBe('pgdata/\n');

    rmSync(path.join(dataDir, '.gitignore'));
    const store = await createSecretStore({ dataDir, env: {} });
    await store.close();
    expect(readFileSync(path.join(dataDir, '.gitignore'), 'utf8')).toBe('*\n');
  });
});

describe('a data folder that is not a folder of its own', () => {
  it('is refused when it holds other files and no store, and is left exactly as it was', async () => {
    // `--data-dir .` in a project: making it 0700 with a .gitignore of * would hide the project from git.
    mkdirSync(dataDir, { mode: 0o755 });
    writeFileSync(path.join(dataDir, 'package.json'), '{}');
    chmodSync(dataDir, 0o755);

    const error = await rejectionOf(createSecretStore({ dataDir, env: {} }));

    expect(error).toMatchObject({ code: 'INVALID_CONFIGURATION', setting: 'SECRETSTORE_DATA_DIR' });
    expect((error as Error).message).toContain('holds other files and no secret store');
    expect(readdirSync(dataDir)).toEqual(['package.json']);
    expect(modeOf(dataDir)).toBe(0o755);
  });
});

describe('a database folder that PGlite cannot open', () => {
  it('fails with DATABASE_UNAVAILABLE naming it, never the bare object PGlite’s file system throws, and frees the folder', async () => {
    mkdirSync(dataDir, { mode: 0o700 });
    writeFileSync(path.join(dataDir, 'pgdata'), 'a file where PGlite keeps its folder');

    const error = await rejectionOf(openEmbeddedDatabase(dataDir, { waitMs: 1_000 }));

    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'DATABASE_UNAVAILABLE', requestSent: false });
    expect((error as Error).message).toContain(`PGlite cannot open ${path.join(dataDir, 'pgdata')}: ErrnoError`);
    expect(readdirSync(dataDir)).toEqual(['pgdata']);
  });
});

describe('variables of this package that are set but empty', () => {
  it.each([
    'SECRETSTORE_ENCRYPTION_KEYS',
    'SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY',
    'SECRETSTORE_DATA_DIR',
    'DATABASE_URL',
  ])('%s is a configuration error naming it, before anything is created', async (name) => {
    for (const value of ['', '  ']) {
      // Without the option, SECRETSTORE_DATA_DIR decides the folder: here, or an empty value.
      const env = { SECRETSTORE_DATA_DIR: dataDir, [name]: value };
      const error = await rejectionOf(createSecretStore({ env }));
      expect(error).toMatchObject({ code: 'INVALID_CONFIGURATION', setting: name });
      expect((error as Error).message).toBe(`Invalid configuration ${name}: is empty`);
    }
    expect(readdirSync(root.path)).toEqual([]);
  });
});
