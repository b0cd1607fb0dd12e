import { toDatabase, type DatabaseOptions } from '../database/adapters';
import { compiledOnce } from '../database/compiled-query';
import { toDatabaseError } from '../database/driver-errors';
import type { Database, DatabaseInput } from '../database/queryable';
import type { SecretEncoding, StoredValue } from '../encryption/codec';
import { describeKey, TransactionUnsupportedError } from '../errors';
import {
  countSecretsByEncryption,
  deleteSecret,
  getSecret,
  getKeyFingerprints,
  getSecretsByKeys,
  insertSecretIfAbsent,
  type IGetSecretResult,
  listSecretsFrom,
  listSecretsInRange,
  listSecretsToRotate,
  recordKeyFingerprint,
  reencryptSecret,
  updateSecretIfVersion,
  upsertSecret,
  upsertSecrets,
} from '../generated/secret_store.queries';

/** One stored secret as the repository sees it: the value is JSON text, uninterpreted, with its encoding. */
export interface SecretRecord extends StoredValue {
  key: string;
  /** Write counter: 1 when created, +1 on every update. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** How many secrets are stored under one encoding and key id. */
export interface EncryptionUsage {
  encoding: SecretEncoding;
  keyId: string | null;
  secrets: number;
}

/** The fingerprint of the encryption key that wrote under a key id (see SecretCodec.keyFingerprints). */
export interface KeyFingerprint {
  keyId: string;
  fingerprint: string;
}

/**
 * Storage of secrets as JSON text. The service depends on this interface only, so applications can mock it
 * in their unit tests. Keys and JSON text arrive validated; implementations do no validation of their own.
 */
export interface SecretStoreRepository {
  getSecret(key: string): Promise<SecretRecord | undefined>;
  /** The records of those keys that exist, ordered by key. */
  getSecretsByKeys(keys: readonly string[]): Promise<SecretRecord[]>;
  /** Every record whose key starts with `prefix` (taken literally), ordered by key. */
  listSecretsByPrefix(prefix: string): Promise<SecretRecord[]>;
  /**
   * Inserts, or replaces the value of, the secret and returns the version it now has. A key created again
   * after a delete continues from the version it had: a version of a key is never reused.
   */
  upsertSecret(key: string, value: StoredValue): Promise<{ version: number }>;
  /**
   * Writes only if the stored version is `ifVersion` (0: only if absent), bumping the version; undefined
   * when the condition does not hold, and nothing is written.
   */
  writeSecretIfVersion(key: string, value: StoredValue, ifVersion: number): Promise<{ version: number } | undefined>;
  /**
   * Inserts or replaces every entry in one statement (all or none), taking row locks in key order so that
   * concurrent calls cannot deadlock; keys are distinct. Returns each new version.
   */
  upsertSecrets(entries: readonly { key: string; value: StoredValue }[]): Promise<{ key: string; version: number }[]>;
  /**
   * Up to `limit` records, in key order after `afterKey`, that are not encrypted under `activeKeyId`
   * (plaintext, trigger.dev and other-key rows).
   */
  listSecretsToRotate(activeKeyId: string, afterKey: string, limit: number): Promise<SecretRecord[]>;
  /**
   * Replaces the stored value only if the row's version is still `version`; leaves `version` and
   * `updatedAt` as they are. False when the row changed or is gone.
   */
  reencryptSecret(key: string, version: number, value: StoredValue): Promise<boolean>;
  /** True when the key existed. */
  deleteSecret(key: string): Promise<boolean>;
  /** Secret counts by encoding and key id, ordered by encoding then key id. */
  countSecretsByEncryption(): Promise<EncryptionUsage[]>;
  /** Every recorded key fingerprint, ordered by key id. */
  getKeyFingerprints(): Promise<KeyFingerprint[]>;
  /** Records `fingerprint` for `keyId` unless one is recorded already; returns the fingerprint recorded now. */
  recordKeyFingerprint(keyId: string, fingerprint: string): Promise<string>;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (repository: SecretStoreRepository) => Promise<T>): Promise<T>;
}

