/**
 * The `secretstore` CLI run in process, for breadth: `run(argv, io)` with collecting sinks for stdout and
 * stderr, a Readable for stdin and an environment without DATABASE_URL, PG* or SECRETSTORE_*, so that jest's
 * coverage sees src/cli. cli.test.ts proves the real binary; this file walks every command, option and error.
 * Each test gets a temporary --data-dir (embedded PGlite); the server paths run against an in-memory PGlite
 * behind a PostgreSQL socket (pglite-socket), or against a port where nothing listens.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

import type { InputStream } from '../../src/cli/json-input';
import { run } from '../../src/cli/program';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const MIGRATIONS = readdirSync(path.join(REPO_ROOT, 'migrations'))
  .filter((name) => name.endsWith('.sql'))
  .sort();
const TIMEOUT = 60_000;
/** Nothing listens on port 1: connecting fails at once with ECONNREFUSED. */
const UNREACHABLE = 'postgres://127.0.0.1:1/x';
const ISO_TIME = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown;
/** A time in a table for a person: ISO 8601 to the second. */
const TABLE_TIME = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) as unknown;

type Json = Record<string, unknown>;

/** Every secret value the tests write: none may ever appear in an error. */
const CANARY = `canary-${randomBytes(8).toString('hex')}`;

const newKey = (): string => randomBytes(32).toString('base64');
const DEV_KEY_WARNING = /^secretstore: generated a development encryption key in [^\n]+\n$/;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  /** Variables added to the clean environment. */
  env?: Record<string, string>;
  stdin?: InputStream;
}

/** The environment of a bare machine: no server, no keyring, no data folder chosen. */
const cleanEnv: Record<string, string | undefined> = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !/^(DATABASE_URL|PG[A-Z]*|SECRETSTORE_.*|TEST_DATABASE.*)$/.test(name),
  ),
);

/** What a TextSink was given, as a terminal would show it. */
class CollectedText {
  text = '';

  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

/** stdin yielding `chunks` one by one (strings stay strings, Buffers stay Buffers). */
function stdinOf(chunks: readonly (string | Buffer)[], { isTTY = false } = {}): InputStream {
  return Object.assign(Readable.from(chunks), { isTTY });
}

/** stdin whose first read throws `thrown`: a failure that no exit code but 5 explains. */
function failingStdin(thrown: unknown): InputStream {
  return {
    [Symbol.asyncIterator]: () => ({
      next: async (): Promise<IteratorResult<string>> => {
        throw thrown;
      },
    }),
  };
}

async function secretstore(
  args: readonly string[],
  { env = {}, stdin = stdinOf([]) }: RunOptions = {},
): Promise<CliRun> {
  const stdout = new CollectedText();
  const stderr = new CollectedText();
  const code = await run(['node', 'secretstore', ...args], { stdin, stdout, stderr, env: { ...cleanEnv, ...env } });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function expectNoSecretIn(text: string): void {
  expect(text).not.toContain(CANARY);
}

const DEVELOPMENT_KEY_WARNING = /^secretstore: generated a development encryption key in .+\n/;

/** A success: exit 0, nothing on stderr but the warning of a first use of a data folder; the output. */
function expectOk(result: CliRun): string {
  const stderr = result.stderr.replace(DEVELOPMENT_KEY_WARNING, '');
  expect({ code: result.code, stderr }).toEqual({ code: 0, stderr: '' });
  return result.stdout;
}

/** A success with --json: one JSON document on stdout. */
function expectJson(result: CliRun): Json {
  const stdout = expectOk(result);
  expect(stdout.endsWith('\n') && stdout.indexOf('\n') === stdout.length - 1).toBe(true);
  return JSON.parse(stdout) as Json;
}

interface ReportedError {
  code: string;
  message: string;
  stack?: string;
}

/** A failure in human mode: the exit code, nothing on stdout, one `secretstore: … (CODE)` line. */
function expectErrorLine(result: CliRun, exitCode: number, code: string): string {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code: exitCode, stdout: '' });
  const [, message] = /^secretstore: ([^\n]+) \((\w+)\)\n$/.exec(result.stderr) ?? [];
  expect(result.stderr).toBe(`secretstore: ${message} (${code})\n`);
  expectNoSecretIn(result.stderr);
  return message;
}

/** A failure with --json: the exit code, nothing on stdout, one JSON line on stderr. */
function expectJsonError(result: CliRun, exitCode: number, code: string): ReportedError {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code: exitCode, stdout: '' });
  const { error } = JSON.parse(result.stderr) as { error: ReportedError };
  expect(result.stderr).toBe(`${JSON.stringify({ error })}\n`);
  expect(error.code).toBe(code);
  expectNoSecretIn(result.stderr);
  return error;
}

/** Runs `args` for a person and with --json (stdin made afresh for each): the same error both ways; its message. */
async function expectFailure(
  args: readonly string[],
  exitCode: number,
  code: string,
  options: () => RunOptions = () => ({}),
): Promise<string> {
  const message = expectErrorLine(await secretstore(args, options()), exitCode, code);
  expect(expectJsonError(await secretstore(['--json', ...args], options()), exitCode, code)).toEqual({ code, message });
  return message;
}

let workDir: string;
let dataDir: string;
/** The development-key warning: createSecretStore prints it on process.stderr, as the CLI passes it no logger. */
let processStderr = '';
let stderrSpy: jest.SpyInstance | undefined;

beforeAll(() => {
  const write = process.stderr.write.bind(process.stderr);
  stderrSpy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (!text.startsWith('secretstore: ')) return write(chunk);
    processStderr += text;
    return true;
  });
});
afterAll(() => stderrSpy?.mockRestore());

beforeEach(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'secretstore-cli-in-process-'));
  dataDir = path.join(workDir, 'data');
  processStderr = '';
});
afterEach(() => rmSync(workDir, { recursive: true, force: true }));

