import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import type { Environment } from '../database/config';
import { assertKeyId } from '../encryption/encryption-key';
import { SecretStoreConfigError } from '../errors';
import { isWholeNumber } from '../whole-number';
import type { CommandContext } from './command-context';
import { deleteCommand } from './commands/delete';
import { exportCommand, type ExportOptions } from './commands/export';
import { getCommand } from './commands/get';
import { importCommand, type ImportOptions } from './commands/import';
import { keygenCommand, type KeygenOptions } from './commands/keygen';
import { listCommand, type ListOptions } from './commands/list';
import { migrateCommand } from './commands/migrate';
import { rotateKeysCommand, type RotateKeysOptions } from './commands/rotate-keys';
import { setCommand, type SetOptions } from './commands/set';
import { statusCommand } from './commands/status';
import { DatabaseAccess, type DatabaseChoice } from './database-access';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes';
import type { InputStream } from './json-input';
import { Output, type CommandResult, type TextSink } from './output';
import { CliUsageError } from './usage-error';

/** What the CLI reads and writes; process.* unless a caller passes its own. */
export interface CliIo {
  stdin: InputStream;
  stdout: TextSink;
  stderr: TextSink;
  env: Environment;
}

interface GlobalOptions extends DatabaseChoice {
  json?: boolean;
  debug?: boolean;
}

function positiveInteger(text: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!isWholeNumber(value, 1)) throw new InvalidArgumentError('expected a positive integer');
  return value;
}

function keyId(text: string): string {
  try {
    assertKeyId(text, '--id');
  } catch (error) {
    if (error instanceof SecretStoreConfigError) throw new InvalidArgumentError(error.problem);
    throw error;
  }
  return text;
}

