import { chmod, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { SecretStoreConfigError } from '../errors';
import { codeOf } from '../unknown-value';
import type { SecretStoreLogger } from '../logger';
import { readSetting, type Environment } from './config';

const DEFAULT_DATA_DIR = '.secretstore';

/** The folder inside the data folder where PGlite keeps the database's own files. */
export const DATABASE_FOLDER = 'pgdata';

/** The development keyring of the folder, in the form of SECRETSTORE_ENCRYPTION_KEYS. */
export const KEY_FILE = 'encryption-keys';

/** The lock of the process that holds the folder. */
export const LOCK_FILE = 'lock';

/** Written into the data folder so that it is never committed by accident: it holds the key and every secret. */
const GITIGNORE = { name: '.gitignore', text: '*\n' };

/**
 * A warning about the data folder or its key: to the logger when there is one, else one line on stderr,
 * since these concern the safety of every secret in the folder.
 */
export function warnAboutDataDir(
  logger: SecretStoreLogger | undefined,
  fields: Record<string, unknown>,
  message: string,
): void {
  if (logger?.warn) logger.warn(fields, message);
  else process.stderr.write(`${message}\n`);
}

/** The embedded database's folder: the option, else SECRETSTORE_DATA_DIR, else ./.secretstore. */
export function resolveDataDir(option: string | undefined, env: Environment): string {
  const chosen = option ?? readSetting(env, 'SECRETSTORE_DATA_DIR') ?? DEFAULT_DATA_DIR;
  if (chosen.trim() === '') throw new SecretStoreConfigError('SECRETSTORE_DATA_DIR', 'is empty');
  return path.resolve(chosen);
}

const octal = (mode: number): string => `0${(mode & 0o777).toString(8)}`;

/**
 * Takes group and other access away from the data folder or its key file, with a warning naming what was
 * open and its mode. `setting` names it in the error when its mode cannot be read or changed.
 */
export async function restrictToOwner(
  target: string,
  setting: string,
  logger: SecretStoreLogger | undefined,
): Promise<void> {
  let mode: number;
  try {
    ({ mode } = await stat(target));
  } catch {
    throw new SecretStoreConfigError(setting, `cannot read the permissions of ${target}`);
  }
  if ((mode & 0o077) === 0) return;
  const restricted = mode & 0o700;
  try {
    await chmod(target, restricted);
  } catch {
    throw new SecretStoreConfigError(setting, `is open to other users (mode ${octal(mode)}) and cannot be restricted`);
  }
  warnAboutDataDir(
    logger,
    { path: target, mode: octal(mode) },
    `secretstore: ${target} was open to other users (mode ${octal(mode)}); restricted it to ${octal(restricted)}`,
  );
}

/**
 * Makes the data folder ready for use: created owner-only (0700) if it does not exist, an existing one
 * restricted to its owner (with a warning when it was not), and a `.gitignore` of `*` inside.
 */
export async function ensureDataDir(dataDir: string, logger?: SecretStoreLogger): Promise<void> {
  let created: string | undefined;
  try {
    created = await mkdir(dataDir, { recursive: true, mode: 0o700 });
  } catch {
    throw new SecretStoreConfigError('SECRETSTORE_DATA_DIR', `cannot create the folder ${dataDir}`);
  }
  if (created === undefined) await assertFolderOfItsOwn(dataDir);
  // PGlite makes its files 0666: the folder's mode is what keeps other users out of the database.
  await restrictToOwner(dataDir, 'SECRETSTORE_DATA_DIR', logger);
  try {
    // 'wx': a .gitignore already there, perhaps edited by its owner, is left alone.
    await writeFile(path.join(dataDir, GITIGNORE.name), GITIGNORE.text, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if (codeOf(error) !== 'EEXIST') {
      throw new SecretStoreConfigError('SECRETSTORE_DATA_DIR', `cannot write ${GITIGNORE.name} in ${dataDir}`);
    }
  }
}

/**
 * Refuses an existing folder that holds other things and no store (`--data-dir .`, a home folder): it would be
 * made owner-only, and its `.gitignore` of `*` would hide a whole project from version control.
 */
async function assertFolderOfItsOwn(dataDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dataDir);
  } catch (error) {
    if (codeOf(error) === 'ENOTDIR') {
      throw new SecretStoreConfigError('SECRETSTORE_DATA_DIR', `is not a folder: ${dataDir}`);
    }
    throw new SecretStoreConfigError('SECRETSTORE_DATA_DIR', `cannot read the folder ${dataDir}`);
  }
  // Empty but for a .gitignore, or already a store (its database, key or lock, or what a crash left of them).
  if (entries.every((name) => name === GITIGNORE.name)) return;
  const ours = (name: string) => name === DATABASE_FOLDER || name.startsWith(KEY_FILE) || name.startsWith(LOCK_FILE);
  if (entries.some(ours)) return;
  throw new SecretStoreConfigError(
    'SECRETSTORE_DATA_DIR',
    `${dataDir} holds other files and no secret store: give the embedded database a folder of its own ` +
      '(it is made owner-only, with a .gitignore of "*")',
  );
}

/**
 * Whether the data folder holds a database: PGlite's folder exists and is not empty. Creates nothing; a
 * folder that does not exist holds none.
 */
export async function holdsDatabase(dataDir: string): Promise<boolean> {
  try {
    return (await readdir(path.join(dataDir, DATABASE_FOLDER))).length > 0;
  } catch (error) {
    const code = codeOf(error);
    if (code === 'ENOENT') return false;
    if (code === 'ENOTDIR') throw new SecretStoreConfigError('SECRETSTORE_DATA_DIR', `is not a folder: ${dataDir}`);
    throw new SecretStoreConfigError('SECRETSTORE_DATA_DIR', `cannot read the folder ${dataDir}`);
  }
}
