import { randomBytes } from 'node:crypto';
import { link, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

import { publishNewFile, syncFolder } from '../database/atomic-file';
import { holdsDatabase, KEY_FILE, restrictToOwner, warnAboutDataDir } from '../database/data-dir';
import { SecretStoreConfigError } from '../errors';
import type { SecretStoreLogger } from '../logger';
import { codeOf } from '../unknown-value';
import { generateEncryptionKey, keyObjectOf, parseEncryptionKeys, type ParsedEncryptionKeys } from './encryption-key';

/** The key file as found: its text, or nothing (an empty file is what a crash while writing it leaves). */
type KeyFile = { state: 'found'; text: string } | { state: 'missing' | 'empty' };

/** A name beside `file` that no other process picks. */
const besideFile = (file: string, purpose: string): string =>
  `${file}.${purpose}-${process.pid}-${randomBytes(6).toString('hex')}`;

async function readKeyFile(file: string, logger: SecretStoreLogger | undefined): Promise<KeyFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return { state: 'missing' };
    throw new SecretStoreConfigError(file, 'cannot be read');
  }
  // An empty file is what a crash while publishing leaves: another opener may set it aside right now.
  if (text.trim() === '') return { state: 'empty' };
  await restrictToOwner(file, file, logger);
  return { state: 'found', text };
}

/**
 * Moves an empty key file out of the way so that a new key can be published in its place. A key another
 * process published meanwhile is put back, never removed.
 */
async function setAsideEmptyKeyFile(file: string): Promise<void> {
  const aside = besideFile(file, 'empty');
  try {
    await rename(file, aside);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return;
    throw new SecretStoreConfigError(file, 'cannot be replaced');
  }
  if ((await readFile(aside, 'utf8')).trim() === '') {
    await unlink(aside);
    return;
  }
  try {
    await link(aside, file);
  } catch {
    // Only a third process publishing within the same instant gets here: keep both keys for the owner to choose.
    throw new SecretStoreConfigError(
      file,
      `was written by two processes at once; the other key is kept in ${aside}. Stop them, keep the key the database uses`,
    );
  }
  await unlink(aside);
}

/**
 * Publishes a new development key atomically: written and synced to a temporary file, then linked into
 * place. link() fails if a key was published first (rename() would replace it): that key is used instead.
 */
async function createKeyFile(
  dataDir: string,
  file: string,
  replaceEmpty: boolean,
  logger: SecretStoreLogger | undefined,
): Promise<ParsedEncryptionKeys> {
  if (replaceEmpty) await setAsideEmptyKeyFile(file);
  const spec = `dev:${generateEncryptionKey()}`;
  let published: boolean;
  try {
    published = await publishNewFile(file, `${spec}\n`);
  } catch {
    throw new SecretStoreConfigError(file, 'cannot be written');
  }
  if (!published) {
    const theirs = await readKeyFile(file, logger);
    if (theirs.state !== 'found') throw new SecretStoreConfigError(file, 'is being written by another process');
    return parseEncryptionKeys(theirs.text, file);
  }
  // Makes the new name durable; a platform that cannot sync a folder (Windows) still has the synced file.
  await syncFolder(dataDir).catch(() => undefined);
  warnAboutDataDir(
    logger,
    { file },
    `secretstore: generated a development encryption key in ${file}; set SECRETSTORE_ENCRYPTION_KEYS for real secrets`,
  );
  return parseEncryptionKeys(spec, file);
}

function lostKeyFile(file: string, state: 'missing' | 'empty'): SecretStoreConfigError {
  return new SecretStoreConfigError(
    file,
    `is ${state}, but the folder holds a database whose secrets need the keys it held, so no new key was made. ` +
      'Restore the file from a backup, or provide the keys with SECRETSTORE_ENCRYPTION_KEYS',
  );
}

/** `configured` with the keys of `fromFile` it does not name; one id with two different keys is refused. */
function mergeKeyrings(
  configured: ParsedEncryptionKeys,
  fromFile: ParsedEncryptionKeys,
  file: string,
): ParsedEncryptionKeys {
  // A null prototype, as parseEncryptionKeys makes: an id such as "__proto__" stays an ordinary entry.
  const keys = Object.assign(Object.create(null) as ParsedEncryptionKeys['keys'], configured.keys);
  for (const [id, key] of Object.entries(fromFile.keys)) {
    if (!Object.hasOwn(keys, id)) keys[id] = key;
    else if (!keyObjectOf(keys[id]).equals(keyObjectOf(key))) {
      throw new SecretStoreConfigError(
        'SECRETSTORE_ENCRYPTION_KEYS',
        `key id "${id}" is also in ${file}, with a different key`,
      );
    }
  }
  return { keys, activeKeyId: configured.activeKeyId };
}

/**
 * The keyring of an embedded data folder: the keys of SECRETSTORE_ENCRYPTION_KEYS (`configured`, whose
 * first key stays the active one) plus the keys of the folder's key file, `encryption-keys` (mode 0600, in
 * the same form), that it does not name. Without `configured`, a folder with no database yet gets a
 * development key, with a one-line warning; a folder that holds a database but lost its key file is refused,
 * since a new key under the same id would make the old secrets unreadable.
 */
export async function loadEmbeddedKeyring(
  dataDir: string,
  configured: ParsedEncryptionKeys | undefined,
  logger: SecretStoreLogger | undefined,
): Promise<ParsedEncryptionKeys> {
  const file = path.join(dataDir, KEY_FILE);
  // Before the key file is read: a database found after it could be one made with a key published meanwhile.
  const hasDatabase = await holdsDatabase(dataDir);
  const found = await readKeyFile(file, logger);
  if (found.state === 'found') {
    const fromFile = parseEncryptionKeys(found.text, file);
    return configured ? mergeKeyrings(configured, fromFile, file) : fromFile;
  }
  if (configured) return configured;
  if (hasDatabase) throw lostKeyFile(file, found.state);
  return createKeyFile(dataDir, file, found.state === 'empty', logger);
}

/**
 * Makes the development key of a folder that has no database yet, for tools that create the database but
 * need no keyring (migrations): a database is never made without the key its secrets will need.
 */
export async function ensureDevelopmentKey(dataDir: string, logger: SecretStoreLogger | undefined): Promise<void> {
  const file = path.join(dataDir, KEY_FILE);
  if (await holdsDatabase(dataDir)) return;
  const found = await readKeyFile(file, logger);
  if (found.state !== 'found') await createKeyFile(dataDir, file, found.state === 'empty', logger);
}
