/**
 * Usage errors, run in process: exit 2 and one line naming what is wrong (the same error as JSON with --json),
 * found before any database is opened, never echoing the input.
 */
import { existsSync, mkdirSync } from 'node:fs';

import type { InputStream } from '../../src/cli/json-input';
import { useCliFolder } from '../support/cli-folder';
import { CANARY } from '../support/cli-output';
import { expectFailure, secretstore, stdinOf } from '../support/cli-run';

/** Nothing listens on port 1: connecting fails at once with ECONNREFUSED. */
const UNREACHABLE = 'postgres://127.0.0.1:1/x';

const folder = useCliFolder('secretstore-cli-usage-');

describe('usage errors (exit 2), found before any database is opened', () => {
  interface UsageCase {
    name: string;
    args: () => string[];
    stdin?: () => InputStream;
    code: string;
    message: string | (() => string);
  }

  const directory = (): string => {
    const dir = folder.join('a-folder');
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const cases: UsageCase[] = [
    { name: 'no command', args: () => [], code: 'USAGE', message: 'no command given; see secretstore --help' },
    {
      name: 'an unknown command',
      args: () => ['frobnicate'],
      code: 'USAGE',
      message: "unknown command 'frobnicate'",
    },
    {
      name: 'a missing argument',
      args: () => ['get'],
      code: 'USAGE',
      message: "missing required argument 'key'",
    },
    {
      name: 'too many arguments',
      args: () => ['get', 'a', 'b'],
      code: 'USAGE',
      message: "too many arguments for 'get'. Expected 1 argument but got 2.",
    },
    {
      name: 'an unknown option',
      args: () => ['list', '--frobnicate'],
      code: 'USAGE',
      message: "unknown option '--frobnicate'",
    },
    {
      name: 'an option without its value',
      args: () => ['set', 'api.token', '--file'],
      code: 'USAGE',
      message: "option '--file <path>' argument missing",
    },
    {
      name: '--data-dir with --database-url',
      args: () => ['--database-url', UNREACHABLE, 'list'],
      code: 'USAGE',
      message: "option '--data-dir <dir>' cannot be used with option '--database-url <url>'",
    },
    {
      name: 'a value both as argument and --file',
      args: () => ['set', 'api.token', '{}', '--file', folder.writeJson('value.json', { token: CANARY })],
      code: 'USAGE',
      message: 'give the value as an argument or with --file, not both',
    },
    {
      name: 'a value argument that is not JSON, with the position',
      args: () => ['set', 'api.token', `{"${CANARY}" 1}`],
      code: 'INVALID_JSON',
      message: `the value argument is not valid JSON at line 1, column ${CANARY.length + 5}`,
    },
    {
      name: 'a value argument cut short',
      args: () => ['set', 'api.token', '{"token":'],
      code: 'INVALID_JSON',
      message: 'the value argument is not valid JSON: it ends too early',
    },
    {
      name: 'a blank value argument',
      args: () => ['set', 'api.token', ' \n '],
      code: 'INVALID_JSON',
      message: 'the value argument is empty',
    },
    {
      name: 'empty stdin',
      args: () => ['set', 'api.token'],
      code: 'INVALID_JSON',
      message: 'the value on stdin is empty',
    },
    {
      name: 'stdin that is not JSON, in Buffer chunks',
      args: () => ['set', 'api.token'],
      stdin: () => stdinOf([Buffer.from('{"a": '), Buffer.from(`"${CANARY}"`), Buffer.from(',}')]),
      code: 'INVALID_JSON',
      message: `the value on stdin is not valid JSON at line 1, column ${CANARY.length + 10}`,
    },
    {
      name: 'stdin that is not JSON, in string chunks',
      args: () => ['set', 'api.token'],
      stdin: () => stdinOf(['no', 'pe']),
      code: 'INVALID_JSON',
      message: 'the value on stdin is not valid JSON at line 1, column 1',
    },
    {
      name: 'a --file that does not exist',
      args: () => ['set', 'api.token', '--file', folder.join('missing.json')],
      code: 'INPUT_UNREADABLE',
      message: () => `cannot read ${folder.join('missing.json')} (ENOENT)`,
    },
    {
      name: 'a --file that is a folder',
      args: () => ['set', 'api.token', '--file', directory()],
      code: 'INPUT_UNREADABLE',
      message: () => `cannot read ${folder.join('a-folder')} (EISDIR)`,
    },
    {
      name: 'an empty --file',
      args: () => ['set', 'api.token', '--file', folder.writeText('empty.json', '')],
      code: 'INVALID_JSON',
      message: () => `${folder.join('empty.json')} is empty`,
    },
    {
      name: 'an import file that does not exist',
      args: () => ['import', folder.join('missing.json')],
      code: 'INPUT_UNREADABLE',
      message: () => `cannot read ${folder.join('missing.json')} (ENOENT)`,
    },
    {
      name: 'an import file that is not JSON',
      args: () => ['import', folder.writeText('broken.json', `{"a": {"token": "${CANARY}"}`)],
      code: 'INVALID_JSON',
      message: () => `${folder.join('broken.json')} is not valid JSON: it ends too early`,
    },
    ...(
      [
        ['an array', [{ token: CANARY }]],
        ['null', null],
        ['a string', CANARY],
      ] as const
    ).map(([what, content]): UsageCase => ({
      name: `an import file holding ${what}`,
      args: () => ['import', folder.writeJson('not-an-object.json', content), '--dry-run'],
      code: 'INVALID_IMPORT_FILE',
      message: () => `${folder.join('not-an-object.json')} must hold one JSON object of key → value`,
    })),
    ...['0', '-1', 'ten', '1.5', '1e3', '99999999999999999999'].map((size): UsageCase => ({
      name: `--batch-size ${size}`,
      args: () => ['rotate-keys', `--batch-size=${size}`],
      code: 'USAGE',
      message: `option '--batch-size <n>' argument '${size}' is invalid. expected a positive integer`,
    })),
    ...['not a key id', '', 'x'.repeat(65), 'k1:abc'].map((id): UsageCase => ({
      name: `keygen --id ${JSON.stringify(id)}`,
      args: () => ['keygen', `--id=${id}`],
      code: 'USAGE',
      message:
        `option '--id <id>' argument '${id}' is invalid. ` +
        'key ids are 1 to 64 characters of A-Z, a-z, 0-9, ".", "_" and "-"',
    })),
  ];

  it.each(cases)('$name', async ({ args, stdin, code, message }) => {
    const reported = await expectFailure(folder.inDataDir(...args()), 2, code, () => ({ stdin: stdin?.() }));
    expect(reported).toBe(typeof message === 'function' ? message() : message);
    expect(existsSync(folder.dataDir)).toBe(false);
  });

  it.each([
    { mode: 'for a person', json: false, stderr: 'secretstore: reading the value from stdin; end it with Ctrl-D\n' },
    { mode: 'with --json', json: true, stderr: '' },
  ])('tells a terminal on stdin where the value comes from, $mode', async ({ json, stderr }) => {
    const args = folder.inDataDir(...(json ? ['--json'] : []), 'set', 'api.token');
    const result = await secretstore(args, { stdin: stdinOf([''], { isTTY: true }) });
    expect(result.code).toBe(2);
    expect(result.stderr.startsWith(stderr)).toBe(true);
    const error = result.stderr.slice(stderr.length);
    expect(error).toBe(
      json
        ? `${JSON.stringify({ error: { code: 'INVALID_JSON', message: 'the value on stdin is empty' } })}\n`
        : 'secretstore: the value on stdin is empty (INVALID_JSON)\n',
    );
  });
});
