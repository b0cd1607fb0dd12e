import { inspect } from 'node:util';

import { createCodec, type EncryptionOptions, type SecretCodec, type StoredValue } from '../encryption/codec';
import {
  DatabaseUnavailableError,
  InvalidArgumentError,
  InvalidSecretKeyError,
  SecretCorruptError,
  SecretNotFoundError,
  SecretStoreConfigError,
  SecretStoreError,
  SecretVersionConflictError,
  SecretWriteOutcomeUnknownError,
  StatementTimeoutError,
  TransactionClosedError,
  TransactionConflictError,
  describeKey,
} from '../errors';
import type { SecretStoreLogger } from '../logger';
import { nonNegativeInteger, positiveInteger } from '../settings';
import { toSecretJson, type JsonValueLimits } from './json-value';
import { KeyFingerprintCheck, type EncryptionKeyCheck } from './key-fingerprint-check';
import { assertValidKey, assertValidPrefix } from './keys';
import type { EncryptionUsage, SecretRecord, SecretStoreRepository } from './repository';
import { assertSchema, parseWithSchema, type SecretSchema } from './schema';
import {
  countResults,
  deletedOrNot,
  foundOrNot,
  StoreTelemetry,
  summarizeRotation,
  type ResultSummary,
  type SecretStoreOperation,
  type SecretStoreTelemetryOptions,
} from './telemetry';

export interface SecretStoreOptions {
  /**
   * Required. `{ keys, activeKeyId }` encrypts every value with AES-256-GCM; `'none'` stores plaintext
   * JSONB, for development only. A store with no decision refuses to start.
   */
  encryption?: EncryptionOptions;
  /** Largest accepted value, as bytes of its JSON text. Default 1 MiB. */
  maxValueBytes?: number;
  /** Deepest accepted nesting of objects and arrays. Default 64. */
  maxDepth?: number;
  /**
   * Receives a debug line per operation (name, outcome, duration, error code) and a warning per row that
   * rotation cannot read (its key and error code). Never a value. Without one, the store logs nothing.
   */
  logger?: SecretStoreLogger;
  /** OpenTelemetry providers for the store's spans and duration histogram. Default: the global ones. */
  telemetry?: SecretStoreTelemetryOptions;
  /** How operations are retried after a lost connection; see the README's retry policy. */
  retry?: RetryOptions;
}

/**
 * Retries after `DATABASE_UNAVAILABLE`: reads always; writes when nothing was sent, or when the store can
 * tell the lost write did not land. Never inside `transaction()`, whose connection is gone with the error.
 */
export interface RetryOptions {
  /** Attempts in all, the first one included. Default 3; 1 turns retries off. */
  attempts?: number;
  /** Wait before the first retry in milliseconds, doubled for each further one, with jitter. Default 100. */
  delayMillis?: number;
}

export interface SecretEntry<T> {
  key: string;
  value: T;
}

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

/** The largest version a secret can have: the column is a 32-bit integer. */
export const MAX_VERSION = 2_147_483_647;

export interface SecretWithMetadata<T> {
  value: T;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface RotationOptions {
  /** Rows read and re-encrypted per round trip. Default 100. */
  batchSize?: number;
}

export interface RotationResult {
  /** Rows found not under the active key. */
  scanned: number;
  /** Rows re-encrypted under the active key. */
  reEncrypted: number;
  /** Rows a concurrent write changed (already under the active key) or deleted meanwhile: left as they are. */
  skipped: number;
  /**
   * Rows left as they are, with the error code: rows that could not be read (unknown key id, tampered,
   * corrupt), and rows that could not be rewritten in time (locked past the statement timeout, deadlocked).
   */
  failed: { key: string; code: string }[];
}

export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_DEPTH = 64;
export const DEFAULT_RETRY_ATTEMPTS = 3;
export const DEFAULT_RETRY_DELAY_MILLIS = 100;

interface RetryPolicy {
  attempts: number;
  delayMillis: number;
}

const NO_RETRY: RetryPolicy = { attempts: 1, delayMillis: 0 };

function retryPolicy(options: RetryOptions | undefined): RetryPolicy {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new SecretStoreConfigError('retry', 'must be { attempts, delayMillis }');
  }
  return {
    attempts: positiveInteger('retry.attempts', options?.attempts, DEFAULT_RETRY_ATTEMPTS),
    delayMillis: nonNegativeInteger('retry.delayMillis', options?.delayMillis, DEFAULT_RETRY_DELAY_MILLIS),
  };
}

