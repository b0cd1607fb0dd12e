import { SecretStoreConfigError } from '../errors';
import type { SecretChange } from './secret-store-repository';

export interface SecretCacheOptions {
  /** How long a value is served without being read again, in milliseconds (Infinity: until a change). */
  ttlMillis: number;
  /** Most secrets (and listings) held; the least recently used go first. */
  maxEntries: number;
  /**
   * While the database cannot be reached and changes cannot be heard, serve what the cache held when they
   * stopped being heard, for this many milliseconds. Default 0: never serve a value that may be stale.
   */
  staleIfErrorMillis?: number;
}

/** A secret as the cache holds it: its value frozen (so that no caller can change it for the next). */
export interface CachedSecret {
  key: string;
  value: unknown;
  version: number;
  expiresAt: Date | null;
}

/** One key's lookup: a value, or a miss the cache remembers (`secret` undefined). */
interface KeyEntry {
  secret: CachedSecret | undefined;
  storedAt: number;
  /** Read since it was stored or last given a second chance (see #evict). */
  used: boolean;
}

interface ListEntry {
  secrets: CachedSecret[];
  storedAt: number;
  used: boolean;
}

/** The newest change heard of a key, so that an older read is never stored after it. */
interface Floor {
  generation: number;
  /** Undefined when the change is not known (a write of this process whose outcome is unknown). */
  version: number | undefined;
  present: boolean;
}

const REMOVED: ReadonlySet<string> = new Set(['delete', 'destroy', 'purge']);

function isPositiveNumber(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && !Number.isNaN(value);
}

/** Validated at construction: a configuration error is thrown then, never later. */
export function cacheSettings(options: unknown): Required<SecretCacheOptions> | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new SecretStoreConfigError('cache', 'must be an object { ttlMillis, maxEntries, staleIfErrorMillis? }');
  }
  const { ttlMillis, maxEntries, staleIfErrorMillis = 0 } = options as Partial<SecretCacheOptions>;
  if (!isPositiveNumber(ttlMillis)) throw new SecretStoreConfigError('cache.ttlMillis', 'must be a positive number');
  if (!Number.isSafeInteger(maxEntries) || (maxEntries as number) < 1) {
    throw new SecretStoreConfigError('cache.maxEntries', 'must be a positive whole number');
  }
  if (typeof staleIfErrorMillis !== 'number' || !(staleIfErrorMillis >= 0)) {
    throw new SecretStoreConfigError('cache.staleIfErrorMillis', 'must be a number of milliseconds, 0 or more');
  }
  return { ttlMillis, maxEntries: maxEntries as number, staleIfErrorMillis };
}

/** Freezes a JSON value and everything in it, once, when it enters the cache. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

const UNREACHABLE: ReadonlySet<unknown> = new Set(['DATABASE_UNAVAILABLE', 'CONNECTION_ACQUIRE_TIMEOUT']);

/** Whether a read failed because the database could not be reached (not because it refused), by its code. */
export function isUnreachable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && UNREACHABLE.has((error as { code?: unknown }).code);
}

/**
 * Decrypted secrets in memory, served only while the database's change notifications are heard and kept
 * correct by them:
 *
 * - a read takes a ticket (the generation) before it starts, and its result is stored only if no change of
 *   that key (for a listing, no change at all) was heard since: a read that raced a change never stores what it saw;
 * - a result older than the newest change heard of its key is never stored (a replica or a slow read);
 * - while notifications are not heard, nothing is served or stored; when they are heard again, everything is
 *   dropped (what happened in between is unknown), unless staleIfErrorMillis keeps it for reads the database
 *   cannot answer;
 * - TTL bounds everything else.
 */
