/** The real `secretstore` CLI, run from source in a process of its own: what the installed binary does. */
import type { CliRun } from './cli-output';
import { spawnSource } from './source-process';

export interface CliProcessOptions {
  /** Variables added to the clean environment. */
  env?: Record<string, string>;
  /** Written to stdin; stdin is closed either way. */
  input?: string;
}

export function spawnSecretstore(
  args: readonly string[],
  { env, input = '' }: CliProcessOptions = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawnSource('src/cli/main.ts', args, env);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
