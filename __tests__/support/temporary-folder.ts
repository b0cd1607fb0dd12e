import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A folder of the current test, made before it and removed after it. */
export interface TemporaryFolder {
  readonly path: string;
  /** `names` joined under the folder. */
  join(...names: string[]): string;
  /** Writes `text` to the file `name` in the folder; returns its path. */
  writeText(name: string, text: string): string;
  /** Writes `value` as JSON to the file `name` in the folder; returns its path. */
  writeJson(name: string, value: unknown): string;
}

/**
 * Registers beforeEach/afterEach that give each test of the enclosing block a fresh folder under the system's
 * temporary directory, named from `prefix`. Hooks declared before this call run before the folder is removed.
 */
export function useTemporaryFolder(prefix: string): TemporaryFolder {
  let current: string | undefined;
  beforeEach(() => {
    current = mkdtempSync(path.join(tmpdir(), prefix));
  });
  afterEach(() => {
    if (current !== undefined) rmSync(current, { recursive: true, force: true });
    current = undefined;
  });
  const folder: TemporaryFolder = {
    get path() {
      if (current === undefined) throw new Error('the temporary folder exists only while a test runs');
      return current;
    },
    join: (...names) => path.join(folder.path, ...names),
    writeText(name, text) {
      const file = folder.join(name);
      writeFileSync(file, text);
      return file;
    },
    writeJson: (name, value) => folder.writeText(name, JSON.stringify(value)),
  };
  return folder;
}
