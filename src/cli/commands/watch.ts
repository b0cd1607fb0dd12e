import { migrationStatus } from '../../database/migrate';
import { SchemaNotMigratedError, SecretStoreConfigError } from '../../errors';
import { assertValidPrefix } from '../../secretstore/key-names';
import type { SecretChangeEvent } from '../../secretstore/secret-store';
import type { CommandContext } from '../command-context';

/** What stops a watch: the person's Ctrl-C, or a service manager's stop. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** The widest operation (reencrypt), so that the keys of the human lines start in one column. */
const OPERATION_WIDTH = 9;

const RESYNC_TEXT = 'changes may have been missed while the connection was down: re-read what you depend on';

/** One event as printed: the JSON line of --json, and the line for a person. `at` is when it was heard. */
function describeEvent(event: SecretChangeEvent, at: Date): { json: unknown; text: string } {
  const time = at.toISOString();
  if (event.type === 'resync') {
    return { json: { type: 'resync', at: time }, text: `${time}  ${'resync'.padEnd(OPERATION_WIDTH)}  ${RESYNC_TEXT}` };
  }
  const { key, version, operation } = event;
  return {
    json: { type: 'change', key, version, operation, at: time },
    text: `${time}  ${operation.padEnd(OPERATION_WIDTH)}  ${key}  v${version}`,
  };
}

/**
 * Resolves at the first stop signal; until `dispose`, those signals no longer end the process at once, and the
 * process stays up: the library's reconnection timers do not hold it open (a library must not), so without
 * this a watch would end, as if done, while its listening connection is down.
 */
function untilStopSignal(): { stopped: Promise<void>; dispose: () => void } {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const onSignal = () => stop();
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  return {
    stopped,
    dispose: () => {
      clearInterval(keepAlive);
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    },
  };
}

/**
 * Prints each committed change of a key under `prefix` (key, version, operation: never a value) until SIGINT
 * or SIGTERM, then closes the store and succeeds. Needs a PostgreSQL server: the embedded folder is shared
 * between processes through one session, which cannot tell them of each other's commits.
 */
export async function watchCommand(context: CommandContext, prefix: string): Promise<undefined> {
  assertValidPrefix(prefix);
  const location = context.database.location();
  if (location.kind === 'embedded') {
    throw new SecretStoreConfigError(
      'watch',
      `is not available over the embedded database folder ${location.description}, whose processes share one ` +
        'session: point DATABASE_URL or --database-url at a PostgreSQL server',
    );
  }
  const signal = untilStopSignal();
  try {
    // Without the notifying triggers the feed would stay silent: say so, and reach the server once, first.
    const { pending } = await context.database.withDatabase((database) => migrationStatus(database));
    if (pending.length > 0) {
      throw new SchemaNotMigratedError('watch', undefined, `migrations pending: ${pending.join(', ')}`);
    }
    await context.database.withKeylessStore(async (store) => {
      const stop = await store.watch({ prefix }, (event) => {
        const { json, text } = describeEvent(event, new Date());
        context.output.line(json, text);
      });
      context.output.terminalNotice(`watching changes under ${prefix === '' ? 'every key' : prefix} (Ctrl-C to stop)`);
      await signal.stopped;
      await stop();
    });
  } finally {
    signal.dispose();
  }
  return undefined;
}