/** The connection was lost (or never made): worth another attempt, unlike a write whose outcome is unknown. */
function isTransient(error: unknown): error is DatabaseUnavailableError {
  return error instanceof DatabaseUnavailableError && !(error instanceof SecretWriteOutcomeUnknownError);
}

/** A whole number argument in [minimum, maximum], or InvalidArgumentError naming it. */
function integerArgument(argument: string, value: unknown, minimum: number, maximum: number, expected: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw new InvalidArgumentError(argument, `must be ${expected}`);
  }
  return value;
}

/** Errors of one row's rewrite that rotation records and moves past: the row was locked, not the database gone. */
function isRowLevelFailure(error: unknown): error is SecretStoreError {
  return error instanceof StatementTimeoutError || error instanceof TransactionConflictError;
}

/** Shared by a store and the stores of its transactions: whether that transaction is still running. */
interface TransactionScope {
  open: boolean;
}

function pause(policy: RetryPolicy, attempt: number): Promise<void> {
  // Full jitter between half and all of the doubled delay keeps many clients from retrying in step.
  const ceiling = policy.delayMillis * 2 ** (attempt - 1);
  return new Promise((resolve) => setTimeout(resolve, ceiling / 2 + Math.random() * (ceiling / 2)));
}

const releasers = new WeakMap<SecretStore, () => Promise<void>>();

/** Lets the factory give a store the resources it opened (a pool), so that close() releases them. */
export function releaseOnClose(store: SecretStore, release: () => Promise<void>): void {
  releasers.set(store, release);
}

/**
 * Key → JSON secrets with typed reads. Semantics follow trigger.dev's SecretStore: a missing key reads as
 * undefined, getSecretOrThrow throws SecretNotFoundError, setSecret upserts an object.
 */
export class SecretStore {
  private readonly limits: JsonValueLimits;
  private readonly codec: SecretCodec;
  private readonly telemetry: StoreTelemetry;
  private readonly retry: RetryPolicy;
  private readonly keyCheck: KeyFingerprintCheck;
  /** Set on a transaction's store only. */
  private readonly scope: TransactionScope | undefined = undefined;

  constructor(
    private readonly repository: SecretStoreRepository,
    options: SecretStoreOptions = {},
  ) {
    this.codec = createCodec(options.encryption);
    this.limits = {
      maxValueBytes: positiveInteger('maxValueBytes', options.maxValueBytes, DEFAULT_MAX_VALUE_BYTES),
      maxDepth: positiveInteger('maxDepth', options.maxDepth, DEFAULT_MAX_DEPTH),
      jsonbStrings: this.codec.storesPlainJson,
    };
    this.telemetry = new StoreTelemetry(options.telemetry, options.logger);
    this.retry = retryPolicy(options.retry);
    this.keyCheck = new KeyFingerprintCheck(this.codec.keyFingerprints, this.codec.activeKeyId);
  }

  /** The same store over a transaction's repository, sharing the validated settings; it never retries. */
  private withRepository(
    repository: SecretStoreRepository,
    telemetry: StoreTelemetry,
    scope: TransactionScope,
  ): SecretStore {
    const bound = Object.create(SecretStore.prototype) as SecretStore;
    const { codec, limits, keyCheck } = this;
    return Object.assign(bound, { repository, codec, limits, keyCheck, telemetry, retry: NO_RETRY, scope });
  }

  /** Runs one public operation: instrumented, and refused on a transaction's store once that transaction ended. */
  private operation<T>(
    name: SecretStoreOperation,
    work: (operationContext: Parameters<Parameters<StoreTelemetry['instrument']>[1]>[0]) => Promise<T>,
    summarize?: ResultSummary<T>,
  ): Promise<T> {
    if (this.scope !== undefined && !this.scope.open) {
      return this.telemetry.instrument(name, () => Promise.reject(new TransactionClosedError(name)), summarize);
    }
    return this.telemetry.instrument(name, work, summarize);
  }