/**
 * The smallest string greater than every string that starts with `prefix`, in code point order (which is
 * byte order of UTF-8, the "C" collation's order). Undefined when no such string exists.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const codePoints = Array.from(prefix, (char) => char.codePointAt(0) as number);
  while (codePoints.length > 0) {
    const last = codePoints.pop() as number;
    if (last < 0x10ffff) {
      // Surrogates never occur in well-formed text: step over them.
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return String.fromCodePoint(...codePoints, next);
    }
  }
  return undefined;
}

function toRecord(row: IGetSecretResult): SecretRecord {
  return {
    key: row.key,
    // The column is NOT NULL. Were it ever null, '' is not JSON: the service reports the row as corrupt.
    valueJson: row.valueJson ?? '',
    // The table's CHECK constraint keeps this to the known encodings; the service refuses anything else.
    encoding: row.encoding as SecretEncoding,
    keyId: row.keyId,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * The entries of a bulk write as one JSON array of `{ key, encoding, key_id, value }`, read by
 * jsonb_to_recordset. Each value is JSON text already, so it is spliced in as it is: no escaping into a text
 * array element, and the server parses one document instead of casting ten thousand texts.
 */
function entriesDocument(entries: readonly { key: string; value: StoredValue }[]): string {
  const parts = entries.map(
    ({ key, value }) =>
      `{"key":${JSON.stringify(key)},"encoding":${JSON.stringify(value.encoding)},"key_id":${JSON.stringify(value.keyId)},"value":${value.valueJson}}`,
  );
  return `[${parts.join(',')}]`;
}

// The statements of every call, compiled once: each call then only binds its values (see CompiledQuery).
const statements = {
  getSecret: compiledOnce(getSecret, ['key']),
  getSecretsByKeys: compiledOnce(getSecretsByKeys, ['keys']),
  listSecretsInRange: compiledOnce(listSecretsInRange, ['lowerBound', 'upperBound']),
  listSecretsFrom: compiledOnce(listSecretsFrom, ['lowerBound']),
  upsertSecret: compiledOnce(upsertSecret, ['key', 'valueJson', 'encoding', 'keyId']),
  insertSecretIfAbsent: compiledOnce(insertSecretIfAbsent, ['key', 'valueJson', 'encoding', 'keyId']),
  updateSecretIfVersion: compiledOnce(updateSecretIfVersion, ['key', 'valueJson', 'encoding', 'keyId', 'ifVersion']),
  upsertSecrets: compiledOnce(upsertSecrets, ['entries']),
  deleteSecret: compiledOnce(deleteSecret, ['key']),
  listSecretsToRotate: compiledOnce(listSecretsToRotate, ['activeKeyId', 'afterKey', 'limit']),
  reencryptSecret: compiledOnce(reencryptSecret, ['key', 'version', 'valueJson', 'encoding', 'keyId']),
  countSecretsByEncryption: compiledOnce(countSecretsByEncryption, []),
  getKeyFingerprints: compiledOnce(getKeyFingerprints, []),
  recordKeyFingerprint: compiledOnce(recordKeyFingerprint, ['keyId', 'fingerprint']),
};

/** SecretStoreRepository over the pgtyped queries of `sql/secret_store.sql`. */
export class PostgresSecretStoreRepository implements SecretStoreRepository {
  private readonly db: Database;

  /** `db`: a pg Pool, Client or PoolClient, a PGlite instance, or anything with `query(text, values)`. */
  constructor(db: DatabaseInput | Database, options: DatabaseOptions = {}) {
    this.db = toDatabase(db, options);
  }

  /** `operation` names the call in an error; it is only built when there is one. */
  private run<T>(operation: () => string, work: () => Promise<T>): Promise<T> {
    return work().catch((error: unknown) => {
      throw toDatabaseError(error, operation());
    });
  }

  getSecret(key: string): Promise<SecretRecord | undefined> {
    return this.run(
      () => `Reading secret ${describeKey(key)}`,
      async () => {
        const [row] = await statements.getSecret.run({ key }, this.db);
        return row && toRecord(row);
      },
    );
  }

  getSecretsByKeys(keys: readonly string[]): Promise<SecretRecord[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.run(
      () => `Reading ${keys.length} secrets by key`,
      async () => {
        const rows = await statements.getSecretsByKeys.run({ keys: [...keys] }, this.db);
        return rows.map(toRecord);
      },
    );
  }