/** The runs' stderr and process.stderr together: wherever the CLI puts it, the warning shows once. */
function devKeyWarnings(...results: CliRun[]): string {
  return processStderr + results.map((result) => result.stderr).join('');
}

function writeText(name: string, text: string): string {
  const file = path.join(workDir, name);
  writeFileSync(file, text);
  return file;
}

const writeJson = (name: string, value: unknown): string => writeText(name, JSON.stringify(value));

/** Arguments on this test's data folder. */
const inDataDir = (...args: string[]): string[] => ['--data-dir', dataDir, ...args];

describe('help', () => {
  it.each([[['--help']], [['set', '--help']], [['help', 'import']]])(
    'secretstore %j prints help on stdout and exits 0',
    async (args) => {
      const stdout = expectOk(await secretstore(args));
      expect(stdout).toMatch(/^Usage: secretstore /);
      expect(stdout).toContain('--json');
    },
  );

  it('ends the program help with the exit codes', async () => {
    const stdout = expectOk(await secretstore(['--help']));
    expect(stdout).toContain('\nExit codes:\n  0  success\n');
    expect(stdout).toContain('\n  5  any other failure');
  });
});

describe('keygen', () => {
  it.each([
    { args: ['keygen'], id: 'k1' },
    { args: ['keygen', '--id', 'prod-2025.a_1'], id: 'prod-2025.a_1' },
  ])('$args prints id:<base64 of 32 bytes> and opens no database', async ({ args, id }) => {
    const [, humanId, humanKey] =
      /^([^:]+):([A-Za-z0-9+/]{43}=)\n$/.exec(expectOk(await secretstore(inDataDir(...args)))) ?? [];
    expect(humanId).toBe(id);
    expect(Buffer.from(humanKey, 'base64')).toHaveLength(32);

    const generated = expectJson(await secretstore(inDataDir('--json', ...args)));
    expect(generated).toEqual({ id, key: expect.any(String) as unknown, entry: `${id}:${String(generated.key)}` });
    expect(Buffer.from(String(generated.key), 'base64')).toHaveLength(32);
    expect(generated.key).not.toBe(humanKey);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('writes to process.stdout when run() is given no io', async () => {
    let printed = '';
    const stdoutSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed += String(chunk);
      return true;
    });
    try {
      await expect(run(['node', 'secretstore', 'keygen', '--id', 'from-process'])).resolves.toBe(0);
    } finally {
      stdoutSpy.mockRestore();
    }
    expect(printed).toMatch(/^from-process:[A-Za-z0-9+/]{43}=\n$/);
  });
});

