import { inspect } from 'node:util';

import type { Context } from '@opentelemetry/api';

import type { StoreLocation } from '../database/database-target';
import type { KeyringDescription } from '../encryption/secret-codec';
import {
  InvalidArgumentError,
  InvalidSecretKeyError,
  SecretNotFoundError,
  SecretVersionConflictError,
  TransactionClosedError,
} from '../errors';
import { integerArgument } from '../whole-number';
import { toSecretJson } from './json-value';
import type { EncryptionKeyCheck } from './key-fingerprint-check';
import { assertValidKey, assertValidPrefix } from './key-names';
import { decodeRecord, decodeRecords, type SecretEntry } from './record-decoding';
import type { EncryptionUsage, SecretRecord } from './secret-record';
import type { SecretStoreRepository } from './secret-store-repository';
import { findLandedWrites, readWithRetry, sendWrite, type LostWrite } from './retry-policy';
import { rotateEncryptionKeys, type RotationOptions, type RotationResult } from './rotation';
import { assertSchema, type SecretSchema } from './schema';
import type { StoredValue } from './secret-record';
import type { SecretStoreOptions } from './secret-store-options';
import { StoreCore } from './store-core';
import {
  countResults,
  deletedOrNot,
  foundOrNot,
  summarizeRotation,
  type ResultSummary,
  type SecretStoreOperation,
} from './telemetry';

/** A secret's metadata, without its value. */
export interface SecretMetadata {
  key: string;
  version: number;
  encoding: SecretRecord['encoding'];
  keyId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface SetSecretOptions {
  /**
   * Compare-and-set: write only if the stored version is this one; 0 means only if the secret is absent.
   * A whole number from 0 to 2,147,483,647 (versions are 32-bit), else InvalidArgumentError.
   */
  ifVersion?: number;
}

export interface SecretWithMetadata<T> {
  value: T;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** What a store works with, for tools that report it: never key material. */
export interface StoreDescription {
  /** Where the secrets are, for a store made by createSecretStore; undefined for one built with `new`. */
  location: StoreLocation | undefined;
  keyring: KeyringDescription;
  maxValueBytes: number;
  maxDepth: number;
}

/** The largest version a secret can have: the column is a 32-bit integer. */
export const MAX_VERSION = 2_147_483_647;

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

/**
 * Key → JSON secrets with typed reads. Semantics follow trigger.dev's SecretStore: a missing key reads as
 * undefined, getSecretOrThrow throws SecretNotFoundError, setSecret upserts an object.
 */
export class SecretStore {
  readonly #repository: SecretStoreRepository;
  readonly #core: StoreCore;

  /** Every setting is validated here: a configuration error is thrown by the constructor, never later. */
  constructor(repository: SecretStoreRepository, options: SecretStoreOptions = {}) {
    this.#repository = repository;
    this.#core = adopting ?? StoreCore.fromOptions(options);
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

  /** The versions these writes left, if every row holds its own write (see findLandedWrites). */
  #landed(
    sent: readonly { key: string; value: StoredValue }[],
  ): Promise<{ key: string; version: number }[] | undefined> {
    const { codec } = this.#core;
    if (!codec.identifiesWrites) return Promise.resolve(undefined);
    const read = (keys: string[]) =>
      this.#read(() => (keys.length === 1 ? this.#single(keys[0]) : this.#repository.getSecretsByKeys(keys)));
    return findLandedWrites(sent, read, (stored, written) => codec.isSameWrite(stored, written));
  }

  async #single(key: string): Promise<SecretRecord[]> {
    const record = await this.#repository.getSecret(key);
    return record ? [record] : [];
  }

  async #landedVersion(key: string, value: StoredValue): Promise<{ version: number } | undefined> {
    const landed = await this.#landed([{ key, value }]);
    return landed && { version: landed[0].version };
  }

  /** The key and value checks of a write, returning the value's JSON text. */
  #secretJson(key: string, value: unknown): string {
    assertValidKey(key);
    return toSecretJson(key, value, this.#core.limits);
  }