  /** A read of values, attempted again after a lost connection: reading twice changes nothing. */
  private read<T>(work: () => Promise<T>): Promise<T> {
    const checking = this.keyCheck.beforeRead(this.repository);
    if (checking !== undefined) return checking.then(() => this.read(work));
    return this.readMetadata(work);
  }

  /** A read that decrypts nothing, so needs no key check: retried like any read. */
  private readMetadata<T>(work: () => Promise<T>): Promise<T> {
    // The first attempt costs no extra async frame: most reads succeed.
    return work().catch((error: unknown) => this.readAgain(work, error));
  }

  private async readAgain<T>(work: () => Promise<T>, firstError: unknown): Promise<T> {
    let error = firstError;
    for (let attempt = 1; ; attempt++) {
      if (attempt >= this.retry.attempts || !isTransient(error)) throw error;
      await pause(this.retry, attempt);
      try {
        return await work();
      } catch (next) {
        error = next;
      }
    }
  }

  /**
   * The version `key` has if it holds exactly the write `stored` (its ciphertext, whose random nonce no other
   * write repeats); undefined when it does not, or when that cannot be told (plaintext, or no answer).
   */
  private async landedVersion(key: string, stored: StoredValue): Promise<{ version: number } | undefined> {
    if (!this.codec.identifiesWrites) return undefined;
    try {
      const current = await this.read(() => this.repository.getSecret(key));
      return current && this.codec.isSameWrite(current, stored) ? { version: current.version } : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Sends a write, and sends it again after a lost connection only where that is safe. When nothing reached
   * the server it is resent, up to the attempts of the retry policy. When it may have reached the server,
   * `landed` (if given) looks for it in the row: found, its result ends the call; not found, the write is
   * resent only if `resendAfterLoss` (a write whose repeat leaves the same value), else the outcome is unknown.
   */
  private async sendWrite<T>(
    operation: string,
    key: string | undefined,
    send: () => Promise<T>,
    afterLoss: { landed?: () => Promise<T | undefined>; resendAfterLoss: boolean },
  ): Promise<T> {
    await this.keyCheck.beforeWrite(this.repository, this.scope !== undefined);
    // Inside a transaction a lost connection rolls the whole transaction back: nothing to look for or resend.
    if (this.scope !== undefined) return send();
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        if (!isTransient(error)) throw error;
        if (error.requestSent) {
          const landed = await afterLoss.landed?.();
          if (landed !== undefined) return landed;
          if (!afterLoss.resendAfterLoss || attempt >= this.retry.attempts) throw outcomeUnknown(operation, key);
        } else if (attempt >= this.retry.attempts) {
          throw error;
        }
        await pause(this.retry, attempt);
      }
    }
  }

  /** The record's plaintext JSON text and its value; throws if it cannot be decrypted or is not JSON. */
  private plaintextOf(record: SecretRecord): { json: string; value: unknown } {
    const json = this.codec.decode(record.key, record);
    try {
      return { json, value: JSON.parse(json) };
    } catch {
      throw new SecretCorruptError(record.key, 'the stored value is not JSON');
    }
  }

  private decode<T>(schema: SecretSchema<T>, record: SecretRecord): T | Promise<T> {
    return parseWithSchema(schema, record.key, this.plaintextOf(record).value);
  }

  /**
   * Decodes in key order, so that the error thrown is the one of the first failing record. A synchronous
   * schema is applied synchronously; the first asynchronous result switches to awaiting each record.
   */
  private decodeAll<T>(schema: SecretSchema<T>, records: SecretRecord[]): SecretEntry<T>[] | Promise<SecretEntry<T>[]> {
    const entries = new Array<SecretEntry<T>>(records.length);
    for (let index = 0; index < records.length; index++) {
      const record = records[index];
      const value = this.decode(schema, record);
      if (value instanceof Promise) return this.decodeRestAsync(schema, records, entries, index, value);
      entries[index] = { key: record.key, value };
    }
    return entries;
  }

