import type { ReplicaStatus } from '../database/replicated-database';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

import type { Context } from '@opentelemetry/api';

import type { StoreLocation } from '../database/database-target';
import type { KeyringDescription } from '../encryption/secret-codec';
import {
  InvalidArgumentError,
  InvalidSecretKeyError,
  SecretStoreConfigError,
  SecretExpiredError,
  SecretNotFoundError,
  SecretVersionConflictError,
  SecretVersionNotFoundError,
  TransactionClosedError,
  TransactionUnsupportedError,
} from '../errors';
import {
  actorOf,
  auditEntry,
  runWithActor,
  sealAuditTrail,
  toTrailRecord,
  verifyAuditTrail,
  type AuditTrailHead,
  type AuditTrailRecord,
  type AuditTrailVerification,
} from './audit-trail';
import { toSecretJson } from './json-value';
import type { EncryptionKeyCheck } from './key-fingerprint-check';
import { assertValidKey, assertValidPrefix } from './key-names';
import { compareKeys } from './key-order';
import {
  actorArgument,
  headArgument,
  ifVersionArgument,
  listSecretsArguments,
  MAX_VERSION,
  optionsObject,
  readAuditTrailArguments,
  versionArgument,
  versionsArgument,
  windowArgument,
  type ActorOption,
  type ListSecretsOptions,
  type ReadAuditTrailOptions,
} from './lifecycle-arguments';
import { decodeRecord, decodeRecords, plaintextOf, type SecretEntry } from './record-decoding';
import { readWithRetry, sendWrite, type LostWrite } from './retry-policy';
import { rotateEncryptionKeys, type RotationOptions, type RotationResult } from './rotation';
import { assertSchema, parseWithSchema, type SecretSchema } from './schema';
import { deepFreeze, isUnreachable, SecretCache, type CachedSecret } from './secret-cache';
import { toMetadataPatch } from './secret-metadata';
import type {
  AuditEntry,
  AuditOperation,
  AuditRecord,
  DueRecord,
  EncryptionUsage,
  SecretMetadataPatch,
  SecretMetadataRecord,
  SecretRecord,
  SecretValueRecord,
  SecretVersionInfo,
  WrittenValue,
} from './secret-record';
import type { SecretStoreOptions } from './secret-store-options';
import type {
  BulkEntry,
  ChangeSubscription,
  SecretChange,
  SecretChangeOperation,
  SecretStoreRepository,
} from './secret-store-repository';
import { StoreCore, type TransactionScope } from './store-core';
import {
  countResults,
  deletedOrNot,
  foundOrNot,
  summarizeRotation,
  type ResultSummary,
  type SecretStoreOperation,
} from './telemetry';

/** A secret's metadata: never its value. */
export type SecretMetadata = SecretMetadataRecord;

export interface SetSecretOptions extends ActorOption {
  /**
   * Compare-and-set: write only if the stored version is this one; 0 means only if the secret is absent
   * (never written, deleted, or its current version destroyed). A whole number from 0 to 2,147,483,647
   * (versions are 32-bit), else InvalidArgumentError.
   */
  ifVersion?: number;
  /** Metadata to set with the value, as JSON Merge Patch (see updateSecretMetadata). */
  metadata?: SecretMetadataPatch;
}

export interface SecretWithMetadata<T> {
  value: T;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface RestoreSecretVersionOptions extends ActorOption {
  /** Compare-and-set, as setSecret's. */
  ifVersion?: number;
}

export interface UpdateSecretMetadataOptions extends ActorOption {
  /** Apply the patch only if the secret's version is this one, else SecretVersionConflictError. */
  ifVersion?: number;
}

export interface DestroySecretOptions extends ActorOption {
  /** The versions to erase. Left out: every version, and the secret itself. */
  versions?: number[];
}

export interface PurgeDeletedSecretsOptions extends ActorOption {
  /** Purge secrets deleted at least this many milliseconds ago (0: every deleted secret). */
  olderThan: number;
}

export interface ListSecretsDueOptions {
  /** Dates falling due within this many milliseconds from now, or already past. Default 0: past only. */
  within?: number;
}

export interface VerifyAuditTrailOptions {
  /** A head sealAuditTrail returned earlier, kept outside the database: the trail must still hold it. */
  head?: AuditTrailHead;
}

/** What a store works with, for tools that report it: never key material. */
export interface StoreDescription {
  /** Where the secrets are, for a store made by createSecretStore; undefined for one built with `new`. */
  location: StoreLocation | undefined;
  keyring: KeyringDescription;
  maxValueBytes: number;
  maxDepth: number;
  /**
   * The cache, when the store has one: whether it serves (changes are heard), and how many secrets and
   * listings it holds. Never a key or a value.
   */
  cache?: { live: boolean; keys: number; lists: number };
  /** The replicas reads may go to (a store made with `replicas`), as last checked. */
  replicas?: ReplicaStatus[];
}

/** What watch() delivers: a committed change (never a value), or word that changes may have been missed. */
export type SecretChangeEvent =
  { type: 'change'; key: string; version: number; operation: SecretChangeOperation } | { type: 'resync' };

export interface WatchOptions {
  /** Only changes of keys that start with this (taken literally). Default: every key. */
  prefix?: string;
}

export interface ChangesOptions extends WatchOptions {
  /** Ends the iteration when aborted. */
  signal?: AbortSignal;
}

/** Events an iteration of changes() holds for a consumer that does not keep up; past it they give way to a resync. */
const MAX_BUFFERED_CHANGES = 10_000;

/** Settles once a store's cache has made its first attempt to hear changes: createSecretStore waits for it. */
const cacheReadiness = new WeakMap<SecretStore, Promise<void>>();

/** For createSecretStore: resolves once the store's cache, if it has one, has first tried to listen. */
export function cacheReady(store: SecretStore): Promise<void> {
  return cacheReadiness.get(store) ?? Promise.resolve();
}

/** The values of cached secrets as `schema` outputs them: synchronous when the schema is (see decodeRecords). */
function parsedEntries<T>(
  schema: SecretSchema<T>,
  secrets: readonly CachedSecret[],
): SecretEntry<T>[] | Promise<SecretEntry<T>[]> {
  const entries = new Array<SecretEntry<T>>(secrets.length);
  for (let index = 0; index < secrets.length; index++) {
    const { key, value } = secrets[index];
    const parsed = parseWithSchema(schema, key, value);
    if (parsed instanceof Promise) return parseRestAsync(schema, secrets, entries, index, parsed);
    entries[index] = { key, value: parsed };
  }
  return entries;
}

async function parseRestAsync<T>(
  schema: SecretSchema<T>,
  secrets: readonly CachedSecret[],
  entries: SecretEntry<T>[],
  from: number,
  pending: Promise<T>,
): Promise<SecretEntry<T>[]> {
  entries[from] = { key: secrets[from].key, value: await pending };
  for (let index = from + 1; index < secrets.length; index++) {
    const { key, value } = secrets[index];
    entries[index] = { key, value: await parseWithSchema(schema, key, value) };
  }
  return entries;
}

/** The largest version a secret can have: the column is a 32-bit integer. */
export { MAX_VERSION };

// A store whose collaborators are made already (by createSecretStore, or for a transaction) is built through
// secretStoreOver, which hands them to the constructor here: synchronously, so no other construction sees it.
let adopting: StoreCore | undefined;

/** A SecretStore over `repository` with a core made already. */
export function secretStoreOver(repository: SecretStoreRepository, core: StoreCore): SecretStore {
  adopting = core;
  try {
    return new SecretStore(repository);
  } finally {
    adopting = undefined;
  }
}

/** A fresh identifier of one write, chosen by the store: the value's ciphertext is bound to it. */
function newWriteId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Key → JSON secrets with typed reads, their versions, metadata and audit trail. Semantics follow trigger.dev's
 * SecretStore: a missing (or deleted) key reads as undefined, getSecretOrThrow throws SecretNotFoundError,
 * setSecret upserts an object.
 */
export class SecretStore {
  readonly #repository: SecretStoreRepository;
  readonly #core: StoreCore;
  /** Set when the store has a cache (never on a transaction's store, nor on one that audits reads). */
  readonly #cache: SecretCache | undefined;
  #cacheSubscription: ChangeSubscription | undefined;
  /** The watch() subscriptions open, each with what ends it. */
  readonly #watches = new Set<() => Promise<void>>();
  /** Set by close(): no watch starts after it, and the cache serves nothing. */
  #closed = false;

