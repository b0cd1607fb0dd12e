import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { SecretStoreConfigError } from '../errors';
import type { SecretStoreLogger } from '../logger';
import { generateEncryptionKey, parseEncryptionKeys, type ParsedEncryptionKeys } from './encryption-key';

export const DEVELOPMENT_KEY_FILE = 'encryption-keys';

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}

/**
 * The embedded database's keyring, kept beside it in `dataDir/encryption-keys` (mode 0600) in the form of
 * SECRETSTORE_ENCRYPTION_KEYS. Generated on first use, with a one-line warning: only ever for the embedded
 * database, never for a server that others share.
 */
export async function loadOrCreateDevelopmentKeys(
  dataDir: string,
  logger: SecretStoreLogger | undefined,
): Promise<ParsedEncryptionKeys> {
  const file = path.join(dataDir, DEVELOPMENT_KEY_FILE);
  try {
    return parseEncryptionKeys(await readFile(file, 'utf8'), file);
  } catch (error) {
    if (!isMissing(error)) {
      if (error instanceof SecretStoreConfigError) throw error;
      throw new SecretStoreConfigError(file, 'cannot be read');
    }
  }
  const spec = `dev:${generateEncryptionKey()}`;
  try {
    // 'wx': never overwrite a key another process wrote meanwhile.
    await writeFile(file, `${spec}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(file, 0o600);
  } catch (error) {
    if (isMissing(error) || (error as { code?: unknown }).code !== 'EEXIST') {
      throw new SecretStoreConfigError(file, 'cannot be written');
    }
    return parseEncryptionKeys(await readFile(file, 'utf8'), file);
  }
  const message = `secretstore: generated a development encryption key in ${file}; set SECRETSTORE_ENCRYPTION_KEYS for real secrets`;
  if (logger?.warn) logger.warn({ file }, message);
  else process.stderr.write(`${message}\n`);
  return parseEncryptionKeys(spec, file);
}