describe('usage errors (exit 2), found before any database is opened', () => {
  interface UsageCase {
    name: string;
    args: () => string[];
    stdin?: () => InputStream;
    code: string;
    message: string | (() => string);
  }

  const directory = (): string => {
    const dir = path.join(workDir, 'a-folder');
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
      args: () => ['set', 'api.token', '{}', '--file', writeJson('value.json', { token: CANARY })],
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
      args: () => ['set', 'api.token', '--file', path.join(workDir, 'missing.json')],
      code: 'INPUT_UNREADABLE',
      message: () => `cannot read ${path.join(workDir, 'missing.json')} (ENOENT)`,
    },
    {
      name: 'a --file that is a folder',
      args: () => ['set', 'api.token', '--file', directory()],
      code: 'INPUT_UNREADABLE',
      message: () => `cannot read ${path.join(workDir, 'a-folder')} (EISDIR)`,
    },
    {
      name: 'an empty --file',
      args: () => ['set', 'api.token', '--file', writeText('empty.json', '')],
      code: 'INVALID_JSON',
      message: () => `${path.join(workDir, 'empty.json')} is empty`,
    },
    {
      name: 'an import file that does not exist',
      args: () => ['import', path.join(workDir, 'missing.json')],
      code: 'INPUT_UNREADABLE',
      message: () => `cannot read ${path.join(workDir, 'missing.json')} (ENOENT)`,
    },
    {
      name: 'an import file that is not JSON',
      args: () => ['import', writeText('broken.json', `{"a": {"token": "${CANARY}"}`)],
      code: 'INVALID_JSON',
      message: () => `${path.join(workDir, 'broken.json')} is not valid JSON: it ends too early`,
    },
    ...(
      [
        ['an array', [{ token: CANARY }]],
        ['null', null],
        ['a string', CANARY],
      ] as const
    ).map(([what, content]): UsageCase => ({
      name: `an import file holding ${what}`,
      args: () => ['import', writeJson('not-an-object.json', content), '--dry-run'],
      code: 'INVALID_IMPORT_FILE',
      message: () => `${path.join(workDir, 'not-an-object.json')} must hold one JSON object of key → value`,
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
    const reported = await expectFailure(inDataDir(...args()), 2, code, () => ({ stdin: stdin?.() }));
    expect(reported).toBe(typeof message === 'function' ? message() : message);
    expect(existsSync(dataDir)).toBe(false);
  });

  it.each([
    { mode: 'for a person', json: false, stderr: 'secretstore: reading the value from stdin; end it with Ctrl-D\n' },
    { mode: 'with --json', json: true, stderr: '' },
  ])('tells a terminal on stdin where the value comes from, $mode', async ({ json, stderr }) => {
    const args = inDataDir(...(json ? ['--json'] : []), 'set', 'api.token');
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
    const reported = await expectFailure(inDataDir('set', 'api.token'), 5, 'UNEXPECTED_ERROR', () => ({
      stdin: failingStdin(thrown()),
    }));
    expect(reported).toBe(message);
  });

  it('prints the stack with --debug, after the line for a person and inside the JSON with --json', async () => {
    const stdin = (): InputStream => failingStdin(new Error('stdin went away'));
    const human = await secretstore(inDataDir('--debug', 'set', 'api.token'), { stdin: stdin() });
    expect({ code: human.code, stdout: human.stdout }).toEqual({ code: 5, stdout: '' });
    const [line, ...stack] = human.stderr.split('\n');
    expect(line).toBe('secretstore: stdin went away (UNEXPECTED_ERROR)');
    expect(stack.join('\n')).toMatch(stackOf('stdin went away'));

    const json = await secretstore(inDataDir('--json', '--debug', 'set', 'api.token'), { stdin: stdin() });
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
    expect(await secretstore(inDataDir('--debug', 'frobnicate'))).toEqual({
      code: 2,
      stdout: '',
      stderr: "secretstore: unknown command 'frobnicate' (USAGE)\n",
    });
  });
});

describe('configuration errors (exit 3), found before any connection or data folder is made', () => {
  const keyring = `k1:${newKey()}`;
  const shortKey = randomBytes(16).toString('base64');

  it.each<{ name: string; args: string[]; env?: Record<string, string>; message: unknown }>([
    {
      name: 'a blank --database-url',
      args: ['--database-url', '  ', 'list'],
      message: 'Invalid configuration --database-url: is empty',
    },
    {
      name: 'a --database-url that is not PostgreSQL',
      args: ['--database-url', 'mysql://127.0.0.1/app', 'get', 'k'],
      message: 'Invalid configuration --database-url: must start with postgres:// or postgresql://',
    },
    {
      name: 'a --database-url with an unencoded / in its password',
      args: ['--database-url', `postgres://app:1234/${CANARY}@127.0.0.1/x`, 'migrate'],
      message:
        "Invalid configuration --database-url: is malformed: percent-encode '/', '@', '#' and '?' in the password",
    },
    {
      name: 'a --database-url that is not a URL',
      args: ['--database-url', `not a url ${CANARY}`, 'status'],
      message: 'Invalid configuration --database-url: is not a valid URL',
    },
    {
      name: 'a server without a keyring',
      args: ['--database-url', UNREACHABLE, 'list'],
      // The command to run, not the library's advice.
      message:
        'SECRETSTORE_ENCRYPTION_KEYS is not set, and a PostgreSQL server needs a keyring (keys are generated only ' +
        'for the embedded database): run `secretstore keygen --id k1` and export the printed entry as ' +
        'SECRETSTORE_ENCRYPTION_KEYS',
    },
    {
      name: 'a DATABASE_URL that is not a URL',
      args: ['list'],
      env: { DATABASE_URL: `not a url ${CANARY}` },
      message: 'Invalid configuration DATABASE_URL: is not a valid URL',
    },
    {
      name: 'a PGPORT that is not a port',
      args: ['migrate'],
      env: { PGPORT: '99999' },
      message: 'Invalid configuration PGPORT: must be a port number between 1 and 65535',
    },
    {
      name: 'a blank SECRETSTORE_DATA_DIR, for a store',
      args: ['get', 'k'],
      env: { SECRETSTORE_DATA_DIR: ' ' },
      message: 'Invalid configuration SECRETSTORE_DATA_DIR: is empty',
    },
    {
      name: 'a blank SECRETSTORE_DATA_DIR, for migrations',
      args: ['migrate'],
      env: { SECRETSTORE_DATA_DIR: ' ' },
      message: 'Invalid configuration SECRETSTORE_DATA_DIR: is empty',
    },
    {
      name: 'a key of 16 bytes',
      args: ['--data-dir', '<data>', 'list'],
      env: { SECRETSTORE_ENCRYPTION_KEYS: `k1:${shortKey}` },
      message: expect.stringMatching(/^Invalid configuration SECRETSTORE_ENCRYPTION_KEYS \(key "k1"\): /) as unknown,
    },
    {
      name: 'a keyring entry without an id',
      args: ['--data-dir', '<data>', 'status'],
      env: { SECRETSTORE_ENCRYPTION_KEYS: `${keyring},${shortKey}` },
      message: 'Invalid configuration SECRETSTORE_ENCRYPTION_KEYS: entry 2 is not of the form id:<base64>',
    },
    {
      name: 'a trigger.dev key that is not 32 bytes',
      args: ['--data-dir', '<data>', 'rotate-keys'],
      env: { SECRETSTORE_ENCRYPTION_KEYS: keyring, SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY: 'too short' },
      message: 'Invalid configuration SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY: must be 32 bytes in UTF-8',
    },
    {
      name: 'a --data-dir that cannot be made',
      args: ['--data-dir', '<file>/data', 'set', 'k', '{}'],
      message: expect.stringMatching(
        /^Invalid configuration SECRETSTORE_DATA_DIR: cannot create the folder .+\/data$/,
      ) as unknown,
    },
  ])('$name', async ({ args, env, message }) => {
    const file = writeText('a-file', '');
    const resolved = args.map((arg) => arg.replace('<data>', dataDir).replace('<file>', file));
    // Without --data-dir, SECRETSTORE_DATA_DIR points here too: a store opened by mistake would show.
    const options = (): RunOptions => ({ env: { SECRETSTORE_DATA_DIR: dataDir, ...env } });
    expect(await expectFailure(resolved, 3, 'INVALID_CONFIGURATION', options)).toEqual(message);
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('an unreachable server (exit 4)', () => {
  const keyring = { SECRETSTORE_ENCRYPTION_KEYS: `k1:${newKey()}` };
  const url = `postgres://app:${CANARY}@127.0.0.1:1/x`;

  it.each<{ args: string[]; env: Record<string, string> }>([
    { args: ['--database-url', url, 'get', 'oauth.github'], env: keyring },
    { args: ['--database-url', url, 'set', 'oauth.github', '{}'], env: keyring },
    { args: ['--database-url', url, 'delete', 'oauth.github'], env: keyring },
    { args: ['--database-url', url, 'list', '--values'], env: keyring },
    { args: ['--database-url', url, 'import', '<import>'], env: keyring },
    { args: ['--database-url', url, 'import', '<import>', '--dry-run'], env: keyring },
    { args: ['--database-url', url, 'rotate-keys'], env: keyring },
    { args: ['--database-url', url, 'status'], env: keyring },
    // Migrations need no keyring: they get as far as connecting.
    { args: ['--database-url', url, 'migrate'], env: {} },
    { args: ['status'], env: { ...keyring, DATABASE_URL: url } },
    { args: ['migrate'], env: { PGHOST: '127.0.0.1', PGPORT: '1', PGUSER: 'app', PGPASSWORD: CANARY } },
  ])('$args with $env', async ({ args, env }) => {
    const file = writeJson('import.json', { 'oauth.github': { token: CANARY } });
    const resolved = args.map((arg) => (arg === '<import>' ? file : arg));
    const message = await expectFailure(resolved, 4, 'DATABASE_UNAVAILABLE', () => ({ env }));
    expect(message).toContain('ECONNREFUSED');
  });
});

describe('set, get, list and delete on the embedded database', () => {
  it(
    'writes from an argument, --file and stdin, reads back, deletes; --data-dir beats DATABASE_URL',
    async () => {
      const env = { DATABASE_URL: UNREACHABLE, PGHOST: '127.0.0.1', PGPORT: '1' };
      const inData = (args: string[], stdin?: InputStream): Promise<CliRun> =>
        secretstore(inDataDir(...args), { env, stdin });

      // Reading where there is no store creates none.
      expect(await inData(['list'])).toEqual({ code: 0, stdout: 'no secrets\n', stderr: '' });
      expect(existsSync(dataDir)).toBe(false);

      const fromArgument = { token: CANARY, scopes: ['repo'] };
      const first = await inData(['--json', 'set', 'api.token', JSON.stringify(fromArgument)]);
      expect(devKeyWarnings(first)).toMatch(DEV_KEY_WARNING);
      expect(devKeyWarnings(first)).toContain(path.join(dataDir, 'encryption-keys'));
      expect(expectJson(first)).toEqual({
        key: 'api.token',
        version: 1,
        updatedAt: ISO_TIME,
      });
      const fromFile = [{ token: CANARY }, { token: 'second' }];
      const file = writeJson('value.json', fromFile);
      expect(expectOk(await inData(['set', 'api.token', '--file', file]))).toBe('key      api.token\nversion  2\n');
      const fromStdin = { nested: { list: [1, 2.5, null, true], text: 'é ✓' } };
      const stdin = stdinOf(['\uFEFF{"nested": ', Buffer.from(JSON.stringify(fromStdin.nested)), '}\n']);
      expect(expectJson(await inData(['--json', 'set', 'db.main'], stdin))).toMatchObject({
        key: 'db.main',
        version: 1,
      });

      expect(expectOk(await inData(['get', 'api.token']))).toBe(`${JSON.stringify(fromFile, null, 2)}\n`);
      expect(expectJson(await inData(['--json', 'get', 'db.main']))).toEqual({ key: 'db.main', value: fromStdin });
      expect(expectJson(await inData(['--json', 'delete', 'db.main']))).toEqual({ key: 'db.main', deleted: true });
      expect(expectOk(await inData(['delete', 'api.token']))).toBe('deleted api.token\n');
      expect(expectJson(await inData(['--json', 'list']))).toEqual({ prefix: '', secrets: [] });
      // One warning, on first use only.
      expect(devKeyWarnings(first)).toMatch(DEV_KEY_WARNING);
    },
    TIMEOUT,
  );
});

describe('reading and refusing on a seeded data folder', () => {
  const seeded = {
    'api.external': { api_key: CANARY, retry: { attempts: 3 } },
    'oauth.github': { client_id: 'Iv1.abc', scopes: ['repo', 'read:user'] },
    'oauth.google': ['one', 'two'],
  };
  // Shared by the read-only cases of this block, so that each costs one opening of the database.
  let root: string;
  const inFolder = (...args: string[]): Promise<CliRun> =>
    secretstore(['--data-dir', path.join(root, 'data'), ...args]);

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'secretstore-cli-seeded-'));
    const file = path.join(root, 'seed.json');
    writeFileSync(file, JSON.stringify(seeded));
    expect((await inFolder('import', file)).code).toBe(0);
  }, TIMEOUT);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each<{ args: string[]; lines: unknown[][] }>([
    {
      args: ['list'],
      lines: [
        ['KEY', 'VERSION', 'UPDATED'],
        ['api.external', '1', TABLE_TIME],
        ['oauth.github', '1', TABLE_TIME],
        ['oauth.google', '1', TABLE_TIME],
      ],
    },
    {
      args: ['list', 'oauth.', '--values'],
      lines: [
        ['KEY', 'VERSION', 'UPDATED', 'VALUE'],
        ['oauth.github', '1', TABLE_TIME, JSON.stringify(seeded['oauth.github'])],
        ['oauth.google', '1', TABLE_TIME, JSON.stringify(seeded['oauth.google'])],
      ],
    },
    { args: ['list', 'nothing.'], lines: [['no secrets under "nothing."']] },
    { args: ['list', 'nothing.', '--values'], lines: [['no secrets under "nothing."']] },
  ])('$args prints an aligned table', async ({ args, lines }) => {
    const printed = expectOk(await inFolder(...args))
      .trimEnd()
      .split('\n');
    expect(printed.map((line) => line.split(/\s{2,}/))).toEqual(lines);
    // Each column starts where its title does.
    for (const title of printed[0].split(/\s{2,}/).slice(1)) {
      const column = printed[0].indexOf(title);
      for (const line of printed.slice(1))
        expect([line[column - 1], line[column]]).toEqual([' ', expect.stringMatching(/\S/)]);
    }
  });

  it.each<{ args: string[]; prefix: string; values: boolean; keys: (keyof typeof seeded)[] }>([
    { args: ['list', 'oauth.'], prefix: 'oauth.', values: false, keys: ['oauth.github', 'oauth.google'] },
    { args: ['list', '--values'], prefix: '', values: true, keys: ['api.external', 'oauth.github', 'oauth.google'] },
    { args: ['list', 'api.', '--values'], prefix: 'api.', values: true, keys: ['api.external'] },
    { args: ['list', 'zzz', '--values'], prefix: 'zzz', values: true, keys: [] },
  ])('--json $args lists metadata, and values only with --values', async ({ args, prefix, values, keys }) => {
    expect(expectJson(await inFolder('--json', ...args))).toEqual({
      prefix,
      secrets: keys.map((key) => ({
        key,
        version: 1,
        encoding: 'aes-256-gcm',
        keyId: 'dev',
        createdAt: ISO_TIME,
        updatedAt: ISO_TIME,
        ...(values ? { value: seeded[key] } : {}),
      })),
    });
  });

  it('get prints the value indented for a person, and as {key, value} with --json', async () => {
    expect(expectOk(await inFolder('get', 'oauth.google'))).toBe(
      `${JSON.stringify(seeded['oauth.google'], null, 2)}\n`,
    );
    expect(expectJson(await inFolder('--json', 'get', 'api.external'))).toEqual({
      key: 'api.external',
      value: seeded['api.external'],
    });
  });

  it.each([
    {
      args: ['get', 'oauth.gitlab'],
      exit: 1,
      code: 'SECRET_NOT_FOUND',
      message: 'Secret "oauth.gitlab" was not found',
    },
    {
      args: ['delete', 'oauth.gitlab'],
      exit: 1,
      code: 'SECRET_NOT_FOUND',
      message: 'Secret "oauth.gitlab" was not found',
    },
    {
      args: ['set', ' oauth.github', '{}'],
      exit: 2,
      code: 'INVALID_SECRET_KEY',
      message: expect.stringMatching(/^Invalid secret key " oauth\.github": /) as unknown,
    },
    {
      args: ['get', ''],
      exit: 2,
      code: 'INVALID_SECRET_KEY',
      message: expect.stringMatching(/^Invalid secret key "": /) as unknown,
    },
    {
      args: ['set', 'oauth.github', '42'],
      exit: 2,
      code: 'INVALID_SECRET_VALUE',
      message: expect.stringMatching(/^Invalid value for secret "oauth\.github" at \$: /) as unknown,
    },
    {
      args: ['set', 'oauth.github', `"${CANARY}"`],
      exit: 2,
      code: 'INVALID_SECRET_VALUE',
      message: expect.stringMatching(/^Invalid value for secret "oauth\.github" at \$: /) as unknown,
    },
  ])('$args exits $exit with $code', async ({ args, exit, code, message }) => {
    expect(expectErrorLine(await inFolder(...args), exit, code)).toEqual(message);
  });

  it('reports errors as JSON with --json', async () => {
    expect(expectJsonError(await inFolder('--json', 'delete', 'oauth.gitlab'), 1, 'SECRET_NOT_FOUND')).toEqual({
      code: 'SECRET_NOT_FOUND',
      message: 'Secret "oauth.gitlab" was not found',
    });
  });

  // Runs last in this block: none of the refusals above wrote anything.
  it('still holds the seeded secrets, unchanged', async () => {
    const listed = expectJson(await inFolder('--json', 'list', '--values'));
    expect(listed.secrets).toEqual(
      Object.entries(seeded).map(([key, value]) => expect.objectContaining({ key, version: 1, value }) as unknown),
    );
  });
});

describe('reading where there is no store', () => {
  it('status says so, get exits 1 (2 for an invalid key), list lists none, and nothing is created', async () => {
    const status = expectJson(await secretstore(inDataDir('--json', 'status')));
    expect(status).toMatchObject({
      database: { kind: 'embedded', description: dataDir, exists: false },
      keyring: null,
    });
    expect(expectOk(await secretstore(inDataDir('status')))).toContain('none yet: set, import or migrate creates one');
    expectErrorLine(await secretstore(inDataDir('get', 'oauth.github')), 1, 'SECRET_NOT_FOUND');
    expectErrorLine(await secretstore(inDataDir('get', ' oauth.github')), 2, 'INVALID_SECRET_KEY');
    expect(expectJson(await secretstore(inDataDir('--json', 'list', 'oauth.')))).toEqual({
      prefix: 'oauth.',
      secrets: [],
    });
    expectErrorLine(await secretstore(inDataDir('list', 'oauth.\u0007')), 2, 'INVALID_SECRET_KEY');
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('import', () => {
  // What is stored, what the second import brings, and what it does: members compare regardless of order.
  const comparisons: { key: string; stored?: object; imported: object; action: string }[] = [
    { key: 'same.object', stored: { a: 1, b: [1, 2] }, imported: { b: [1, 2], a: 1 }, action: 'unchanged' },
    {
      key: 'same.nested',
      stored: { a: { x: [{ y: null }] } },
      imported: { a: { x: [{ y: null }] } },
      action: 'unchanged',
    },
    { key: 'same.array', stored: [{ token: CANARY }], imported: [{ token: CANARY }], action: 'unchanged' },
    { key: 'array.for.object', stored: { a: [1] }, imported: { a: { 0: 1 } }, action: 'updated' },
    { key: 'object.for.array', stored: { a: { 0: 1 } }, imported: { a: [1] }, action: 'updated' },
    { key: 'array.longer', stored: [1, 2], imported: [1, 2, 3], action: 'updated' },
    { key: 'array.item', stored: [1, 2], imported: [1, 3], action: 'updated' },
    { key: 'member.renamed', stored: { a: 1, b: 2 }, imported: { a: 1, c: 2 }, action: 'updated' },
    { key: 'member.added', stored: { a: 1 }, imported: { a: 1, b: 2 }, action: 'updated' },
    { key: 'null.for.object', stored: { a: null }, imported: { a: {} }, action: 'updated' },
    { key: 'object.for.null', stored: { a: {} }, imported: { a: null }, action: 'updated' },
    { key: 'string.for.number', stored: { a: 1 }, imported: { a: '1' }, action: 'updated' },
    { key: 'new.key', imported: { token: CANARY }, action: 'created' },
  ];
  const count = (action: string): number => comparisons.filter((item) => item.action === action).length;

  it(
    'dry-runs without writing, compares JSON values, imports all or nothing',
    async () => {
      const inData = (...args: string[]): Promise<CliRun> => secretstore(inDataDir(...args));

      expect(expectOk(await inData('import', writeJson('empty.json', {})))).toBe(
        'imported in one transaction: created 0, updated 0, unchanged 0\n',
      );
      const stored = Object.fromEntries(comparisons.flatMap(({ key, stored: value }) => (value ? [[key, value]] : [])));
      expect(expectJson(await inData('--json', 'import', writeJson('stored.json', stored)))).toEqual({
        dryRun: false,
        secrets: Object.keys(stored).map((key) => ({ key, action: 'created' })),
        created: Object.keys(stored).length,
        updated: 0,
        unchanged: 0,
      });

      const changes = writeJson(
        'changes.json',
        Object.fromEntries(comparisons.map(({ key, imported }) => [key, imported])),
      );
      const plan = expectOk(await inData('import', changes, '--dry-run'));
      expect(
        plan
          .trimEnd()
          .split('\n')
          .map((line) => line.split(/\s{2,}/)),
      ).toEqual([
        ['KEY', 'WOULD BE'],
        ...comparisons.map(({ key, action }) => [key, action]),
        [
          `dry run, nothing written: would create ${count('created')}, update ${count('updated')}, ` +
            `leave ${count('unchanged')} unchanged`,
        ],
      ]);
      expectErrorLine(await inData('get', 'new.key'), 1, 'SECRET_NOT_FOUND');

      const imported = expectOk(await inData('import', changes));
      expect(
        imported
          .trimEnd()
          .split('\n')
          .map((line) => line.split(/\s{2,}/)),
      ).toEqual([
        ['KEY', 'ACTION'],
        ...comparisons.map(({ key, action }) => [key, action]),
        [
          `imported in one transaction: created ${count('created')}, updated ${count('updated')}, ` +
            `unchanged ${count('unchanged')}`,
        ],
      ]);
      expect(expectJson(await inData('--json', 'import', changes, '--dry-run'))).toEqual({
        dryRun: true,
        secrets: comparisons.map(({ key }) => ({ key, action: 'unchanged' })),
        created: 0,
        updated: 0,
        unchanged: comparisons.length,
      });

      // A value that is not an object or array: the dry run says so, and a real import writes none of the file.
      const invalid = writeJson('invalid.json', {
        'later.key': { token: CANARY },
        'same.object': { a: 2 },
        'zz.last': 7,
      });
      expect(expectErrorLine(await inData('import', invalid, '--dry-run'), 2, 'INVALID_SECRET_VALUE')).toContain(
        '"zz.last"',
      );
      expect(expectJsonError(await inData('--json', 'import', invalid), 2, 'INVALID_SECRET_VALUE').message).toContain(
        '"zz.last"',
      );
      expect(expectJson(await inData('--json', 'get', 'same.object'))).toEqual({
        key: 'same.object',
        value: { a: 1, b: [1, 2] },
      });
      expectErrorLine(await inData('get', 'later.key'), 1, 'SECRET_NOT_FOUND');
    },
    TIMEOUT,
  );
});

describe('rotate-keys and status on the embedded database', () => {
  it(
    'status counts secrets per key before and after rotation; rotation reports what it cannot read',
    async () => {
      const k2 = newKey();
      const inData = (args: string[], keys?: string): Promise<CliRun> =>
        secretstore(inDataDir(...args), { env: keys === undefined ? {} : { SECRETSTORE_ENCRYPTION_KEYS: keys } });

      // migrate makes the folder, with its development key.
      const made = await inData(['migrate']);
      expect(made.code).toBe(0);
      const fresh = await inData(['status']);
      expect(fresh.code).toBe(0);
      expect(fresh.stdout).toBe(
        [
          `database     ${dataDir} (embedded)`,
          `migrations   ${MIGRATIONS.length} applied, 0 pending`,
          'active key   dev',
          'keyring      dev',
          'key check    dev not used yet',
          'keys in use  0 secrets under 0 keys',
          '',
        ].join('\n'),
      );
      expect(devKeyWarnings(made, fresh)).toMatch(DEV_KEY_WARNING);
      const devKey = readFileSync(path.join(dataDir, 'encryption-keys'), 'utf8').trim();
      const rotating = `k2:${k2},${devKey}`;

      expect(expectOk(await inData(['set', 'a.one', '{}']))).toContain('version  1');
      const one = expectOk(await inData(['status']));
      expect(one).toContain('\nkey check    dev matches\nkeys in use  1 secret under 1 key\n');
      expect(one.split('\n').slice(-3)).toEqual([
        'KEY ID  ENCODING     SECRETS  IN KEYRING',
        'dev     aes-256-gcm  1        yes',
        '',
      ]);

      // Written under k2, read with the development key only: status says k2 is missing.
      const written = writeJson('more.json', { 'a.two': { n: 2 }, 'a.three': [3] });
      expect(expectJson(await inData(['--json', 'import', written], rotating))).toMatchObject({ created: 2 });
      const mixed = expectOk(await inData(['status']));
      expect(mixed).toContain('\nkeys in use  3 secrets under 2 keys\n');
      expect(mixed).toMatch(/\ndev {2,}aes-256-gcm {2,}1 {2,}yes\nk2 {2,}aes-256-gcm {2,}2 {2,}NO\n$/);
      expect(expectJson(await inData(['--json', 'status']))).toMatchObject({
        keyring: { activeKeyId: 'dev', keyIds: ['dev'], activeKeyInKeyring: true },
        allKeysInKeyring: false,
      });

      expect(expectJson(await inData(['--json', 'rotate-keys', '--batch-size', '1'], rotating))).toEqual({
        activeKeyId: 'k2',
        scanned: 1,
        reEncrypted: 1,
        skipped: 0,
        failed: [],
      });
      expect(expectJson(await inData(['--json', 'status'], rotating))).toEqual({
        database: { kind: 'embedded', description: dataDir, exists: true },
        migrations: { applied: MIGRATIONS.map((name) => ({ name, changed: false })), pending: [], unknown: [] },
        keyring: {
          activeKeyId: 'k2',
          keyIds: ['k2', 'dev'],
          activeKeyInKeyring: true,
          keys: [
            { keyId: 'dev', state: 'recorded' },
            { keyId: 'k2', state: 'recorded' },
          ],
        },
        keysInUse: [{ encoding: 'aes-256-gcm', keyId: 'k2', secrets: 3, inKeyring: true }],
        allKeysInKeyring: true,
      });
      expect(expectOk(await inData(['rotate-keys'], rotating))).toBe(
        'active key    k2\nscanned       0\nre-encrypted  0\nskipped       0\nfailed        0\n',
      );

      // Rotating to k3 without k2 in the keyring: no row can be read, none is changed, each is reported,
      // and the exit code says the rotation is not done.
      const incomplete = await inData(['rotate-keys'], `k3:${newKey()}`);
      expect({ code: incomplete.code, stderr: incomplete.stderr }).toEqual({ code: 5, stderr: '' });
      const [failed, summary] = incomplete.stdout.split(/\n(?=3 secrets were left)/);
      expect(summary).toBe(
        '3 secrets were left under their old key: fix the cause (a key missing from the keyring, a locked row) ' +
          'and run rotate-keys again\n',
      );
      expect(`${failed}\n`.split('\n').map((line) => line.split(/\s{2,}/))).toEqual([
        ['active key', 'k3'],
        ['scanned', '3'],
        ['re-encrypted', '0'],
        ['skipped', '0'],
        ['failed', '3'],
        ['FAILED KEY', 'CODE'],
        ['a.one', 'SECRET_DECRYPTION_FAILED'],
        ['a.three', 'SECRET_DECRYPTION_FAILED'],
        ['a.two', 'SECRET_DECRYPTION_FAILED'],
        [''],
      ]);
      expect(expectJson(await inData(['--json', 'get', 'a.three'], `k2:${k2}`))).toEqual({
        key: 'a.three',
        value: [3],
      });
      expectErrorLine(await inData(['get', 'a.three']), 5, 'SECRET_DECRYPTION_FAILED');
    },
    TIMEOUT,
  );
});

describe('on a PostgreSQL server (in-memory PGlite behind a socket)', () => {
  let db: PGlite;
  let server: PGLiteSocketServer;
  let url: string;
  let hostPort: string;
  const k1 = `k1:${newKey()}`;
  const triggerDevKey = 'a'.repeat(32);

  beforeAll(async () => {
    db = await PGlite.create();
    server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 8 });
    await server.start();
    hostPort = server.getServerConn();
    url = `postgres://postgres@${hostPort}/postgres`;
  }, TIMEOUT);

  afterAll(async () => {
    await server.stop();
    await db.close();
  });

  const onServer = (
    args: string[],
    env: Record<string, string> = { SECRETSTORE_ENCRYPTION_KEYS: k1 },
  ): Promise<CliRun> => secretstore(['--database-url', url, ...args], { env });

  it.each([
    { how: '--database-url', args: (): string[] => ['--database-url', url], env: (): Record<string, string> => ({}) },
    { how: 'DATABASE_URL', args: (): string[] => [], env: (): Record<string, string> => ({ DATABASE_URL: url }) },
    {
      how: 'PG* variables',
      args: (): string[] => [],
      env: (): Record<string, string> => {
        const [host, port] = hostPort.split(':');
        return { PGHOST: host, PGPORT: port, PGUSER: 'postgres', PGDATABASE: 'postgres' };
      },
    },
  ])('is found by $how', async ({ args, env }) => {
    const result = await secretstore([...args(), '--json', 'status'], {
      env: { ...env(), SECRETSTORE_ENCRYPTION_KEYS: k1 },
    });
    expect(expectJson(result)).toMatchObject({
      database: { kind: 'server', description: `${hostPort}/postgres` },
      keyring: { activeKeyId: 'k1', keyIds: ['k1'], activeKeyInKeyring: true },
    });
  });

  it(
    'status before and after migrating; rows of every encoding; migrations unknown and changed',
    async () => {
      // Not migrated: status says what is pending and cannot count keys.
      expect(expectJson(await onServer(['--json', 'status']))).toEqual({
        database: { kind: 'server', description: `${hostPort}/postgres`, exists: true },
        migrations: { applied: [], pending: MIGRATIONS, unknown: [] },
        keyring: { activeKeyId: 'k1', keyIds: ['k1'], activeKeyInKeyring: true, keys: null },
        keysInUse: null,
        allKeysInKeyring: true,
      });
      expect(expectOk(await onServer(['status']))).toBe(
        [
          `database     ${hostPort}/postgres (server)`,
          `migrations   0 applied, ${MIGRATIONS.length} pending (${MIGRATIONS.join(', ')}): run secretstore migrate`,
          'active key   k1',
          'keyring      k1',
          'key check    unknown: the schema is not migrated',
          'keys in use  unknown: the schema is not migrated',
          '',
        ].join('\n'),
      );
      expect(expectErrorLine(await onServer(['get', 'app.token']), 5, 'SCHEMA_NOT_MIGRATED')).toMatch(
        /failed: the database has no secret store schema yet; run `secretstore migrate` first$/,
      );

      expect(expectJson(await onServer(['--json', 'migrate'], {}))).toEqual({
        database: { kind: 'server', description: `${hostPort}/postgres` },
        applied: MIGRATIONS,
        alreadyApplied: [],
        unknown: [],
      });

      // Rows the CLI does not write: plaintext (from before encryption) and trigger.dev's envelope.
      await db.query(
        `INSERT INTO secret_store (key, value, encoding, key_id) VALUES
           ('legacy.plain', '{"token": "plain"}', 'plain', NULL),
           ('legacy.triggerdev', '{"nonce": "00", "ciphertext": "00", "tag": "00"}', 'triggerdev-v2', NULL)`,
      );
      await db.query(
        `INSERT INTO secretstore_migrations (name, checksum) VALUES ('999_from_a_newer_version.sql', 'x')`,
      );
      expect(
        expectJson(await onServer(['--json', 'set', 'app.token', JSON.stringify({ token: CANARY })])),
      ).toMatchObject({
        version: 1,
      });

      const keysInUse = (triggerDev: boolean): unknown => [
        { encoding: 'aes-256-gcm', keyId: 'k1', secrets: 1, inKeyring: true },
        { encoding: 'plain', keyId: null, secrets: 1, inKeyring: true },
        { encoding: 'triggerdev-v2', keyId: null, secrets: 1, inKeyring: triggerDev },
      ];
      expect(expectJson(await onServer(['--json', 'status']))).toMatchObject({
        migrations: { pending: [], unknown: ['999_from_a_newer_version.sql'] },
        keysInUse: keysInUse(false),
        allKeysInKeyring: false,
      });
      const withTriggerDev = { SECRETSTORE_ENCRYPTION_KEYS: k1, SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY: triggerDevKey };
      expect(expectJson(await onServer(['--json', 'status'], withTriggerDev))).toMatchObject({
        keysInUse: keysInUse(true),
        allKeysInKeyring: true,
      });
      const human = expectOk(await onServer(['status'], withTriggerDev));
      expect(human).toContain(`\nmigrations   ${MIGRATIONS.length} applied, 0 pending, 1 unknown to this version\n`);
      expect(human.split('\n').slice(-5)).toEqual([
        'KEY ID  ENCODING       SECRETS  IN KEYRING',
        'k1      aes-256-gcm    1        yes',
        '-       plain          1        yes',
        '-       triggerdev-v2  1        yes',
        '',
      ]);

      expect(expectOk(await onServer(['migrate'], {}))).toBe(
        [
          `database         ${hostPort}/postgres (server)`,
          'applied          none',
          `already applied  ${MIGRATIONS.join(', ')}`,
          'unknown          999_from_a_newer_version.sql (applied by a newer version)',
          '',
        ].join('\n'),
      );

      // The plaintext row moves under k1 (same version: rotation is not a write of a new value); the trigger.dev
      // row, not a real envelope, is reported and left: the rotation is not done, exit 5, the summary printed.
      const rotation = await onServer(['--json', 'rotate-keys'], withTriggerDev);
      expect({ code: rotation.code, stderr: rotation.stderr }).toEqual({ code: 5, stderr: '' });
      expect(JSON.parse(rotation.stdout)).toEqual({
        activeKeyId: 'k1',
        scanned: 2,
        reEncrypted: 1,
        skipped: 0,
        failed: [{ key: 'legacy.triggerdev', code: 'SECRET_CORRUPT' }],
      });
      expect(expectJson(await onServer(['--json', 'list', 'legacy.']))).toMatchObject({
        secrets: [
          { key: 'legacy.plain', encoding: 'aes-256-gcm', keyId: 'k1', version: 1 },
          { key: 'legacy.triggerdev', encoding: 'triggerdev-v2', keyId: null, version: 1 },
        ],
      });
      expect(expectJson(await onServer(['--json', 'get', 'legacy.plain']))).toEqual({
        key: 'legacy.plain',
        value: { token: 'plain' },
      });

      // A migration edited after it was applied: status says so, migrate refuses (5), with the stack under --debug.
      await db.query(`UPDATE secretstore_migrations SET checksum = 'edited' WHERE name = $1`, [MIGRATIONS[0]]);
      expect(expectOk(await onServer(['status']))).toContain(
        `\nmigrations   ${MIGRATIONS.length} applied (1 changed since), 0 pending, 1 unknown to this version\n`,
      );
      expect(expectErrorLine(await onServer(['migrate'], {}), 5, 'MIGRATION_CHECKSUM_MISMATCH')).toContain(
        MIGRATIONS[0],
      );
      const debug = await onServer(['--json', '--debug', 'migrate'], {});
      expect(debug.code).toBe(5);
      const { error } = JSON.parse(debug.stderr) as { error: ReportedError };
      expect(error).toMatchObject({ code: 'MIGRATION_CHECKSUM_MISMATCH' });
      expect(error.stack).toMatch(/^MigrationChecksumMismatchError: Migration .+\n {4}at /);
    },
    TIMEOUT,
  );
});
