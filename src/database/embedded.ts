import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import { SecretStoreConfigError } from '../errors';
import type { PGliteLike } from './queryable';

/** An embedded database this package opened, and so closes. */
export interface EmbeddedDatabase extends PGliteLike {
  close(): Promise<void>;
}

export const DEFAULT_DATA_DIR = '.secretstore';

/** The embedded database's folder: the option, else SECRETSTORE_DATA_DIR, else ./.secretstore. */
export function resolveDataDir(option: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const chosen = option ?? env.SECRETSTORE_DATA_DIR ?? DEFAULT_DATA_DIR;
  if (chosen.trim() === '') throw new SecretStoreConfigError('SECRETSTORE_DATA_DIR', 'is empty');
  return path.resolve(chosen);
}

/** Creates the data folder (owner-only) if it does not exist yet. */
export async function ensureDataDir(dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
  } catch {
    throw new SecretStoreConfigError('SECRETSTORE_DATA_DIR', `cannot create the folder ${dataDir}`);
  }
}

/** Opens (creating on first use) the embedded PGlite database persisted under an existing `dataDir`. */
export async function openEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  // Loaded on demand: applications that use a PostgreSQL server never load the WebAssembly build.
  const { PGlite } = await import('@electric-sql/pglite');
  return PGlite.create(path.join(dataDir, 'pgdata'));
}
