import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

import { cleanEnv } from './clean-env';
import { REPO_ROOT } from './repository-files';

/**
 * Starts `node --import tsx <file> …args` from the repository root: a TypeScript file of this repository run
 * from source in a process of its own, on a bare machine's environment plus `env`.
 */
export function spawnSource(
  file: string,
  args: readonly string[],
  env: Record<string, string> = {},
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: REPO_ROOT, env: { ...cleanEnv, ...env } });
}
