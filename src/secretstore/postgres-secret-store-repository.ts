import type { Database, DatabaseInput } from '../database/database';
import { toDatabaseError } from '../database/driver-errors';
import { runStatement } from '../database/statement';
import { toDatabase, type StatementOptions } from '../database/to-database';
import { describeKey, TransactionUnsupportedError } from '../errors';
import type { IGetSecretResult } from '../generated/secret_store.queries';
// Reduced at codegen to their text and parameter order: a call only binds its values.
import * as statements from '../generated/secret_store.statements';
import { prefixUpperBound } from './prefix-upper-bound';
import type { EncryptionUsage, KeyFingerprint, SecretEncoding, SecretRecord, StoredValue } from './secret-record';
import type { SecretStoreRepository } from './secret-store-repository';

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

/** SecretStoreRepository over the pgtyped queries of `sql/secret_store.sql`. */
export class PostgresSecretStoreRepository implements SecretStoreRepository {
  private readonly db: Database;

  /** `db`: a pg Pool, Client or PoolClient, a PGlite instance, or anything with `query(text, values)`. */
  constructor(db: DatabaseInput, options: StatementOptions = {}) {
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
        const [row] = await runStatement(statements.getSecret, { key }, this.db);
        return row && toRecord(row);
      },
    );
  }

  getSecretsByKeys(keys: readonly string[]): Promise<SecretRecord[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.run(
      () => `Reading ${keys.length} secrets by key`,
      async () => {
        const rows = await runStatement(statements.getSecretsByKeys, { keys: [...keys] }, this.db);
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
            ? await runStatement(statements.listSecretsFrom, { lowerBound: prefix }, this.db)
            : await runStatement(statements.listSecretsInRange, { lowerBound: prefix, upperBound }, this.db);
        return rows.map(toRecord);
      },
    );
  }

  upsertSecret(key: string, value: StoredValue): Promise<{ version: number }> {
    return this.run(
      () => `Writing secret ${describeKey(key)}`,
      async () => {
        const [row] = await runStatement(statements.upsertSecret, { key, ...value }, this.db);
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
            ? await runStatement(statements.insertSecretIfAbsent, { key, ...value }, this.db)
            : await runStatement(statements.updateSecretIfVersion, { key, ifVersion, ...value }, this.db);
        return row && { version: row.version };
      },
    );
  }

  upsertSecrets(entries: readonly { key: string; value: StoredValue }[]): Promise<{ key: string; version: number }[]> {
    if (entries.length === 0) return Promise.resolve([]);
    return this.run(
      () => `Writing ${entries.length} secrets`,
      async () => {
        const rows = await runStatement(statements.upsertSecrets, { entries: entriesDocument(entries) }, this.db);
        return rows.map((row) => ({ key: row.key, version: row.version }));
      },
    );
  }

  listSecretsToRotate(activeKeyId: string, afterKey: string, limit: number): Promise<SecretRecord[]> {
    return this.run(
      () => 'Listing secrets to re-encrypt',
      async () => {
        const rows = await runStatement(statements.listSecretsToRotate, { activeKeyId, afterKey, limit }, this.db);
        return rows.map(toRecord);
      },
    );
  }

  reencryptSecret(key: string, version: number, value: StoredValue): Promise<boolean> {
    return this.run(
      () => `Re-encrypting secret ${describeKey(key)}`,
      async () => {
        const rows = await runStatement(statements.reencryptSecret, { key, version, ...value }, this.db);
        return rows.length > 0;
      },
    );
  }

  deleteSecret(key: string): Promise<boolean> {
    return this.run(
      () => `Deleting secret ${describeKey(key)}`,
      async () => {
        const rows = await runStatement(statements.deleteSecret, { key }, this.db);
        return rows.length > 0;
      },
    );
  }

  countSecretsByEncryption(): Promise<EncryptionUsage[]> {
    return this.run(
      () => 'Counting secrets by encryption key',
      async () => {
        const rows = await runStatement(statements.countSecretsByEncryption, undefined, this.db);
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
      () => runStatement(statements.getKeyFingerprints, undefined, this.db),
    );
  }

  recordKeyFingerprint(keyId: string, fingerprint: string): Promise<string> {
    return this.run(
      () => `Recording the fingerprint of encryption key ${describeKey(keyId)}`,
      async () => {
        const [row] = await runStatement(statements.recordKeyFingerprint, { keyId, fingerprint }, this.db);
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