  /** Every setting is validated here: a configuration error is thrown by the constructor, never later. */
  constructor(repository: SecretStoreRepository, options: SecretStoreOptions = {}) {
    this.#repository = repository;
    this.#core = adopting ?? StoreCore.fromOptions(options);
    const settings = this.#core.cache;
    // Every read of a store that audits reads is recorded, so none is served from memory.
    if (settings === undefined || this.#core.lifecycle.auditReads) return;
    if (typeof repository.subscribeToChanges !== 'function') {
      throw new SecretStoreConfigError('cache', 'needs a repository that reports changes (subscribeToChanges)');
    }
    if (repository.joinsCallerTransactions === true) {
      // The caller's ROLLBACK would be heard by nothing: a value it undid would stay cached.
      throw new SecretStoreConfigError(
        'cache',
        'is not available over a connection whose transactions the caller manages: pass a pg Pool or PGlite',
      );
    }
    const cache = new SecretCache(settings);
    const { telemetry } = this.#core;
    let warned = false;
    const subscription = repository.subscribeToChanges({
      changes: (changes) => cache.changed(changes),
      lost: (error) => {
        if (cache.live || !warned) telemetry.changesLost(error);
        warned = true;
        cache.lost();
      },
      live: () => {
        if (cache.live) return;
        cache.resumed();
        telemetry.changesHeard();
      },
    });
    this.#cache = cache;
    this.#cacheSubscription = subscription;
    cacheReadiness.set(
      this,
      subscription.ready.then(() => {
        // A second subscriber of a connection that listens already is not told again.
        if (subscription.live && !cache.live) cache.resumed();
      }),
    );
  }

  /** Runs one public operation: instrumented, and refused on a transaction's store once that transaction ended. */
  #operation<T>(
    name: SecretStoreOperation,
    work: (operationContext: Context) => Promise<T>,
    summarize?: ResultSummary<T>,
  ): Promise<T> {
    const { telemetry } = this.#core;
    if (this.#core.closed) {
      return telemetry.instrument(name, () => Promise.reject(new TransactionClosedError(name)), summarize);
    }
    return telemetry.instrument(name, work, summarize);
  }

  /** A read of values: after the key check (once per store), and attempted again after a lost connection. */
  #read<T>(work: () => Promise<T>): Promise<T> {
    const checking = this.#core.keyCheck.beforeRead(this.#repository);
    if (checking !== undefined) return checking.then(() => this.#read(work));
    return readWithRetry(this.#core.retry, work);
  }

  /** A read that decrypts nothing, so needs no key check. */
  #readMetadata<T>(work: () => Promise<T>): Promise<T> {
    return readWithRetry(this.#core.retry, work);
  }

  /**
   * A write: after the key check (and the active key's fingerprint recorded, once per store), sent by the
   * retry policy. Inside a transaction a lost connection rolls the whole transaction back: nothing to look
   * for or send again.
   */
  async #write<T>(operation: string, key: string | undefined, send: () => Promise<T>, afterLoss: LostWrite<T>) {
    const core = this.#core;
    await core.keyCheck.beforeWrite(this.#repository, core.inTransaction);
    if (core.inTransaction) return send();
    return sendWrite(core.retry, operation, key, send, afterLoss);
  }

  /**
   * Whether writes whose connection was lost landed: each commits with its audit record, so the records of
   * these ids are there exactly when the writes are. `result` makes the operation's result from them.
   */
  #landedBy<T>(
    entries: readonly AuditEntry[],
    result: (records: AuditRecord[]) => T | Promise<T>,
  ): () => Promise<T | undefined> {
    return async () => {
      try {
        const records = await this.#readMetadata(() => this.#repository.findAuditRecords(entries.map(({ id }) => id)));
        return records.length === entries.length ? await result(records) : undefined;
      } catch {
        // No answer is no proof: the write's outcome stays unknown.
        return undefined;
      }
    };
  }

  /**
   * Awaits a write of `keys` ('all': keys it cannot name), then tells the cache: the changes `made` reports
   * when it succeeded, else (failed, its outcome perhaps unknown) that those keys must be read afresh. In a
   * transaction the keys are noted, and the cache drops them when the transaction ends.
   */
  async #afterWriting<T>(
    keys: readonly string[] | 'all',
    writing: Promise<T>,
    made?: (result: T) => SecretChange[],
  ): Promise<T> {
    let result: T;
    try {
      result = await writing;
    } catch (error) {
      this.#wrote(keys, undefined);
      throw error;
    }
    this.#wrote(keys, made?.(result));
    return result;
  }

