import { Command, CommanderError, Option } from 'commander';

import type { Environment } from '../database/config';
import type { CommandContext } from './command-context';
import { auditCommand, type AuditOptions } from './commands/audit';
import { deleteCommand } from './commands/delete';
import { destroyCommand, type DestroyOptions } from './commands/destroy';
import { DEFAULT_DUE_WINDOW, dueCommand, type DueOptions } from './commands/due';
import { exportCommand, type ExportOptions } from './commands/export';
import { getCommand, type GetOptions } from './commands/get';
import { historyCommand } from './commands/history';
import { importCommand, type ImportOptions } from './commands/import';
import { keygenCommand, type KeygenOptions } from './commands/keygen';
import { listCommand, type ListOptions } from './commands/list';
import { metaCommand } from './commands/meta';
import { migrateCommand } from './commands/migrate';
import { purgeCommand, type PurgeOptions } from './commands/purge';
import { restoreCommand, type RestoreOptions } from './commands/restore';
import { rotateKeysCommand, type RotateKeysOptions } from './commands/rotate-keys';
import { setCommand, type SetOptions } from './commands/set';
import { statusCommand } from './commands/status';
import { undeleteCommand } from './commands/undelete';
import { watchCommand } from './commands/watch';
import { DatabaseAccess, type DatabaseChoice } from './database-access';
import { parseDuration } from './duration';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes';
import type { InputStream } from './json-input';
import { addMetadataOptions, type MetadataOptions } from './metadata-options';
import { actorName, expectedVersion, keyId, positiveInteger, version, versionList, wholeNumber } from './option-values';
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

/** How a run ended: the exit code of the command that ran, and whether help was printed on stdout. */
interface Completion {
  exitCode: ExitCode;
  printedHelp: boolean;
}