  /** Validates and encodes a value for storage: the one path every write takes. */
  #encodeForWrite(key: string, value: unknown): StoredValue {
    return this.#core.codec.encode(key, this.#secretJson(key, value));
  }

  /** The stored record of one key, after the checks every read of a value makes. */
  #readRecord(schema: unknown, key: unknown): Promise<SecretRecord | undefined> {
    assertSchema(schema);
    assertValidKey(key);
    return this.#read(() => this.#repository.getSecret(key));
  }

  /** The secret's value parsed by `schema`, or undefined when the key does not exist. */
  getSecret<T>(schema: SecretSchema<T>, key: string): Promise<T | undefined> {
    return this.#operation(
      'getSecret',
      async () => {
        const record = await this.#readRecord(schema, key);
        return record === undefined ? undefined : decodeRecord(this.#core.codec, schema, record);
      },
      foundOrNot,
    );
  }

  /** Like getSecret, but a missing key throws SecretNotFoundError. */
  getSecretOrThrow<T>(schema: SecretSchema<T>, key: string): Promise<T> {
    return this.#operation('getSecretOrThrow', async () => {
      const record = await this.#readRecord(schema, key);
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
   * Creates or replaces a secret and resolves the version it wrote. The value must be an object or array
   * that survives a JSON round trip. With `ifVersion`, writes only if the stored version is that one
   * (0: only if the secret does not exist yet); otherwise SecretVersionConflictError with the current version.
   */
  setSecret<T extends object>(key: string, value: T, options: SetSecretOptions = {}): Promise<{ version: number }> {
    return this.#operation('setSecret', async () => {
      const { ifVersion } = options ?? {};
      if (ifVersion !== undefined) integerArgument('ifVersion', ifVersion, 0, MAX_VERSION);
      const stored = this.#encodeForWrite(key, value);
      if (ifVersion === undefined) {
        return this.#write(
          'Writing secret',
          key,
          async () => ({ version: (await this.#repository.upsertSecret(key, stored)).version }),
          { landed: () => this.#landedVersion(key, stored), resendAfterLoss: true },
        );
      }
      return this.#compareAndSet(key, stored, ifVersion);
    });
  }

  /**
   * A compare-and-set write is never sent twice once it may have reached the server: if the connection is
   * lost after sending, the store reads the row, and succeeds only if the row holds this very write;
   * otherwise SecretWriteOutcomeUnknownError, and the caller reads and decides.
   */
  async #compareAndSet(key: string, stored: StoredValue, ifVersion: number): Promise<{ version: number }> {
    const written = await this.#write(
      'Writing secret',
      key,
      () => this.#repository.writeSecretIfVersion(key, stored, ifVersion),
      { landed: () => this.#landedVersion(key, stored), resendAfterLoss: false },
    );
    if (written) return { version: written.version };
    const current = await this.#read(() => this.#repository.getSecret(key));
    throw new SecretVersionConflictError(key, ifVersion, current?.version ?? 0);
  }

  /**
   * Creates or replaces many secrets in one statement and one round trip, atomically: every value is
   * validated and encrypted first, and any bad entry (or a key given twice) writes nothing.
   */
  setSecrets(entries: readonly SecretEntry<object>[]): Promise<{ key: string; version: number }[]> {
    return this.#operation(
      'setSecrets',
      async () => {
        if (!Array.isArray(entries)) throw new InvalidArgumentError('entries', 'must be an array of { key, value }');
        const seen = new Set<string>();
        const encoded = entries.map((entry: SecretEntry<object>) => {
          if (seen.has(entry?.key)) throw new InvalidSecretKeyError(entry.key, 'appears twice in one setSecrets call');
          const value = this.#encodeForWrite(entry?.key, entry?.value);
          seen.add(entry.key);
          return { key: entry.key, value };
        });
        // One statement, all or none: if the lost attempt landed, every row holds its own new ciphertext.
        return this.#write(
          `Writing ${encoded.length} secrets`,
          undefined,
          () => this.#repository.upsertSecrets(encoded),
          {
            landed: () => this.#landed(encoded),
            resendAfterLoss: true,
          },
        );
      },
      countResults,
    );
  }

  /** The value with its version and timestamps, or undefined when the key does not exist. */
  getSecretWithMetadata<T>(schema: SecretSchema<T>, key: string): Promise<SecretWithMetadata<T> | undefined> {
    return this.#operation(
      'getSecretWithMetadata',
      async () => {
        const record = await this.#readRecord(schema, key);
        if (record === undefined) return undefined;
        const { version, createdAt, updatedAt } = record;
        return { value: await decodeRecord(this.#core.codec, schema, record), version, createdAt, updatedAt };
      },
      foundOrNot,
    );
  }

  /** Deletes a secret; true when it existed. */
  deleteSecret(key: string): Promise<boolean> {
    return this.#operation(
      'deleteSecret',
      async () => {
        assertValidKey(key);
        // Sent again after a lost acknowledgement, a delete could not say whether it deleted: never resent.
        return this.#write('Deleting secret', key, () => this.#repository.deleteSecret(key), {
          resendAfterLoss: false,
        });
      },
      deletedOrNot,
    );
  }

  /** Every secret whose key starts with `keyPrefix` (literally: % and _ are plain characters), ordered by key. */
  getSecrets<T>(schema: SecretSchema<T>, keyPrefix: string): Promise<SecretEntry<T>[]> {
    return this.#operation(
      'getSecrets',
      async () => {
        assertSchema(schema);
        assertValidPrefix(keyPrefix);
        const records = await this.#read(() => this.#repository.listSecretsByPrefix(keyPrefix));
        return decodeRecords(this.#core.codec, schema, records);
      },
      countResults,
    );
  }

  /** Keys, versions and times of the secrets under `keyPrefix`, ordered by key; values are neither read nor decrypted. */
  listSecrets(keyPrefix: string): Promise<SecretMetadata[]> {
    return this.#operation(
      'listSecrets',
      async () => {
        assertValidPrefix(keyPrefix);
        const records = await this.#readMetadata(() => this.#repository.listSecretsByPrefix(keyPrefix));
        return records.map(({ key, version, encoding, keyId, createdAt, updatedAt }) => ({
          key,
          version,
          encoding,
          keyId,
          createdAt,
          updatedAt,
        }));
      },
      countResults,
    );
  }

  /** How many secrets each encoding and key id holds: what rotation has left to do, and which keys are in use. */
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

  /** The secrets of those keys that exist, ordered by key; duplicates count once. */
  getSecretsByKeys<T>(schema: SecretSchema<T>, keys: readonly string[]): Promise<SecretEntry<T>[]> {
    return this.#operation(
      'getSecretsByKeys',
      async () => {
        assertSchema(schema);
        if (!Array.isArray(keys)) throw new InvalidArgumentError('keys', 'must be an array of keys');
        keys.forEach((key) => assertValidKey(key));
        const unique = [...new Set(keys)];
        if (unique.length === 0) return [];
        const records = await this.#read(() => this.#repository.getSecretsByKeys(unique));
        return decodeRecords(this.#core.codec, schema, records);
      },
      countResults,
    );
  }

  /**
   * Runs `work` with a store whose operations share one transaction: committed when `work` resolves, rolled
   * back when it throws. That store refuses every call once the transaction has ended (TransactionClosedError).
   * Needs a store built over a pool or PGlite; over a connection the caller manages, the caller's own
   * BEGIN/COMMIT already covers the store's operations.
   */
  transaction<T>(work: (store: SecretStore) => Promise<T>): Promise<T> {
    return this.#operation('transaction', async (transactionContext) => {
      const scope = { open: true };
      const telemetry = this.#core.telemetry.inTransaction(transactionContext);
      try {
        return await this.#repository.transaction((repository) =>
          work(secretStoreOver(repository, this.#core.forTransaction(telemetry, scope))),
        );
      } finally {
        // A store kept past its transaction would otherwise write outside it, or inside someone else's.
        scope.open = false;
      }
    });
  }

  /**
   * Re-encrypts, batch by batch, every row not under the active key: rows under other keys, plaintext rows
   * and rows imported from trigger.dev. A row is rewritten only if its version is unchanged since it was
   * read, so a concurrent write is never overwritten with older data; version and updatedAt stay as they
   * are. Safe to run again: it picks up whatever is left.
   */
  rotateEncryptionKeys(options: RotationOptions = {}): Promise<RotationResult> {
    return this.#operation(
      'rotateEncryptionKeys',
      () => rotateEncryptionKeys(this.#core, this.#repository, options),
      summarizeRotation,
    );
  }

  /** Where the store keeps its secrets and what it encrypts with: never key material. */
  describe(): StoreDescription {
    const { codec, limits, location } = this.#core;
    return { location, keyring: codec.describe(), maxValueBytes: limits.maxValueBytes, maxDepth: limits.maxDepth };
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
  close(): Promise<void> {
    return this.#core.releaseOwned();
  }
}

export type { SecretEntry };
