import { useTemporaryFolder, type TemporaryFolder } from './temporary-folder';

/** A test's own folder for the CLI: files it reads, and a data folder in it that the CLI makes when it writes. */
export interface CliFolder extends TemporaryFolder {
  /** `data` in the folder, not made beforehand. */
  readonly dataDir: string;
  /** `args` on the data folder: `--data-dir <dataDir> …args`. */
  inDataDir(...args: string[]): string[];
}

/** useTemporaryFolder, with the data folder the CLI is pointed at. */
export function useCliFolder(prefix: string): CliFolder {
  const folder = useTemporaryFolder(prefix);
  const cliFolder: CliFolder = {
    get path() {
      return folder.path;
    },
    join: folder.join,
    writeText: folder.writeText,
    writeJson: folder.writeJson,
    get dataDir() {
      return folder.join('data');
    },
    inDataDir: (...args) => ['--data-dir', cliFolder.dataDir, ...args],
  };
  return cliFolder;
}