function createProgram(io: CliIo, completed: Completion): Command {
  /** Runs a command with what the global options chose, and prints its result in the chosen form. */
  const execute = async (
    command: Command,
    // undefined: the command printed as it went (watch), and succeeded.
    work: (context: CommandContext) => CommandResult | undefined | Promise<CommandResult | undefined>,
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
    if (result === undefined) return;
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
      writeOut: (text) => {
        completed.printedHelp = true;
        io.stdout.write(text);
      },
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
    .option(
      '--actor <name>',
      'who the changes are attributed to in the audit trail (default: SECRETSTORE_ACTOR, else cli:<OS user>)',
      actorName,
    )
    .option('--debug', 'print the stack of unexpected errors')
    .addHelpText('after', EXIT_CODES_HELP);

  program
    .command('migrate')
    .description('apply pending database migrations (needs no keyring)')
    .action((_options: object, command: Command) => execute(command, migrateCommand));

  addMetadataOptions(
    program
      .command('set')
      .description(
        'create or replace a secret; the value is a JSON object or array, from the argument, --file, or stdin ' +
          '(prefer --file or stdin: arguments end up in shell history); the metadata options apply with the write',
      )
      .argument('<key>', 'the secret key')
      .argument('[json]', 'the value as JSON')
      .option('--file <path>', 'read the value from this JSON file'),
  ).action((key: string, json: string | undefined, options: SetOptions, command: Command) =>
    execute(command, (context) => setCommand(context, key, json, options)),
  );

  program
    .command('get')
    .description('print a secret value as JSON (exit 1 if there is none)')
    .argument('<key>', 'the secret key')
    .option('--version <n>', 'the value of this kept version instead (exit 1 if it has none)', version)
    .action((key: string, options: GetOptions, command: Command) =>
      execute(command, (context) => getCommand(context, key, options)),
    );

  program
    .command('history')
    .description('the kept versions of a secret, newest first, with their state (exit 1 if it has none)')
    .argument('<key>', 'the secret key')
    .action((key: string, _options: object, command: Command) =>
      execute(command, (context) => historyCommand(context, key)),
    );

  program
    .command('restore')
    .description("write a kept version's value as a new version (undeleting a deleted secret)")
    .argument('<key>', 'the secret key')
    .argument('<version>', 'the version whose value to restore', version)
    .option('--if-version <n>', 'only if the secret is at this version (0: only if it does not exist)', expectedVersion)
    .action((key: string, restored: number, options: RestoreOptions, command: Command) =>
      execute(command, (context) => restoreCommand(context, key, restored, options)),
    );

  program
    .command('delete')
    .description(
      'delete a secret softly: it reads as missing, undelete brings it back, destroy erases it for good ' +
        '(exit 1 if there was none)',
    )
    .argument('<key>', 'the secret key')
    .action((key: string, _options: object, command: Command) =>
      execute(command, (context) => deleteCommand(context, key)),
    );

  program
    .command('undelete')
    .description('bring a deleted secret back, at the version it had (exit 1 if it is not deleted)')
    .argument('<key>', 'the secret key')
    .action((key: string, _options: object, command: Command) =>
      execute(command, (context) => undeleteCommand(context, key)),
    );

  program
    .command('destroy')
    .description(
      'erase values for good: the versions given, or every version and the secret itself; needs --yes ' +
        '(exit 1 if the key or a version given does not exist)',
    )
    .argument('<key>', 'the secret key')
    .option('--versions <list>', 'only these versions, separated by commas (1,2)', versionList)
    .option('--yes', 'confirm: this cannot be undone')
    .action((key: string, options: DestroyOptions, command: Command) =>
      execute(command, (context) => destroyCommand(context, key, options)),
    );

  program
    .command('purge')
    .description('remove for good, with every version, the secrets deleted longer ago than --older-than; needs --yes')
    .requiredOption('--older-than <duration>', 'how long ago: 30d, 12h, 15m, 90s, 2w', parseDuration)
    .option('--yes', 'confirm: this cannot be undone')
    .action((options: PurgeOptions, command: Command) => execute(command, (context) => purgeCommand(context, options)));

  addMetadataOptions(
    program
      .command('meta')
      .description(
        "show a secret's metadata; with changes, apply them as one patch and show the result " +
          '(exit 1 if the secret is missing or deleted)',
      )
      .argument('<key>', 'the secret key'),
  ).action((key: string, options: MetadataOptions, command: Command) =>
    execute(command, (context) => metaCommand(context, key, options)),
  );

  program
    .command('due')
    .description('the secrets whose expiry or rotation date falls within the window, or has passed')
    .option('--within <duration>', `the window: 30d, 12h, 15m, 90s, 2w (default ${DEFAULT_DUE_WINDOW})`, parseDuration)
    .action((options: DueOptions, command: Command) => execute(command, (context) => dueCommand(context, options)));

  program
    .command('audit')
    .description(
      'the audit trail, oldest first; --verify checks it (exit 5 when it does not verify), ' +
        '--seal seals it and prints its head as JSON, to keep outside the database',
    )
    .addOption(new Option('--key <key>', 'only the records of this secret').conflicts(['verify', 'seal']))
    .addOption(
      new Option('--after <seq>', 'start after this record (the `next` of the page before)')
        .argParser(wholeNumber)
        .conflicts(['verify', 'seal']),
    )
    .addOption(
      new Option('--limit <n>', 'records per page, up to 10000 (default 1000)')
        .argParser(positiveInteger)
        .conflicts(['verify', 'seal']),
    )
    .addOption(new Option('--verify', 'verify the trail instead of listing it').conflicts('seal'))
    .option('--head <json>', 'with --verify: a head --seal printed, which the trail must still hold')
    .option('--seal', 'seal the records no checkpoint seals yet, and print the head')
    .action((options: AuditOptions, command: Command) => execute(command, (context) => auditCommand(context, options)));

  program
    .command('list')
    .description('list keys with version and update time')
    .argument('[prefix]', 'only keys that start with this', '')
    .option('--values', 'also print the values (decrypted)')
    .option('--deleted', 'also list deleted secrets, with when they were deleted')
    .action((prefix: string, options: ListOptions, command: Command) =>
      execute(command, (context) => listCommand(context, prefix, options)),
    );

  program
    .command('watch')
    .description(
      'print each committed change under a prefix as it happens (time, operation, key, version; never a value) ' +
        'until Ctrl-C; --json: one object per line. Needs a server and no keyring; where DATABASE_URL is ' +
        'PgBouncer in transaction mode, set SECRETSTORE_LISTEN_DATABASE_URL to the server',
    )
    .argument('[prefix]', 'only keys that start with this', '')
    .addHelpText('after', '\nExample:\n  secretstore watch app/ --json')
    .action((prefix: string, _options: object, command: Command) =>
      execute(command, (context) => watchCommand(context, prefix)),
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
    .description(
      're-encrypt every kept version not under the active key (the first of SECRETSTORE_ENCRYPTION_KEYS), ' +
        'then reseal the audit trail under it',
    )
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
  const completed: Completion = { exitCode: ExitCode.ok, printedHelp: false };
  const program = createProgram(streams, completed);
  try {
    await program.parseAsync(argv);
    return completed.exitCode;
  } catch (caught) {
    // Help on stdout ends parsing with a CommanderError: not a failure. Its exit code is not enough to tell, as
    // commander takes it from process.exitCode, which whatever runs the CLI in process may have set.
    if (caught instanceof CommanderError && (caught.exitCode === 0 || completed.printedHelp)) return ExitCode.ok;
    const error =
      caught instanceof CommanderError && caught.code === 'commander.help'
        ? new CliUsageError('USAGE', 'no command given; see secretstore --help')
        : caught;
    const globals = program.opts<GlobalOptions>();
    return new Output(streams.stdout, streams.stderr, globals.json === true).error(error, globals.debug === true);
  }
}