  private async decodeRestAsync<T>(
    schema: SecretSchema<T>,
    records: SecretRecord[],
    entries: SecretEntry<T>[],
    from: number,
    pending: Promise<T>,
  ): Promise<SecretEntry<T>[]> {
    entries[from] = { key: records[from].key, value: await pending };
    for (let index = from + 1; index < records.length; index++) {
      entries[index] = { key: records[index].key, value: await this.decode(schema, records[index]) };
    }
    return entries;
  }

  /** The secret's value parsed by `schema`, or undefined when the key does not exist. */
  getSecret<T>(schema: SecretSchema<T>, key: string): Promise<T | undefined> {
    return this.operation(
      'getSecret',
      async () => {
        assertSchema(schema);
        assertValidKey(key);
        const record = await this.read(() => this.repository.getSecret(key));
        return record === undefined ? undefined : this.decode(schema, record);
      },
      foundOrNot,
    );
  }

  /** Like getSecret, but a missing key throws SecretNotFoundError. */
  getSecretOrThrow<T>(schema: SecretSchema<T>, key: string): Promise<T> {
    return this.operation('getSecretOrThrow', async () => {
      assertSchema(schema);
      assertValidKey(key);
      const record = await this.read(() => this.repository.getSecret(key));
      if (record === undefined) throw new SecretNotFoundError(key);
      return this.decode(schema, record);
    });
  }

  /** Validates and encodes a value for storage: the one path every write takes. */
  private encodeForWrite(key: string, value: unknown): StoredValue {
    return this.codec.encode(key, this.secretJson(key, value));
  }

  /** The key and value checks of a write, returning the value's JSON text. */
  private secretJson(key: string, value: unknown): string {
    assertValidKey(key);
    return toSecretJson(key, value, this.limits);
  }

  /** Throws what setSecret would throw for this key and value (with this store's limits), writing nothing. */
  validateSecret(key: string, value: unknown): void {
    if (this.scope !== undefined && !this.scope.open) throw new TransactionClosedError('validateSecret');
    this.secretJson(key, value);
  }

  /**
   * Creates or replaces a secret and resolves the version it wrote. The value must be an object or array
   * that survives a JSON round trip. With `ifVersion`, writes only if the stored version is that one
   * (0: only if the secret does not exist yet); otherwise SecretVersionConflictError with the current version.
   */
  setSecret<T extends object>(key: string, value: T, options: SetSecretOptions = {}): Promise<{ version: number }> {
    return this.operation('setSecret', async () => {
      const { ifVersion } = options ?? {};
      if (ifVersion !== undefined) {
        integerArgument(
          'ifVersion',
          ifVersion,
          0,
          MAX_VERSION,
          `a whole number from 0 to ${MAX_VERSION} (0: only if absent)`,
        );
      }
      const stored = this.encodeForWrite(key, value);
      if (ifVersion === undefined) {
        return this.sendWrite(
          'Writing secret',
          key,
          async () => ({ version: (await this.repository.upsertSecret(key, stored)).version }),
          { landed: () => this.landedVersion(key, stored), resendAfterLoss: true },
        );
      }
      return this.compareAndSet(key, stored, ifVersion);
    });
  }

  /**
   * A compare-and-set write is never sent twice once it may have reached the server: if the connection is
   * lost after sending, the store reads the row, and succeeds only if the row holds this very write;
   * otherwise SecretWriteOutcomeUnknownError, and the caller reads and decides.
   */
  private async compareAndSet(key: string, stored: StoredValue, ifVersion: number): Promise<{ version: number }> {
    const written = await this.sendWrite(
      'Writing secret',
      key,
      () => this.repository.writeSecretIfVersion(key, stored, ifVersion),
      { landed: () => this.landedVersion(key, stored), resendAfterLoss: false },
    );
    if (written) return { version: written.version };
    const current = await this.read(() => this.repository.getSecret(key));
    throw new SecretVersionConflictError(key, ifVersion, current?.version ?? 0);
  }