export class SecretCache {
  readonly #settings: Required<SecretCacheOptions>;
  /** Oldest first: a Map keeps insertion order. A hit only marks its entry used (see #evict). */
  readonly #keys = new Map<string, KeyEntry>();
  readonly #lists = new Map<string, ListEntry>();
  readonly #floors = new Map<string, Floor>();
  #generation = 0;
  /** The newest generation of a floor dropped to keep #floors bounded: reads older than it store nothing. */
  #forgottenFloor = 0;
  #live = false;
  /** Set by close(): never live again. */
  #closed = false;
  /** When changes stopped being heard, while they are not. */
  #lostAt: number | undefined = performance.now();

  constructor(settings: Required<SecretCacheOptions>) {
    this.#settings = settings;
  }

  get live(): boolean {
    return this.#live;
  }

  /** Taken before a read: pass it to store(). */
  ticket(): number {
    return this.#generation;
  }

  #fresh(storedAt: number): boolean {
    return performance.now() - storedAt < this.#settings.ttlMillis;
  }

  /** The cached lookup of a key: `{ secret }` (undefined secret: known missing), or undefined when not cached. */
  get(key: string): { secret: CachedSecret | undefined } | undefined {
    if (!this.#live) return undefined;
    const entry = this.#keys.get(key);
    if (entry === undefined) return undefined;
    if (!this.#fresh(entry.storedAt)) {
      this.#keys.delete(key);
      return undefined;
    }
    entry.used = true;
    return entry;
  }

  getList(prefix: string): CachedSecret[] | undefined {
    if (!this.#live) return undefined;
    const entry = this.#lists.get(prefix);
    if (entry === undefined) return undefined;
    if (!this.#fresh(entry.storedAt)) {
      this.#lists.delete(prefix);
      return undefined;
    }
    entry.used = true;
    return entry.secrets;
  }

  /** Whether a read that took `ticket` may store what it read of `key` (undefined: found missing). */
  #mayStore(key: string, secret: CachedSecret | undefined, ticket: number): boolean {
    if (!this.#live) return false;
    const floor = this.#floors.get(key);
    if (floor === undefined) return this.#forgottenFloor <= ticket;
    if (floor.generation > ticket) return false;
    if (floor.version === undefined) return true;
    if (secret === undefined) return !floor.present;
    return secret.version > floor.version || (secret.version === floor.version && floor.present);
  }

  /** Stores what a read that took `ticket` found of `key`, unless a change heard since makes it stale. */
  store(key: string, secret: CachedSecret | undefined, ticket: number): void {
    if (!this.#mayStore(key, secret, ticket)) return;
    this.#keys.set(key, { secret, storedAt: performance.now(), used: false });
    this.#evict(this.#keys);
  }

  /** Stores a listing, unless a change was heard since its ticket; its secrets are stored one by one too. */
  storeList(prefix: string, secrets: CachedSecret[], ticket: number): void {
    let current = true;
    for (const secret of secrets) {
      if (this.#mayStore(secret.key, secret, ticket)) this.store(secret.key, secret, ticket);
      else current = false;
    }
    // A listing with a secret older than a change heard of it (a replica behind) is not stored either.
    if (!current || !this.#live || this.#generation !== ticket) return;
    this.#lists.set(prefix, { secrets, storedAt: performance.now(), used: false });
    this.#evict(this.#lists);
  }

  /**
   * Evicts down to maxEntries, oldest first, giving an entry read since it was stored (or since its last
   * chance) a second chance at the end instead (CLOCK, which approximates least recently used). A hit only
   * sets a flag: moving a Map entry to the end on every hit costs V8 a rehash per hit of a hot key (17 µs
   * at 10,000 entries, 30 µs at 100,000, against 0.3 µs when the keys vary).
   */
  #evict(entries: Map<string, { used: boolean }>): void {
    while (entries.size > this.#settings.maxEntries) {
      const [key, oldest] = entries.entries().next().value as [string, { used: boolean }];
      entries.delete(key);
      if (oldest.used) {
        oldest.used = false;
        entries.set(key, oldest);
      }
    }
  }

  /** Changes heard (or made by this process): what is cached of those keys, and listings that hold them, goes. */
  changed(changes: readonly SecretChange[]): void {
    this.#generation += 1;
    const generation = this.#generation;
    for (const { key, version, operation } of changes) {
      this.#setFloor(key, { generation, version, present: !REMOVED.has(operation) });
      const entry = this.#keys.get(key);
      if (entry !== undefined && !(entry.secret !== undefined && entry.secret.version > version))
        this.#keys.delete(key);
    }
    this.#dropListsOf(changes.map(({ key }) => key));
  }

  /** Keys this process wrote without knowing the outcome (a failed write, a transaction): dropped. */
  forget(keys: readonly string[]): void {
    this.#generation += 1;
    for (const key of keys) {
      this.#setFloor(key, { generation: this.#generation, version: undefined, present: true });
      this.#keys.delete(key);
    }
    this.#dropListsOf(keys);
  }

  /** Everything dropped: a change of unknown keys. */
  clear(): void {
    this.#generation += 1;
    this.#forgottenFloor = this.#generation;
    this.#floors.clear();
    this.#keys.clear();
    this.#lists.clear();
  }

  #setFloor(key: string, floor: Floor): void {
    // A key already there keeps its place: the oldest notified key leaves first.
    this.#floors.set(key, floor);
    if (this.#floors.size > this.#settings.maxEntries) {
      const [oldestKey, oldest] = this.#floors.entries().next().value as [string, Floor];
      this.#floors.delete(oldestKey);
      this.#forgottenFloor = Math.max(this.#forgottenFloor, oldest.generation);
    }
  }

  #dropListsOf(keys: readonly string[]): void {
    if (this.#lists.size === 0) return;
    for (const prefix of [...this.#lists.keys()]) {
      if (keys.some((key) => key.startsWith(prefix))) this.#lists.delete(prefix);
    }
  }

  /** Changes may be missed from now on: nothing is served or stored until they are heard again. */
  lost(): void {
    this.#generation += 1;
    if (this.#live) this.#lostAt = performance.now();
    this.#live = false;
    if (this.#settings.staleIfErrorMillis === 0) this.clear();
  }

  /** Changes are heard again: what the cache held may have changed meanwhile, so it starts empty. */
  resumed(): void {
    if (this.#closed) return;
    this.clear();
    this.#lostAt = undefined;
    this.#live = true;
  }

  /** Within staleIfErrorMillis of losing the changes, what was held of a key, for a read the database could not answer. */
  staleKey(key: string): { secret: CachedSecret | undefined } | undefined {
    const entry = this.#withinStaleWindow() ? this.#keys.get(key) : undefined;
    return entry !== undefined && this.#freshWhenLost(entry.storedAt) ? entry : undefined;
  }

  staleList(prefix: string): CachedSecret[] | undefined {
    const entry = this.#withinStaleWindow() ? this.#lists.get(prefix) : undefined;
    return entry !== undefined && this.#freshWhenLost(entry.storedAt) ? entry.secrets : undefined;
  }

  /** Whether an entry was within its TTL when changes stopped being heard: past it, it would not have been served. */
  #freshWhenLost(storedAt: number): boolean {
    return (this.#lostAt as number) - storedAt < this.#settings.ttlMillis;
  }

  #withinStaleWindow(): boolean {
    if (this.#live || this.#lostAt === undefined) return false;
    if (performance.now() - this.#lostAt <= this.#settings.staleIfErrorMillis) return true;
    // Past the window, nothing held is ever served again: it goes now rather than with the next resumption.
    if (this.#keys.size > 0 || this.#lists.size > 0) this.clear();
    return false;
  }

  /** The store closed: nothing is held, served or stored from now on. */
  close(): void {
    this.#closed = true;
    this.#live = false;
    this.#lostAt = undefined;
    this.clear();
  }

  /** Counts, for tools and tests: never values. */
  describe(): { live: boolean; keys: number; lists: number } {
    return { live: this.#live, keys: this.#keys.size, lists: this.#lists.size };
  }
}