function createProgram(io: CliIo, completed: { exitCode: ExitCode }): Command {
  /** Runs a command with what the global options chose, and prints its result in the chosen form. */
  const execute = async (
    command: Command,
    work: (context: CommandContext) => CommandResult | Promise<CommandResult>,
  ): Promise<void> => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const output = new Output(io.stdout, io.stderr, globals.json === true);
    const result = await work({
      database: new DatabaseAccess(globals, io.env, {
        // The development-key warning; warnings about an operation (rotation's unreadable rows) are in the output.
        warn: (fields, message) => {
          if (fields.operation === undefined) io.stderr.write(`${message}\n`);
        },
      }),
      stdin: io.stdin,
      output,
    });
    output.result(result);
    completed.exitCode = result.exitCode ?? ExitCode.ok;
  };

  const program = new Command('secretstore')
    .description(
      'A key → JSON secret store on PostgreSQL, AES-256-GCM encrypted. Without DATABASE_URL (or --database-url) ' +
        'it uses an embedded database in ./.secretstore (or SECRETSTORE_DATA_DIR, or --data-dir), with a ' +
        'development key generated beside it. SECRETSTORE_ENCRYPTION_KEYS (id:<base64>,…; the first is active) ' +
        'is required for a server.',
    )
    // Errors are reported by run(), one line each; help goes to stdout.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: () => undefined,
      outputError: () => undefined,
    })
    .configureHelp({ showGlobalOptions: true })
    .option('--json', 'print one JSON document on stdout; errors as one JSON line on stderr')
    .option('--database-url <url>', 'PostgreSQL server to use, instead of DATABASE_URL')
    .addOption(
      new Option('--data-dir <dir>', 'embedded database folder, instead of SECRETSTORE_DATA_DIR').conflicts(
        'databaseUrl',
      ),
    )
    .option(
      '--no-prepared-statements',
      'send every statement unnamed, never prepared (as SECRETSTORE_PREPARED_STATEMENTS=false does)',
    )
    .option('--debug', 'print the stack of unexpected errors')
    .addHelpText('after', EXIT_CODES_HELP);

  program
    .command('migrate')
    .description('apply pending database migrations (needs no keyring)')
    .action((_options: object, command: Command) => execute(command, migrateCommand));

  program
    .command('set')
    .description(
      'create or replace a secret; the value is a JSON object or array, from the argument, --file, or stdin ' +
        '(prefer --file or stdin: arguments end up in shell history)',
    )
    .argument('<key>', 'the secret key')
    .argument('[json]', 'the value as JSON')
    .option('--file <path>', 'read the value from this JSON file')
    .action((key: string, json: string | undefined, options: SetOptions, command: Command) =>
      execute(command, (context) => setCommand(context, key, json, options)),
    );

  program
    .command('get')
    .description('print a secret value as JSON (exit 1 if there is none)')
    .argument('<key>', 'the secret key')
    .action((key: string, _options: object, command: Command) =>
      execute(command, (context) => getCommand(context, key)),
    );

  program
    .command('delete')
    .description('delete a secret (exit 1 if there was none)')
    .argument('<key>', 'the secret key')
    .action((key: string, _options: object, command: Command) =>
      execute(command, (context) => deleteCommand(context, key)),
    );

  program
    .command('list')
    .description('list keys with version and update time')
    .argument('[prefix]', 'only keys that start with this', '')
    .option('--values', 'also print the values (decrypted)')
    .action((prefix: string, options: ListOptions, command: Command) =>
      execute(command, (context) => listCommand(context, prefix, options)),
    );

  program
    .command('import')
    .description('write every key → value of a JSON object file, in one transaction: all or nothing')
    .argument('<file>', 'a JSON file holding one object of key → value')
    .option('--dry-run', 'write nothing: show per key whether it would be created, updated or unchanged')
    .action((file: string, options: ImportOptions, command: Command) =>
      execute(command, (context) => importCommand(context, file, options)),
    );

  program
    .command('export')
    .description(
      'print the secrets under a prefix as one JSON object of key → value, decrypted: the file `import` reads ' +
        '(with --file, into a new file of mode 0600)',
    )
    .argument('[prefix]', 'only keys that start with this', '')
    .option('--file <path>', 'write to this new file instead of stdout')
    .action((prefix: string, options: ExportOptions, command: Command) =>
      execute(command, (context) => exportCommand(context, prefix, options)),
    );

  program
    .command('rotate-keys')
    .description('re-encrypt every secret not under the active key (the first of SECRETSTORE_ENCRYPTION_KEYS)')
    .option('--batch-size <n>', 'rows per round trip (default 100)', positiveInteger)
    .action((options: RotateKeysOptions, command: Command) =>
      execute(command, (context) => rotateKeysCommand(context, options)),
    );

  program
    .command('keygen')
    .description('print a new key as an entry of SECRETSTORE_ENCRYPTION_KEYS (id:<base64>); opens no database')
    .option('--id <id>', 'the key id', keyId, 'k1')
    .action((options: KeygenOptions, command: Command) => execute(command, () => keygenCommand(options)));

  program
    .command('status')
    .description('which database, its migrations, the keyring, and the keys secrets are stored under')
    .action((_options: object, command: Command) => execute(command, statusCommand));

  return program;
}

/** Runs the CLI on `argv` (as process.argv: node, script, arguments…) and resolves to its exit code. */
export async function run(argv: readonly string[], io: Partial<CliIo> = {}): Promise<ExitCode> {
  const streams: CliIo = {
    stdin: io.stdin ?? process.stdin,
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
  };
  const completed: { exitCode: ExitCode } = { exitCode: ExitCode.ok };
  const program = createProgram(streams, completed);
  try {
    await program.parseAsync(argv);
    return completed.exitCode;
  } catch (caught) {
    // --help and --version end parsing with a CommanderError of exit code 0: not a failure.
    if (caught instanceof CommanderError && caught.exitCode === 0) return ExitCode.ok;
    const error =
      caught instanceof CommanderError && caught.code === 'commander.help'
        ? new CliUsageError('USAGE', 'no command given; see secretstore --help')
        : caught;
    const globals = program.opts<GlobalOptions>();
    return new Output(streams.stdout, streams.stderr, globals.json === true).error(error, globals.debug === true);
  }
}