  /**
   * Creates or replaces many secrets in one statement and one round trip, atomically: every value is
   * validated and encrypted first, and any bad entry (or a key given twice) writes nothing.
   */
  setSecrets(entries: readonly SecretEntry<object>[]): Promise<{ key: string; version: number }[]> {
    return this.operation(
      'setSecrets',
      async () => {
        if (!Array.isArray(entries)) throw new InvalidArgumentError('entries', 'must be an array of { key, value }');
        const seen = new Set<string>();
        const encoded = entries.map((entry: SecretEntry<object>) => {
          if (seen.has(entry?.key)) throw new InvalidSecretKeyError(entry.key, 'appears twice in one setSecrets call');
          const value = this.encodeForWrite(entry?.key, entry?.value);
          seen.add(entry.key);
          return { key: entry.key, value };
        });
        // One statement, all or none: if the lost attempt landed, every row holds its own new ciphertext.
        return this.sendWrite(
          `Writing ${encoded.length} secrets`,
          undefined,
          () => this.repository.upsertSecrets(encoded),
          {
            landed: () => this.landedVersions(encoded),
            resendAfterLoss: true,
          },
        );
      },
      countResults,
    );
  }

  /** The versions of a setSecrets call that landed in full; undefined when it did not, or cannot be told. */
  private async landedVersions(
    entries: readonly { key: string; value: StoredValue }[],
  ): Promise<{ key: string; version: number }[] | undefined> {
    if (!this.codec.identifiesWrites || entries.length === 0) return undefined;
    try {
      const records = await this.read(() => this.repository.getSecretsByKeys(entries.map((entry) => entry.key)));
      const byKey = new Map(records.map((record) => [record.key, record]));
      const versions: { key: string; version: number }[] = [];
      for (const { key, value } of entries) {
        const record = byKey.get(key);
        if (!record || !this.codec.isSameWrite(record, value)) return undefined;
        versions.push({ key, version: record.version });
      }
      return versions;
    } catch {
      return undefined;
    }
  }

  /** The value with its version and timestamps, or undefined when the key does not exist. */
  getSecretWithMetadata<T>(schema: SecretSchema<T>, key: string): Promise<SecretWithMetadata<T> | undefined> {
    return this.operation(
      'getSecretWithMetadata',
      async () => {
        assertSchema(schema);
        assertValidKey(key);
        const record = await this.read(() => this.repository.getSecret(key));
        if (record === undefined) return undefined;
        const { version, createdAt, updatedAt } = record;
        return { value: await this.decode(schema, record), version, createdAt, updatedAt };
      },
      foundOrNot,
    );
  }

  /** Deletes a secret; true when it existed. */
  deleteSecret(key: string): Promise<boolean> {
    return this.operation(
      'deleteSecret',
      async () => {
        assertValidKey(key);
        // Sent again after a lost acknowledgement, a delete could not say whether it deleted: never resent.
        return this.sendWrite('Deleting secret', key, () => this.repository.deleteSecret(key), {
          resendAfterLoss: false,
        });
      },
      deletedOrNot,
    );
  }

  /** Every secret whose key starts with `keyPrefix` (literally: % and _ are plain characters), ordered by key. */
  getSecrets<T>(schema: SecretSchema<T>, keyPrefix: string): Promise<SecretEntry<T>[]> {
    return this.operation(
      'getSecrets',
      async () => {
        assertSchema(schema);
        assertValidPrefix(keyPrefix);
        return this.decodeAll(schema, await this.read(() => this.repository.listSecretsByPrefix(keyPrefix)));
      },
      countResults,
    );
  }