  #wrote(keys: readonly string[] | 'all', changes: SecretChange[] | undefined): void {
    const { scope } = this.#core;
    if (scope !== undefined) {
      if (keys === 'all' || scope.touched === 'all') scope.touched = 'all';
      else for (const key of keys) scope.touched.add(key);
      return;
    }
    const cache = this.#cache;
    if (cache === undefined) return;
    if (changes !== undefined) cache.changed(changes);
    else if (keys === 'all') cache.clear();
    else cache.forget(keys);
  }

  /** A new audit record of this store's, signed under the active key (a plain hash without a keyring). */
  #audit(operation: AuditOperation, key: string | null, writeId: string | null, actor: string | undefined): AuditEntry {
    return auditEntry(this.#core.codec.auditMac, operation, key, writeId, actorOf(actor));
  }

  /** The key and value checks of a write, returning the value's JSON text. */
  #secretJson(key: string, value: unknown): string {
    assertValidKey(key);
    return toSecretJson(key, value, this.#core.limits);
  }

  /** Validates and encodes a value for storage, bound to a new write: the one path every write of a value takes. */
  #encodeForWrite(key: string, value: unknown): WrittenValue {
    const json = this.#secretJson(key, value);
    const writeId = newWriteId();
    return { ...this.#core.codec.encode(key, json, writeId), writeId };
  }

  /** Counts (or, with rejectExpired, refuses) secrets past their expiresAt. */
  #checkExpiry(operation: SecretStoreOperation, records: readonly { key: string; expiresAt?: Date | null }[]): void {
    const { lifecycle, telemetry } = this.#core;
    const now = Date.now();
    const expired = records.filter(({ expiresAt }) => expiresAt != null && expiresAt.getTime() <= now);
    if (expired.length > 0) {
      telemetry.expiredRead(operation, expired.length, lifecycle.rejectExpired);
      if (lifecycle.rejectExpired) throw new SecretExpiredError(expired[0].key, expired[0].expiresAt as Date);
    }
  }

  /**
   * What every read of values does after reading: checks expiry, and records the read in the audit trail when
   * the store audits reads.
   */
  async #afterRead(
    operation: SecretStoreOperation,
    records: readonly { key: string; version: number; expiresAt?: Date | null }[],
    audited: { key: string | null; keys: readonly string[] },
  ): Promise<void> {
    const { lifecycle } = this.#core;
    this.#checkExpiry(operation, records);
    if (lifecycle.auditReads) {
      const entry = this.#audit('read', audited.key, null, undefined);
      await this.#repository.appendAuditRecord(
        entry,
        records.map(({ version }) => version),
        audited.keys,
      );
    }
  }

  /** The stored record of one key, after the checks every read of a value makes. */
  async #readRecord(operation: SecretStoreOperation, schema: unknown, key: unknown): Promise<SecretRecord | undefined> {
    assertSchema(schema);
    assertValidKey(key);
    const record = await this.#read(() => this.#repository.getSecret(key));
    await this.#afterRead(operation, record ? [record] : [], { key, keys: [] });
    return record;
  }

  /** A record as the cache holds it: decrypted, parsed and frozen, once. */
  #toCached(record: SecretValueRecord): CachedSecret {
    const { key, version, expiresAt } = record;
    return { key, value: deepFreeze(plaintextOf(this.#core.codec, record).value), version, expiresAt };
  }

  /**
   * One key's secret through the cache: served when cached, else read and stored (unless a change raced the
   * read). When the database cannot be reached, within staleIfErrorMillis, what the cache held.
   */
  async #cachedSecret(
    cache: SecretCache,
    operation: SecretStoreOperation,
    schema: unknown,
    key: unknown,
  ): Promise<CachedSecret | undefined> {
    assertSchema(schema);
    assertValidKey(key);
    const { telemetry } = this.#core;
    const hit = cache.get(key);
    if (hit !== undefined) {
      telemetry.cacheLookups(operation, 'hit');
      if (hit.secret?.expiresAt) this.#checkExpiry(operation, [hit.secret]);
      return hit.secret;
    }
    telemetry.cacheLookups(operation, 'miss');
    const ticket = cache.ticket();
    let record: SecretRecord | undefined;
    try {
      record = await this.#read(() => this.#repository.getSecret(key));
    } catch (error) {
      const stale = isUnreachable(error) ? cache.staleKey(key) : undefined;
      if (stale === undefined) throw error;
      telemetry.cacheLookups(operation, 'stale');
      if (stale.secret) this.#checkExpiry(operation, [stale.secret]);
      return stale.secret;
    }
    const secret = record && this.#toCached(record);
    cache.store(key, secret, ticket);
    if (secret) this.#checkExpiry(operation, [secret]);
    return secret;
  }

  /** The secrets of those keys through the cache, ordered by key: only the keys it does not hold are read. */
  async #cachedSecrets(
    cache: SecretCache,
    operation: SecretStoreOperation,
    keys: readonly string[],
  ): Promise<CachedSecret[]> {
    const { telemetry } = this.#core;
    const found: CachedSecret[] = [];
    const misses: string[] = [];
    for (const key of keys) {
      const hit = cache.get(key);
      if (hit === undefined) misses.push(key);
      else if (hit.secret !== undefined) found.push(hit.secret);
    }
    telemetry.cacheLookups(operation, 'hit', keys.length - misses.length);
    telemetry.cacheLookups(operation, 'miss', misses.length);
    if (misses.length > 0) {
      const ticket = cache.ticket();
      let records: SecretValueRecord[] | undefined;
      try {
        records = await this.#read(() => this.#repository.getSecretsByKeys(misses));
      } catch (error) {
        const stale = isUnreachable(error) ? misses.map((key) => cache.staleKey(key)) : [undefined];
        if (stale.some((entry) => entry === undefined)) throw error;
        telemetry.cacheLookups(operation, 'stale', stale.length);
        for (const entry of stale) if (entry?.secret) found.push(entry.secret);
      }
      if (records !== undefined) {
        const byKey = new Map(records.map((record) => [record.key, record]));
        for (const key of misses) {
          const record = byKey.get(key);
          const secret = record && this.#toCached(record);
          cache.store(key, secret, ticket);
          if (secret) found.push(secret);
        }
      }
    }
    found.sort((a, b) => compareKeys(a.key, b.key));
    this.#checkExpiry(operation, found);
    return found;
  }

  /** A prefix's secrets through the cache, ordered by key. */
  async #cachedList(cache: SecretCache, operation: SecretStoreOperation, prefix: string): Promise<CachedSecret[]> {
    const { telemetry } = this.#core;
    const listed = cache.getList(prefix);
    if (listed !== undefined) {
      telemetry.cacheLookups(operation, 'hit');
      this.#checkExpiry(operation, listed);
      return listed;
    }
    telemetry.cacheLookups(operation, 'miss');
    const ticket = cache.ticket();
    let secrets: CachedSecret[];
    try {
      const records = await this.#read(() => this.#repository.listSecretsByPrefix(prefix));
      secrets = records.map((record) => this.#toCached(record));
      cache.storeList(prefix, secrets, ticket);
    } catch (error) {
      const stale = isUnreachable(error) ? cache.staleList(prefix) : undefined;
      if (stale === undefined) throw error;
      telemetry.cacheLookups(operation, 'stale');
      secrets = stale;
    }
    this.#checkExpiry(operation, secrets);
    return secrets;
  }

  /**
   * The answer of a read the cache holds, without a turn of the event loop: undefined when it does not hold it
   * (then the read takes the full path, which validates its arguments; what the cache holds was validated).
   */
  #fromCache<T>(
    operation: SecretStoreOperation,
    lookup: (cache: SecretCache) => { secrets: readonly CachedSecret[]; lookups?: number } | undefined,
    answer: (secrets: readonly CachedSecret[]) => T | Promise<T>,
    summarize?: ResultSummary<T>,
  ): Promise<T> | undefined {
    const cache = this.#cache;
    if (cache === undefined) return undefined;
    const held = lookup(cache);
    if (held === undefined) return undefined;
    return this.#core.telemetry.instrumentCacheHit(
      operation,
      () => {
        this.#checkExpiry(operation, held.secrets);
        return answer(held.secrets);
      },
      summarize,
      held.lookups,
    );
  }

  /** Every key's cached secret, in key order, when the cache holds every one of them (a miss it remembers included). */
  static #heldKeys(
    cache: SecretCache,
    keys: readonly string[],
  ): { secrets: readonly CachedSecret[]; lookups: number } | undefined {
    const secrets: CachedSecret[] = [];
    const seen = new Set<string>();
    for (const key of keys) {
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = typeof key === 'string' ? cache.get(key) : undefined;
      if (entry === undefined) return undefined;
      if (entry.secret !== undefined) secrets.push(entry.secret);
    }
    if (secrets.length > 1) secrets.sort((a, b) => compareKeys(a.key, b.key));
    return { secrets, lookups: seen.size };
  }

  /** A key's cached lookup as a list: empty for a miss the cache remembers. */
  static #heldKey(cache: SecretCache, key: string): { secrets: readonly CachedSecret[] } | undefined {
    const entry = typeof key === 'string' ? cache.get(key) : undefined;
    if (entry === undefined) return undefined;
    return { secrets: entry.secret === undefined ? [] : [entry.secret] };
  }

  /** The secret's value parsed by `schema`, or undefined when the key does not exist or is deleted. */
  getSecret<T>(schema: SecretSchema<T>, key: string): Promise<T | undefined> {
    const held = this.#fromCache(
      'getSecret',
      (cache) => SecretStore.#heldKey(cache, key),
      ([secret]): T | Promise<T> | undefined => {
        assertSchema(schema);
        return secret === undefined ? undefined : parseWithSchema(schema, key, secret.value);
      },
      foundOrNot,
    );
    if (held !== undefined) return held;
    return this.#operation(
      'getSecret',
      async () => {
        const cache = this.#cache;
        if (cache !== undefined) {
          const secret = await this.#cachedSecret(cache, 'getSecret', schema, key);
          return secret === undefined ? undefined : parseWithSchema(schema, key, secret.value);
        }
        const record = await this.#readRecord('getSecret', schema, key);
        return record === undefined ? undefined : decodeRecord(this.#core.codec, schema, record);
      },
      foundOrNot,
    );
  }

  /** Like getSecret, but a missing key throws SecretNotFoundError. */
  getSecretOrThrow<T>(schema: SecretSchema<T>, key: string): Promise<T> {
    const held = this.#fromCache(
      'getSecretOrThrow',
      (cache) => SecretStore.#heldKey(cache, key),
      ([secret]) => {
        assertSchema(schema);
        if (secret === undefined) throw new SecretNotFoundError(key);
        return parseWithSchema(schema, key, secret.value);
      },
    );
    if (held !== undefined) return held;
    return this.#operation('getSecretOrThrow', async () => {
      const cache = this.#cache;
      if (cache !== undefined) {
        const secret = await this.#cachedSecret(cache, 'getSecretOrThrow', schema, key);
        if (secret === undefined) throw new SecretNotFoundError(key);
        return parseWithSchema(schema, key, secret.value);
      }
      const record = await this.#readRecord('getSecretOrThrow', schema, key);
      if (record === undefined) throw new SecretNotFoundError(key);
      return decodeRecord(this.#core.codec, schema, record);
    });
  }

  /** Throws what setSecret would throw for this key and value (with this store's limits), writing nothing. */
  validateSecret(key: string, value: unknown): void {
    if (this.#core.closed) throw new TransactionClosedError('validateSecret');
    this.#secretJson(key, value);
  }

  /**
   * Creates or replaces a secret and resolves the version it wrote; the value it replaces stays as an older
   * version. The value must be an object or array that survives a JSON round trip. With `ifVersion`, writes
   * only if the stored version is that one (0: only if the secret is absent); otherwise
   * SecretVersionConflictError with the current version. `metadata` is applied with the write.
   */
  setSecret<T extends object>(key: string, value: T, options?: SetSecretOptions): Promise<{ version: number }> {
    return this.#operation('setSecret', async () => {
      const { ifVersion, metadata, actor } = optionsObject('options', options);
      const expected = ifVersionArgument(ifVersion);
      const patch = metadata === undefined ? undefined : toMetadataPatch('metadata', metadata);
      const written = this.#encodeForWrite(key, value);
      return this.#writeValue(key, written, 'set', expected, patch, actorArgument(actor));
    });
  }

  /**
   * Writes one new version of a value. Unconditional, it is sent again after a lost connection when its
   * record shows it did not land. A compare-and-set write is never sent twice once it may have reached the
   * server: found, it succeeded; not found, SecretWriteOutcomeUnknownError, and the caller reads and decides.
   */
  async #writeValue(
    key: string,
    value: WrittenValue,
    operation: 'set' | 'restore',
    ifVersion: number | undefined,
    metadata: SecretMetadataPatch | undefined,
    actor: string | undefined,
  ): Promise<{ version: number }> {
    const audit = this.#audit(operation, key, value.writeId, actor);
    const options = { ifVersion, metadata, maxVersions: this.#core.lifecycle.maxVersions, operation, audit };
    const written = await this.#afterWriting(
      [key],
      this.#write('Writing secret', key, () => this.#repository.writeSecret(key, value, options), {
        landed: this.#landedBy([audit], ([record]) => ({ version: record.versions[0] })),
        resendAfterLoss: ifVersion === undefined,
      }),
      (result) => (result === undefined ? [] : [{ key, version: result.version, operation: 'set' }]),
    );
    if (written) return written;
    const current = await this.#readMetadata(() => this.#repository.getSecretMetadata(key));
    const currentVersion = current === undefined || current.deletedAt !== null ? 0 : current.version;
    throw new SecretVersionConflictError(key, ifVersion as number, currentVersion);
  }

  /**
   * Creates or replaces many secrets in one statement and one round trip, atomically: every value is
   * validated and encrypted first, and any bad entry (or a key given twice) writes nothing.
   */
  setSecrets(
    entries: readonly SecretEntry<object>[],
    options?: ActorOption,
  ): Promise<{ key: string; version: number }[]> {
    return this.#operation(
      'setSecrets',
      async () => {
        if (!Array.isArray(entries)) throw new InvalidArgumentError('entries', 'must be an array of { key, value }');
        const actor = actorArgument(optionsObject('options', options).actor);
        const seen = new Set<string>();
        const encoded: BulkEntry[] = entries.map((entry: SecretEntry<object>) => {
          if (seen.has(entry?.key)) throw new InvalidSecretKeyError(entry.key, 'appears twice in one setSecrets call');
          const value = this.#encodeForWrite(entry?.key, entry?.value);
          seen.add(entry.key);
          return { key: entry.key, value, audit: this.#audit('set-many', entry.key, value.writeId, actor) };
        });
        if (encoded.length === 0) return [];
        const landed = (records: AuditRecord[]) =>
          records
            .map(({ key, versions }) => ({ key: key as string, version: versions[0] }))
            .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        // One statement, all or none: if the lost attempt landed, every record is there.
        return this.#afterWriting(
          encoded.map(({ key }) => key),
          this.#write(
            `Writing ${encoded.length} secrets`,
            undefined,
            () => this.#repository.upsertSecrets(encoded, this.#core.lifecycle.maxVersions),
            {
              landed: this.#landedBy(
                encoded.map(({ audit }) => audit),
                landed,
              ),
              resendAfterLoss: true,
            },
          ),
          (versions) => versions.map(({ key, version }) => ({ key, version, operation: 'set' as const })),
        );
      },
      countResults,
    );
  }

  /** The value with its version and timestamps, or undefined when the key does not exist or is deleted. */
  getSecretWithMetadata<T>(schema: SecretSchema<T>, key: string): Promise<SecretWithMetadata<T> | undefined> {
    return this.#operation(
      'getSecretWithMetadata',
      async () => {
        const record = await this.#readRecord('getSecretWithMetadata', schema, key);
        if (record === undefined) return undefined;
        const { version, createdAt, updatedAt } = record;
        return { value: await decodeRecord(this.#core.codec, schema, record), version, createdAt, updatedAt };
      },
      foundOrNot,
    );
  }

  /**
   * Soft-deletes a secret: it reads as missing and leaves every listing, and its versions stay, so that
   * undeleteSecret brings it back. True when it was there. destroySecret erases values for good.
   */
  deleteSecret(key: string, options?: ActorOption): Promise<boolean> {
    return this.#operation(
      'deleteSecret',
      async () => {
        assertValidKey(key);
        const audit = this.#audit('delete', key, null, actorArgument(optionsObject('options', options).actor));
        // Sent again after a lost acknowledgement, a delete could not say whether it deleted: never resent.
        return this.#afterWriting(
          [key],
          this.#write('Deleting secret', key, () => this.#repository.deleteSecret(key, audit), {
            landed: this.#landedBy([audit], () => true),
            resendAfterLoss: false,
          }),
        );
      },
      deletedOrNot,
    );
  }

  /** Brings a deleted secret back with its latest version as it was. True when it was deleted. */
  undeleteSecret(key: string, options?: ActorOption): Promise<boolean> {
    return this.#operation(
      'undeleteSecret',
      async () => {
        assertValidKey(key);
        const audit = this.#audit('undelete', key, null, actorArgument(optionsObject('options', options).actor));
        return this.#afterWriting(
          [key],
          this.#write('Undeleting secret', key, () => this.#repository.undeleteSecret(key, audit), {
            landed: this.#landedBy([audit], () => true),
            resendAfterLoss: false,
          }),
        );
      },
      deletedOrNot,
    );
  }

  /**
   * Erases the values of those versions for good (every version, and the secret itself, when `versions` is
   * left out), keeping the records that they existed. Resolves the versions it erased; a destroyed current
   * version leaves the secret reading as missing.
   */
  destroySecret(key: string, options?: DestroySecretOptions): Promise<{ destroyed: number[] }> {
    return this.#operation('destroySecret', async () => {
      assertValidKey(key);
      const { versions, actor } = optionsObject('options', options);
      const chosen = versionsArgument(versions);
      const audit = this.#audit('destroy', key, null, actorArgument(actor));
      const destroyed = await this.#afterWriting(
        [key],
        this.#write('Destroying secret', key, () => this.#repository.destroySecretVersions(key, chosen, audit), {
          landed: this.#landedBy([audit], ([record]) => record.versions),
          resendAfterLoss: false,
        }),
      );
      return { destroyed };
    });
  }

  /** Removes for good, with every version, the secrets deleted at least `olderThan` milliseconds ago. */
  purgeDeletedSecrets(options: PurgeDeletedSecretsOptions): Promise<{ purged: string[] }> {
    return this.#operation('purgeDeletedSecrets', async () => {
      const { olderThan, actor } = optionsObject('options', options);
      // The server keeps microseconds: one millisecond more keeps a delete made this very millisecond in range.
      const deletedBefore = new Date(Date.now() - windowArgument('olderThan', olderThan) + 1);
      const audit = this.#audit('purge', null, null, actorArgument(actor));
      const purged = await this.#afterWriting(
        'all',
        this.#write(
          'Purging deleted secrets',
          undefined,
          () => this.#repository.purgeDeletedSecrets(deletedBefore, audit),
          { landed: this.#landedBy([audit], ([record]) => record.keys), resendAfterLoss: false },
        ),
      );
      return { purged };
    });
  }

  /** Every secret whose key starts with `keyPrefix` (literally: % and _ are plain characters), ordered by key. */
  getSecrets<T>(schema: SecretSchema<T>, keyPrefix: string): Promise<SecretEntry<T>[]> {
    const held = this.#fromCache(
      'getSecrets',
      (cache) => {
        const secrets = typeof keyPrefix === 'string' ? cache.getList(keyPrefix) : undefined;
        return secrets && { secrets };
      },
      (secrets) => {
        assertSchema(schema);
        return parsedEntries(schema, secrets);
      },
      countResults,
    );
    if (held !== undefined) return held;
    return this.#operation(
      'getSecrets',
      async () => {
        assertSchema(schema);
        assertValidPrefix(keyPrefix);
        const cache = this.#cache;
        if (cache !== undefined) return parsedEntries(schema, await this.#cachedList(cache, 'getSecrets', keyPrefix));
        const records = await this.#read(() => this.#repository.listSecretsByPrefix(keyPrefix));
        await this.#afterRead('getSecrets', records, { key: null, keys: records.map(({ key }) => key) });
        return decodeRecords(this.#core.codec, schema, records);
      },
      countResults,
    );
  }

  /**
   * A page of secrets' metadata, in key order, reading no value: `next` is there when more follow (pass it as
   * `after`). Deleted secrets are left out unless `includeDeleted`.
   */
  listSecrets(options?: ListSecretsOptions): Promise<{ secrets: SecretMetadata[]; next?: string }> {
    return this.#operation(
      'listSecrets',
      async () => {
        const { prefix, after, limit, includeDeleted } = listSecretsArguments(options);
        const rows = await this.#readMetadata(() =>
          this.#repository.listSecretMetadata({ prefix, after, limit: limit + 1, includeDeleted }),
        );
        const secrets = rows.slice(0, limit);
        return rows.length > limit ? { secrets, next: secrets[secrets.length - 1].key } : { secrets };
      },
      (page, span) => countResults(page.secrets, span),
    );
  }

  /** A secret's metadata, deleted or not (then `deletedAt` is set); undefined when it does not exist. */
  getSecretMetadata(key: string): Promise<SecretMetadata | undefined> {
    return this.#operation(
      'getSecretMetadata',
      async () => {
        assertValidKey(key);
        return this.#readMetadata(() => this.#repository.getSecretMetadata(key));
      },
      foundOrNot,
    );
  }

  /**
   * Changes a secret's metadata as JSON Merge Patch: a field left out is kept, `null` removes it, and tags
   * merge (a tag set to null is removed). Never changes the value or its version. Resolves the metadata it
   * now has; SecretNotFoundError for a missing or deleted secret; SecretVersionConflictError when `ifVersion`
   * is not its version.
   */
  updateSecretMetadata(
    key: string,
    patch: SecretMetadataPatch,
    options?: UpdateSecretMetadataOptions,
  ): Promise<SecretMetadata> {
    return this.#operation('updateSecretMetadata', async () => {
      assertValidKey(key);
      const checked = toMetadataPatch('patch', patch);
      const { ifVersion, actor } = optionsObject('options', options);
      const expected = ifVersionArgument(ifVersion);
      const audit = this.#audit('update-metadata', key, null, actorArgument(actor));
      const updated = await this.#afterWriting(
        [key],
        this.#write(
          'Updating secret metadata',
          key,
          () => this.#repository.updateSecretMetadata(key, checked, expected, audit),
          {
            landed: this.#landedBy([audit], () => this.#repository.getSecretMetadata(key)),
            resendAfterLoss: expected === undefined,
          },
        ),
      );
      if (updated) return updated;
      const current = await this.#readMetadata(() => this.#repository.getSecretMetadata(key));
      if (current === undefined || current.deletedAt !== null) throw new SecretNotFoundError(key);
      throw new SecretVersionConflictError(key, expected as number, current.version);
    });
  }

  /**
   * The secrets (not deleted) whose expiresAt or rotateAfter falls within `within` milliseconds from now, or
   * has passed: one entry per date, soonest first.
   */
  listSecretsDue(options?: ListSecretsDueOptions): Promise<DueRecord[]> {
    return this.#operation(
      'listSecretsDue',
      async () => {
        const { within = 0 } = optionsObject('options', options);
        const until = new Date(Date.now() + windowArgument('within', within));
        return this.#readMetadata(() => this.#repository.listSecretsDue(until));
      },
      countResults,
    );
  }

  /** The value of one version, or undefined when it does not exist, was destroyed, or is no longer kept. */
  getSecretVersion<T>(schema: SecretSchema<T>, key: string, version: number): Promise<T | undefined> {
    return this.#operation(
      'getSecretVersion',
      async () => {
        assertSchema(schema);
        assertValidKey(key);
        const wanted = versionArgument('version', version);
        const record = await this.#read(() => this.#repository.getSecretVersion(key, wanted));
        if (this.#core.lifecycle.auditReads)
          await this.#afterRead('getSecretVersion', record ? [record] : [], { key, keys: [] });
        return record === undefined
          ? undefined
          : parseWithSchema(schema, key, plaintextOf(this.#core.codec, record).value);
      },
      foundOrNot,
    );
  }

  /** Every kept version of a secret, newest first, without values; empty when it has none. */
  listSecretVersions(key: string): Promise<SecretVersionInfo[]> {
    return this.#operation(
      'listSecretVersions',
      async () => {
        assertValidKey(key);
        return this.#readMetadata(() => this.#repository.listSecretVersions(key));
      },
      countResults,
    );
  }

  /**
   * Writes the value of an older version as a new version: a rollback that keeps history. Undeletes a deleted
   * secret. SecretVersionNotFoundError when that version has no value (never written, destroyed, or no longer
   * kept); `ifVersion` as setSecret's.
   */
  restoreSecretVersion(
    key: string,
    version: number,
    options?: RestoreSecretVersionOptions,
  ): Promise<{ version: number }> {
    return this.#operation('restoreSecretVersion', async () => {
      assertValidKey(key);
      const wanted = versionArgument('version', version);
      const { ifVersion, actor } = optionsObject('options', options);
      const expected = ifVersionArgument(ifVersion);
      const checkedActor = actorArgument(actor);
      const record = await this.#read(() => this.#repository.getSecretVersion(key, wanted));
      if (record === undefined) throw new SecretVersionNotFoundError(key, wanted);
      // Decrypted and encrypted again: the restored value is bound to its new write, under the active key.
      const { json } = plaintextOf(this.#core.codec, record);
      const writeId = newWriteId();
      const written = { ...this.#core.codec.encode(key, json, writeId), writeId };
      return this.#writeValue(key, written, 'restore', expected, undefined, checkedActor);
    });
  }

  /** How many kept versions each encoding and key id holds: what rotation has left to do, and which keys are in use. */
  encryptionUsage(): Promise<EncryptionUsage[]> {
    return this.#operation(
      'encryptionUsage',
      () => this.#readMetadata(() => this.#repository.countSecretsByEncryption()),
      countResults,
    );
  }

  /**
   * Compares the keyring with the key fingerprints the database records, without reading any value: which
   * key ids are recorded, not yet recorded, mismatched (another key under a known id: this store refuses to
   * read or write), or missing from the keyring. Ordered by key id.
   */
  checkEncryptionKeys(): Promise<EncryptionKeyCheck[]> {
    return this.#operation(
      'checkEncryptionKeys',
      () => this.#readMetadata(() => this.#core.keyCheck.compare(this.#repository)),
      countResults,
    );
  }

  /** The secrets of those keys that exist and are not deleted, ordered by key; duplicates count once. */
  getSecretsByKeys<T>(schema: SecretSchema<T>, keys: readonly string[]): Promise<SecretEntry<T>[]> {
    const held = this.#fromCache(
      'getSecretsByKeys',
      (cache) => (Array.isArray(keys) && keys.length > 0 ? SecretStore.#heldKeys(cache, keys) : undefined),
      (secrets) => {
        assertSchema(schema);
        return parsedEntries(schema, secrets);
      },
      countResults,
    );
    if (held !== undefined) return held;
    return this.#operation(
      'getSecretsByKeys',
      async () => {
        assertSchema(schema);
        if (!Array.isArray(keys)) throw new InvalidArgumentError('keys', 'must be an array of keys');
        keys.forEach((key) => assertValidKey(key));
        const unique = [...new Set(keys)];
        if (unique.length === 0) return [];
        const cache = this.#cache;
        if (cache !== undefined) {
          return parsedEntries(schema, await this.#cachedSecrets(cache, 'getSecretsByKeys', unique));
        }
        const records = await this.#read(() => this.#repository.getSecretsByKeys(unique));
        await this.#afterRead('getSecretsByKeys', records, { key: null, keys: records.map(({ key }) => key) });
        return decodeRecords(this.#core.codec, schema, records);
      },
      countResults,
    );
  }

  /**
   * Runs `work` with `actor` as the actor of every change it makes (and of every audited read), in every store
   * of the process, unless a call names its own.
   */
  withActor<T>(actor: string, work: () => Promise<T>): Promise<T> {
    if (this.#core.closed) return Promise.reject(new TransactionClosedError('withActor'));
    const checked = actorArgument(actor);
    if (checked === undefined) return Promise.reject(new InvalidArgumentError('actor', 'is required'));
    return runWithActor(checked, work);
  }

  /** A page of the audit trail, oldest first: `next` is there when more follow (pass it as `after`). Never values. */
  readAuditTrail(options?: ReadAuditTrailOptions): Promise<{ records: AuditTrailRecord[]; next?: number }> {
    return this.#operation(
      'readAuditTrail',
      async () => {
        const { key, after, limit } = readAuditTrailArguments(options);
        const rows = await this.#readMetadata(() =>
          this.#repository.readAuditRecords({ key, afterSeq: after, limit: limit + 1 }),
        );
        const records = rows.slice(0, limit).map(toTrailRecord);
        return rows.length > limit ? { records, next: records[records.length - 1].seq } : { records };
      },
      (page, span) => countResults(page.records, span),
    );
  }

  /**
   * Checks the audit trail (see the README's threat model for what it finds): `ok`, how many records it
   * checked, and the first problem. Needs the keys that signed records no checkpoint seals yet.
   */
  verifyAuditTrail(options?: VerifyAuditTrailOptions): Promise<AuditTrailVerification> {
    return this.#operation('verifyAuditTrail', async () => {
      const head = headArgument(optionsObject('options', options).head);
      return verifyAuditTrail(this.#core.codec, this.#repository, head);
    });
  }

  /**
   * Seals every record no checkpoint seals yet, after checking each (AuditTrailInvalidError if one does not
   * verify), and resolves the head of the sealed trail: keep it outside the database and pass it to
   * verifyAuditTrail to detect records removed from the end.
   */
  sealAuditTrail(): Promise<AuditTrailHead> {
    return this.#operation('sealAuditTrail', () =>
      this.#inOneTransaction((repository) => sealAuditTrail(this.#core.codec, repository)),
    );
  }

  /**
   * Runs `work` in a transaction of its own, or in the one this store is part of. Over a single connection the
   * caller manages, the store cannot begin one: `work` runs on that connection, in the caller's transaction.
   */
  async #inOneTransaction<T>(work: (repository: SecretStoreRepository) => Promise<T>): Promise<T> {
    if (this.#core.inTransaction) return work(this.#repository);
    let began = false;
    try {
      return await this.#repository.transaction((repository) => {
        began = true;
        return work(repository);
      });
    } catch (error) {
      if (began || !(error instanceof TransactionUnsupportedError)) throw error;
      return work(this.#repository);
    }
  }

  /**
   * Runs `work` with a store whose operations share one transaction: committed when `work` resolves, rolled
   * back when it throws. That store refuses every call once the transaction has ended (TransactionClosedError).
   * Needs a store built over a pool or PGlite; over a connection the caller manages, the caller's own
   * BEGIN/COMMIT already covers the store's operations.
   */
  transaction<T>(work: (store: SecretStore) => Promise<T>): Promise<T> {
    return this.#operation('transaction', async (transactionContext) => {
      const scope: TransactionScope = { open: true, touched: new Set() };
      const telemetry = this.#core.telemetry.inTransaction(transactionContext);
      try {
        return await this.#repository.transaction((repository) =>
          work(secretStoreOver(repository, this.#core.forTransaction(telemetry, scope))),
        );
      } finally {
        // A store kept past its transaction would otherwise write outside it, or inside someone else's.
        scope.open = false;
        // Committed or not (a lost COMMIT may have landed), what it wrote is read afresh.
        if (scope.touched === 'all') this.#cache?.clear();
        else if (scope.touched.size > 0) this.#cache?.forget([...scope.touched]);
      }
    });
  }

  /**
   * Re-encrypts, batch by batch, every kept version not under the active key: versions under other keys,
   * plaintext ones and ones imported from trigger.dev. A version is rewritten only if it is unchanged since it
   * was read, so a concurrent write is never overwritten with older data; versions and times stay as they are.
   * Then seals the audit trail and signs its checkpoints again under the active key, so that an old key can
   * leave the keyring once a run scans nothing. Safe to run again: it picks up whatever is left.
   */
  rotateEncryptionKeys(options: RotationOptions = {}): Promise<RotationResult> {
    return this.#operation(
      'rotateEncryptionKeys',
      () => rotateEncryptionKeys(this.#core, this.#repository, options, (work) => this.#inOneTransaction(work)),
      summarizeRotation,
    );
  }

  /**
   * Calls `listener` with every committed change of a secret (whose key starts with `prefix`), made by
   * whichever process: `{ type: 'change', key, version, operation }`, after commit, never a value. When changes
   * may have been missed (the listening connection was lost and is back), `{ type: 'resync' }`: read afresh
   * what you depend on. Resolves, once listening was first attempted, to a function that stops the feed.
   * Needs a repository that can listen, as the cache does; the store's close() stops every feed.
   */
  async watch(options: WatchOptions, listener: (event: SecretChangeEvent) => void): Promise<() => Promise<void>> {
    if (this.#core.closed) throw new TransactionClosedError('watch');
    if (this.#closed) throw new SecretStoreConfigError('watch', 'is not available on a closed store');
    const { prefix = '' } = optionsObject('options', options);
    assertValidPrefix(prefix);
    if (typeof listener !== 'function') throw new InvalidArgumentError('listener', 'must be a function');
    if (this.#core.inTransaction) throw new InvalidArgumentError('watch', "is not available on a transaction's store");
    if (typeof this.#repository.subscribeToChanges !== 'function') {
      throw new SecretStoreConfigError('watch', 'needs a repository that reports changes (subscribeToChanges)');
    }
    const { telemetry } = this.#core;
    const deliver = (event: SecretChangeEvent) => {
      try {
        listener(event);
      } catch (error) {
        telemetry.watchListenerFailed(error);
      }
    };
    let missed = false;
    const subscription = this.#repository.subscribeToChanges({
      changes: (changes) => {
        for (const { key, version, operation } of changes) {
          if (key.startsWith(prefix)) deliver({ type: 'change', key, version, operation });
        }
      },
      lost: (error) => {
        // Said once per loss; a store with a cache says it already.
        if (!missed && this.#cache === undefined) telemetry.changesLost(error);
        missed = true;
      },
      live: () => {
        if (!missed) return;
        missed = false;
        deliver({ type: 'resync' });
      },
    });
    let stopped: Promise<void> | undefined;
    const stop = () => {
      this.#watches.delete(stop);
      return (stopped ??= subscription.unsubscribe());
    };
    this.#watches.add(stop);
    await subscription.ready;
    // Subscribed while the connection was down (others were told): what happens until it is back is missed.
    if (!subscription.live) missed = true;
    if (this.#closed) {
      await stop();
      throw new SecretStoreConfigError('watch', 'is not available on a closed store');
    }
    return stop;
  }

  /**
   * watch() as an async iterator: `for await (const event of store.changes({ prefix }))`. Events wait in a
   * buffer for a consumer that does not keep up; past 10,000 they are dropped for one resync. Ends when the
   * loop breaks, `signal` aborts, or the store closes.
   */
  async *changes(options: ChangesOptions = {}): AsyncGenerator<SecretChangeEvent, void, undefined> {
    const { signal, ...watchOptions } = optionsObject('options', options);
    if (signal?.aborted) return;
    const buffered: SecretChangeEvent[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const end = () => {
      ended = true;
      wake?.();
    };
    const stop = await this.watch(watchOptions, (event) => {
      if (buffered.length >= MAX_BUFFERED_CHANGES) buffered.splice(0, buffered.length, { type: 'resync' });
      else buffered.push(event);
      wake?.();
    });
    const stopAndEnd = async () => {
      end();
      await stop();
    };
    // The store's close() ends the iteration too; so does an abort or a close while it was starting.
    if (signal?.aborted || this.#closed) {
      await stop();
      return;
    }
    this.#watches.delete(stop);
    this.#watches.add(stopAndEnd);
    signal?.addEventListener('abort', end, { once: true });
    try {
      while (!ended) {
        const event = buffered.shift();
        if (event !== undefined) {
          yield event;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      signal?.removeEventListener('abort', end);
      this.#watches.delete(stopAndEnd);
      await stop();
    }
  }

  /** Where the store keeps its secrets and what it encrypts with: never key material. */
  describe(): StoreDescription {
    const { codec, limits, location } = this.#core;
    const description: StoreDescription = {
      location,
      keyring: codec.describe(),
      maxValueBytes: limits.maxValueBytes,
      maxDepth: limits.maxDepth,
    };
    if (this.#cache !== undefined) description.cache = this.#cache.describe();
    if (this.#core.replicas !== undefined) description.replicas = this.#core.replicas();
    return description;
  }

  /** The keyring (ids only) and limits, flat, as logs print them. */
  toJSON(): Record<string, unknown> {
    const { keyring, maxValueBytes, maxDepth } = this.describe();
    if (keyring.encryption === 'none') return { ...keyring, maxValueBytes, maxDepth };
    const legacyTriggerDevKey = keyring.legacyTriggerDevKey ? '<configured>' : undefined;
    return { ...keyring, legacyTriggerDevKey, maxValueBytes, maxDepth };
  }

  [inspect.custom](): string {
    return `SecretStore ${inspect(this.toJSON())}`;
  }

  /** Releases what createSecretStore opened for this store (its pool, the embedded database); never a handle it was given. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#cache?.close();
    const subscription = this.#cacheSubscription;
    this.#cacheSubscription = undefined;
    const watches = [...this.#watches];
    this.#watches.clear();
    await Promise.all([subscription?.unsubscribe(), ...watches.map((end) => end())]);
    await this.#core.releaseOwned();
  }
}

export type { SecretEntry };
