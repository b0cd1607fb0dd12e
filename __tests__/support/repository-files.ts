/** Files of this repository that the tests read: the package's migrations and testdata/secrets.json. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The package's migrations, by file name, in the order they apply. */
export const MIGRATIONS = readdirSync(path.join(REPO_ROOT, 'migrations'))
  .filter((name) => name.endsWith('.sql'))
  .sort();

/** testdata/secrets.json: three secrets, key → JSON object. */
export const TESTDATA_FILE = path.join(REPO_ROOT, 'testdata', 'secrets.json');

export const testdata = JSON.parse(readFileSync(TESTDATA_FILE, 'utf8')) as Record<string, Record<string, unknown>>;