  /** Keys, versions and times of the secrets under `keyPrefix`, ordered by key; values are neither read nor decrypted. */
  listSecrets(keyPrefix: string): Promise<SecretMetadata[]> {
    return this.operation(
      'listSecrets',
      async () => {
        assertValidPrefix(keyPrefix);
        const records = await this.readMetadata(() => this.repository.listSecretsByPrefix(keyPrefix));
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
    return this.operation(
      'encryptionUsage',
      () => this.readMetadata(() => this.repository.countSecretsByEncryption()),
      countResults,
    );
  }

  /**
   * Compares the keyring with the key fingerprints the database records, without reading any value: which
   * key ids are recorded, not yet recorded, mismatched (another key under a known id: this store refuses to
   * read or write), or missing from the keyring. Ordered by key id.
   */
  checkEncryptionKeys(): Promise<EncryptionKeyCheck[]> {
    return this.operation(
      'checkEncryptionKeys',
      () => this.readMetadata(() => this.keyCheck.compare(this.repository)),
      countResults,
    );
  }

  /** The secrets of those keys that exist, ordered by key; duplicates count once. */
  getSecretsByKeys<T>(schema: SecretSchema<T>, keys: readonly string[]): Promise<SecretEntry<T>[]> {
    return this.operation(
      'getSecretsByKeys',
      async () => {
        assertSchema(schema);
        if (!Array.isArray(keys)) throw new InvalidArgumentError('keys', 'must be an array of keys');
        keys.forEach((key) => assertValidKey(key));
        const unique = [...new Set(keys)];
        if (unique.length === 0) return [];
        return this.decodeAll(schema, await this.read(() => this.repository.getSecretsByKeys(unique)));
      },
      countResults,
    );
  }

  /**
   * Runs `work` with a store whose operations share one transaction: committed when `work` resolves,
   * rolled back when it throws. Needs a store built over a pool or PGlite; over a connection the caller
   * manages, the caller's own BEGIN/COMMIT already covers the store's operations.
   */
  transaction<T>(work: (store: SecretStore) => Promise<T>): Promise<T> {
    return this.operation('transaction', async (transactionContext) => {
      const telemetry = this.telemetry.inTransaction(transactionContext);
      const scope: TransactionScope = { open: true };
      try {
        return await this.repository.transaction((repository) =>
          work(this.withRepository(repository, telemetry, scope)),
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
    return this.operation('rotateEncryptionKeys', () => this.rotate(options), summarizeRotation);
  }

  private async rotate(options: RotationOptions): Promise<RotationResult> {
    const batchSize =
      options?.batchSize === undefined
        ? 100
        : integerArgument('batchSize', options.batchSize, 1, 100_000, 'a whole number from 1 to 100,000');
    const activeKeyId = this.codec.activeKeyId;
    if (activeKeyId === undefined) {
      throw new SecretStoreConfigError('encryption', "is 'none': there is no key to rotate to");
    }
    const result: RotationResult = { scanned: 0, reEncrypted: 0, skipped: 0, failed: [] };
    await this.keyCheck.beforeWrite(this.repository, this.scope !== undefined);
    let afterKey = '';
    for (;;) {
      const batch = await this.read(() => this.repository.listSecretsToRotate(activeKeyId, afterKey, batchSize));
      for (const record of batch) {
        result.scanned++;
        afterKey = record.key;
        let json: string;
        try {
          // Decoded and parsed as a read would: a row no one can read is reported, not re-encrypted.
          json = this.plaintextOf(record).json;
        } catch (error) {
          if (!(error instanceof SecretStoreError)) throw error;
          result.failed.push({ key: record.key, code: error.code });
          this.telemetry.rotationFailure(record.key, error.code);
          continue;
        }
        let rewritten: boolean;
        try {
          rewritten = await this.repository.reencryptSecret(
            record.key,
            record.version,
            this.codec.encode(record.key, json),
          );
        } catch (error) {
          // A row locked past the statement timeout is one row: report it and go on; a lost database is not.
          if (!isRowLevelFailure(error) || this.scope !== undefined) throw error;
          result.failed.push({ key: record.key, code: error.code });
          this.telemetry.rotationFailure(record.key, error.code);
          continue;
        }
        if (rewritten) result.reEncrypted++;
        else result.skipped++;
      }
      if (batch.length < batchSize) return result;
    }
  }

  /** What the store is configured with; never key material. */
  toJSON(): Record<string, unknown> {
    const { maxValueBytes, maxDepth } = this.limits;
    return { ...this.codec.describe(), maxValueBytes, maxDepth };
  }

  [inspect.custom](): string {
    return `SecretStore ${inspect(this.toJSON())}`;
  }

  /** Releases what createSecretStore opened for this store (its pool); never a connection it was given. */
  async close(): Promise<void> {
    const release = releasers.get(this);
    releasers.delete(this);
    await release?.();
  }
}

function outcomeUnknown(operation: string, key: string | undefined): SecretWriteOutcomeUnknownError {
  const subject = key === undefined ? operation : `${operation} ${describeKey(key)}`;
  return new SecretWriteOutcomeUnknownError(
    subject,
    key,
    'the connection was lost after the write was sent, and whether it was applied cannot be told; read it back to find out',
  );
}
