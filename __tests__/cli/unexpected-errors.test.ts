/**
 * Failures that no other exit code explains, run in process: exit 5 and UNEXPECTED_ERROR on one line, the stack
 * only with --debug.
 */
import type { InputStream } from '../../src/cli/json-input';
import { useCliFolder } from '../support/cli-folder';
import { CANARY, type ReportedError } from '../support/cli-output';
import { expectFailure, failingStdin, secretstore } from '../support/cli-run';

const folder = useCliFolder('secretstore-cli-unexpected-');

describe('unexpected failures (exit 5)', () => {
  const stackOf = (message: string): RegExp => new RegExp(`^Error: ${message}\\n {4}at `);

  it.each([
    {
      name: 'a value that is not an Error',
      thrown: (): unknown => `${CANARY} thrown as a string`,
      message: 'a value that is not an Error was thrown',
    },
    { name: 'an Error without a message', thrown: (): unknown => new Error(''), message: 'Error' },
    {
      name: 'a message of several lines',
      thrown: (): unknown => new Error('stdin went away\n   while reading'),
      message: 'stdin went away while reading',
    },
  ])('reports $name as UNEXPECTED_ERROR on one line, without a stack', async ({ thrown, message }) => {
    const reported = await expectFailure(folder.inDataDir('set', 'api.token'), 5, 'UNEXPECTED_ERROR', () => ({
      stdin: failingStdin(thrown()),
    }));
    expect(reported).toBe(message);
  });

  it('prints the stack with --debug, after the line for a person and inside the JSON with --json', async () => {
    const stdin = (): InputStream => failingStdin(new Error('stdin went away'));
    const human = await secretstore(folder.inDataDir('--debug', 'set', 'api.token'), { stdin: stdin() });
    expect({ code: human.code, stdout: human.stdout }).toEqual({ code: 5, stdout: '' });
    const [line, ...stack] = human.stderr.split('\n');
    expect(line).toBe('secretstore: stdin went away (UNEXPECTED_ERROR)');
    expect(stack.join('\n')).toMatch(stackOf('stdin went away'));

    const json = await secretstore(folder.inDataDir('--json', '--debug', 'set', 'api.token'), { stdin: stdin() });
    expect({ code: json.code, stdout: json.stdout }).toEqual({ code: 5, stdout: '' });
    const { error } = JSON.parse(json.stderr) as { error: ReportedError };
    expect(error).toEqual({
      code: 'UNEXPECTED_ERROR',
      message: 'stdin went away',
      stack: expect.any(String) as unknown,
    });
    expect(error.stack).toMatch(stackOf('stdin went away'));
    expect(json.stderr.indexOf('\n')).toBe(json.stderr.length - 1);
  });

  it('prints no stack with --debug for an error that has an exit code of its own', async () => {
    expect(await secretstore(folder.inDataDir('--debug', 'frobnicate'))).toEqual({
      code: 2,
      stdout: '',
      stderr: "secretstore: unknown command 'frobnicate' (USAGE)\n",
    });
  });
});