  listSecretsByPrefix(prefix: string): Promise<SecretRecord[]> {
    return this.run(
      () => `Listing secrets with prefix ${describeKey(prefix)}`,
      async () => {
        // A key range rather than LIKE: no escaping of % _ \, and an index range scan even under a generic plan.
        const upperBound = prefixUpperBound(prefix);
        const rows =
          upperBound === undefined
            ? await statements.listSecretsFrom.run({ lowerBound: prefix }, this.db)
            : await statements.listSecretsInRange.run({ lowerBound: prefix, upperBound }, this.db);
        return rows.map(toRecord);
      },
    );
  }

  upsertSecret(key: string, value: StoredValue): Promise<{ version: number }> {
    return this.run(
      () => `Writing secret ${describeKey(key)}`,
      async () => {
        const [row] = await statements.upsertSecret.run({ key, ...value }, this.db);
        return { version: row.version };
      },
    );
  }

  writeSecretIfVersion(key: string, value: StoredValue, ifVersion: number): Promise<{ version: number } | undefined> {
    return this.run(
      () => `Writing secret ${describeKey(key)} at version ${ifVersion}`,
      async () => {
        const [row] =
          ifVersion === 0
            ? await statements.insertSecretIfAbsent.run({ key, ...value }, this.db)
            : await statements.updateSecretIfVersion.run({ key, ifVersion, ...value }, this.db);
        return row && { version: row.version };
      },
    );
  }

  upsertSecrets(entries: readonly { key: string; value: StoredValue }[]): Promise<{ key: string; version: number }[]> {
    if (entries.length === 0) return Promise.resolve([]);
    return this.run(
      () => `Writing ${entries.length} secrets`,
      async () => {
        const rows = await statements.upsertSecrets.run({ entries: entriesDocument(entries) }, this.db);
        return rows.map((row) => ({ key: row.key, version: row.version }));
      },
    );
  }

  listSecretsToRotate(activeKeyId: string, afterKey: string, limit: number): Promise<SecretRecord[]> {
    return this.run(
      () => 'Listing secrets to re-encrypt',
      async () => {
        const rows = await statements.listSecretsToRotate.run({ activeKeyId, afterKey, limit }, this.db);
        return rows.map(toRecord);
      },
    );
  }

  reencryptSecret(key: string, version: number, value: StoredValue): Promise<boolean> {
    return this.run(
      () => `Re-encrypting secret ${describeKey(key)}`,
      async () => {
        const rows = await statements.reencryptSecret.run({ key, version, ...value }, this.db);
        return rows.length > 0;
      },
    );
  }

  deleteSecret(key: string): Promise<boolean> {
    return this.run(
      () => `Deleting secret ${describeKey(key)}`,
      async () => {
        const rows = await statements.deleteSecret.run({ key }, this.db);
        return rows.length > 0;
      },
    );
  }

  countSecretsByEncryption(): Promise<EncryptionUsage[]> {
    return this.run(
      () => 'Counting secrets by encryption key',
      async () => {
        const rows = await statements.countSecretsByEncryption.run(undefined, this.db);
        return rows.map((row) => ({
          encoding: row.encoding as SecretEncoding,
          keyId: row.keyId,
          // count(*) is never null; pgtyped types every expression as nullable.
          secrets: row.secrets ?? 0,
        }));
      },
    );
  }

  getKeyFingerprints(): Promise<KeyFingerprint[]> {
    return this.run(
      () => 'Reading encryption key fingerprints',
      () => statements.getKeyFingerprints.run(undefined, this.db),
    );
  }

  recordKeyFingerprint(keyId: string, fingerprint: string): Promise<string> {
    return this.run(
      () => `Recording the fingerprint of encryption key ${describeKey(keyId)}`,
      async () => {
        const [row] = await statements.recordKeyFingerprint.run({ keyId, fingerprint }, this.db);
        return row.fingerprint;
      },
    );
  }

  async transaction<T>(work: (repository: SecretStoreRepository) => Promise<T>): Promise<T> {
    const { transaction } = this.db;
    if (!transaction) throw new TransactionUnsupportedError();
    // Errors of `work` pass through as they are; only BEGIN/COMMIT failures are the driver's.
    let workFailure: { error: unknown } | undefined;
    try {
      return await transaction(async (tx) => {
        try {
          return await work(new PostgresSecretStoreRepository(tx));
        } catch (error) {
          workFailure = { error };
          throw error;
        }
      });
    } catch (error) {
      if (workFailure && workFailure.error === error) throw error;
      throw toDatabaseError(error, 'Transaction');
    }
  }
}
