import type { Listen, NotificationListener } from '../database/notification-listener';
import type {
  ChangeListener,
  ChangeSubscription,
  SecretChange,
  SecretChangeOperation,
} from './secret-store-repository';

/** The channel migration 005's triggers notify. */
const CHANGES_CHANNEL = 'secretstore_changes';

const OPERATIONS: ReadonlySet<string> = new Set<SecretChangeOperation>([
  'set',
  'delete',
  'undelete',
  'destroy',
  'purge',
  'metadata',
  'reencrypt',
]);

/**
 * A notification's changes: a JSON array of a random id (which keeps PostgreSQL from merging two identical
 * payloads of one transaction) and then [key, version, operation] each; undefined when it is not one (a
 * TRUNCATE's "truncate" included: every listener then starts afresh).
 */
export function parseChanges(payload: string): SecretChange[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'string') return undefined;
  const changes: SecretChange[] = [];
  for (const item of (parsed as unknown[]).slice(1)) {
    if (!Array.isArray(item) || item.length !== 3) return undefined;
    const [key, version, operation] = item as unknown[];
    if (typeof key !== 'string' || !Number.isSafeInteger(version) || typeof operation !== 'string') return undefined;
    if (!OPERATIONS.has(operation)) return undefined;
    changes.push({ key, version: version as number, operation: operation as SecretChangeOperation });
  }
  return changes;
}

/**
 * One LISTEN connection shared by every subscriber of a repository: opened with the first subscription and
 * closed with the last. A notification that cannot be read counts as a loss: each subscriber is told that
 * changes may have been missed, then that they are heard again.
 */
export class ChangeFeed {
  readonly #subscribers = new Set<ChangeListener>();
  #listener: Promise<NotificationListener> | undefined;
  #closing: Promise<void> = Promise.resolve();

  constructor(private readonly listen: Listen) {}

  subscribe(subscriber: ChangeListener): ChangeSubscription {
    this.#subscribers.add(subscriber);
    const listener = (this.#listener ??= this.#closing.then(() => this.#start()));
    let active = true;
    let started: NotificationListener | undefined;
    const ready = listener.then(
      (opened) => {
        started = opened;
      },
      (error: unknown) => {
        this.#listener = undefined;
        if (active) subscriber.lost(error instanceof Error ? error : new Error(String(error)));
      },
    );
    return {
      get live() {
        return active && started !== undefined && started.listening;
      },
      ready,
      unsubscribe: async () => {
        if (!active) return;
        active = false;
        this.#subscribers.delete(subscriber);
        if (this.#subscribers.size > 0 || this.#listener !== listener) return;
        this.#listener = undefined;
        this.#closing = listener.then(
          (opened) => opened.close(),
          () => undefined,
        );
        await this.#closing;
      },
    };
  }

  #start(): Promise<NotificationListener> {
    const each = (tell: (subscriber: ChangeListener) => void) => {
      for (const subscriber of [...this.#subscribers]) tell(subscriber);
    };
    return this.listen(CHANGES_CHANNEL, {
      notification: (payload) => {
        const changes = parseChanges(payload);
        if (changes !== undefined) {
          each((subscriber) => subscriber.changes(changes));
          return;
        }
        const unreadable = new Error('a change notification could not be read');
        each((subscriber) => subscriber.lost(unreadable));
        each((subscriber) => subscriber.live());
      },
      listening: () => each((subscriber) => subscriber.live()),
      lost: (error) => each((subscriber) => subscriber.lost(error)),
    });
  }
}
