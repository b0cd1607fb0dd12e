/** `--help`, `<command> --help` and `help <command>`, run in process: help on stdout, exit 0. */
import { expectOk } from '../support/cli-output';
import { secretstore } from '../support/cli-run';

describe('help', () => {
  it.each([[['--help']], [['set', '--help']], [['help', 'import']]])(
    'secretstore %j prints help on stdout and exits 0',
    async (args) => {
      const stdout = expectOk(await secretstore(args));
      expect(stdout).toMatch(/^Usage: secretstore /);
      expect(stdout).toContain('--json');
    },
  );

  it('exits 0 after help even where the process has an exit code set already', async () => {
    // commander derives the exit code of help from process.exitCode; the CLI's own must not depend on it.
    const before = process.exitCode;
    process.exitCode = 1;
    try {
      for (const args of [['help', 'import'], ['help'], ['--help']]) expectOk(await secretstore(args));
    } finally {
      process.exitCode = before;
    }
  });

  it('ends the program help with the exit codes', async () => {
    const stdout = expectOk(await secretstore(['--help']));
    expect(stdout).toContain('\nExit codes:\n  0  success\n');
    expect(stdout).toContain('\n  5  any other failure');
  });
});
