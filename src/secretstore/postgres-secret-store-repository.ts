import type { Database, DatabaseInput } from '../database/database';
import { toDatabaseError } from '../database/driver-errors';
import { runRead, runReadOnPrimary, runStatement } from '../database/statement';
import { toDatabase, type StatementOptions } from '../database/to-database';
import { listenWithPg } from '../database/notification-listener';
import { describeKey, SecretStoreConfigError, TransactionUnsupportedError } from '../errors';
import type {
  IGetSecretMetadataResult,
  IGetSecretResult,
  IGetSecretsByKeysResult,
  IGetSecretVersionResult,
  IReadAuditRecordsResult,
} from '../generated/secret_store.queries';
// Reduced at codegen to their text and parameter order: a call only binds its values.
import * as statements from '../generated/secret_store.statements';
import { ChangeFeed } from './change-feed';
import { prefixUpperBound } from './prefix-upper-bound';
import type {
  AuditCheckpoint,
  AuditEntry,
  AuditOperation,
  AuditRecord,
  DueRecord,
  EncryptionUsage,
  KeyFingerprint,
  SecretEncoding,
  SecretMetadataPatch,
  SecretMetadataRecord,
  SecretRecord,
  SecretValueRecord,
  SecretVersionInfo,
  SecretVersionRecord,
  StoredValue,
  WrittenValue,
} from './secret-record';
import type {
  BulkEntry,
  ChangeListener,
  ChangeSubscription,
  MetadataPage,
  SecretStoreRepository,
  WriteOptions,
} from './secret-store-repository';

/** A row of a read of many: its queries select no times (see SecretValueRecord). */
function toValueRecord(row: IGetSecretsByKeysResult): SecretValueRecord {
  return {
    key: row.key,
    // The query reads only rows with a value. Were one ever null, '' is not JSON: the store reports it corrupt.
    valueJson: row.valueJson ?? '',
    // The table's CHECK constraint keeps this to the known encodings; the store refuses anything else.
    encoding: row.encoding as SecretEncoding,
    keyId: row.keyId,
    writeId: row.writeId,
    version: row.version,
    expiresAt: row.expiresAt,
  };
}

function toRecord(row: IGetSecretResult): SecretRecord {
  return { ...toValueRecord(row), createdAt: row.createdAt, updatedAt: row.updatedAt };
}

function toVersionRecord(row: IGetSecretVersionResult): SecretVersionRecord {
  return {
    key: row.key,
    version: row.version,
    valueJson: row.valueJson ?? '',
    encoding: row.encoding as SecretEncoding,
    keyId: row.keyId,
    writeId: row.writeId,
    createdAt: row.createdAt,
  };
}

function toMetadata(row: IGetSecretMetadataResult): SecretMetadataRecord {
  return {
    key: row.key,
    version: row.version,
    encoding: row.encoding as SecretEncoding,
    keyId: row.keyId,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    deletedAt: row.deletedAt,
    description: row.description,
    tags: JSON.parse(row.tagsJson ?? '{}') as Record<string, string>,
    expiresAt: row.expiresAt,
    rotateAfter: row.rotateAfter,
    maxVersions: row.maxVersions,
  };
}

function toAuditRecord(row: IReadAuditRecordsResult): AuditRecord {
  return {
    seq: Number(row.seqText),
    id: row.id,
    operation: row.operation as AuditOperation,
    key: row.key,
    writeId: row.writeId,
    actor: row.actor,
    at: row.at,
    macKeyId: row.macKeyId,
    mac: row.mac,
    versions: row.versions,
    keys: row.keys,
    recordedAt: row.recordedAt,
    sealedBy: row.sealedByText === null ? null : Number(row.sealedByText),
  };
}

/** An audit entry as the parameters of a statement that records it. */
function auditParams(entry: AuditEntry) {
  return { auditId: entry.id, actor: entry.actor, at: entry.at, macKeyId: entry.macKeyId, mac: entry.mac };
}

/** A metadata patch as the JSON the statements read: dates as ISO text, absent fields absent. */
function patchJson(patch: SecretMetadataPatch): string {
  return JSON.stringify(patch, (_, value: unknown) => value);
}

/**
 * The entries of a bulk write as one JSON array, read by jsonb_to_recordset. Each value is JSON text already,
 * so it is spliced in as it is: no escaping into a text array element, and the server parses one document.
 */
function entriesDocument(entries: readonly BulkEntry[]): string {
  const parts = entries.map(({ key, value, audit }) => {
    const fields = {
      key,
      encoding: value.encoding,
      key_id: value.keyId,
      write_id: value.writeId,
      audit_id: audit.id,
      actor: audit.actor,
      at: audit.at.toISOString(),
      mac_key_id: audit.macKeyId,
      mac: audit.mac,
    };
    return `${JSON.stringify(fields).slice(0, -1)},"value":${value.valueJson}}`;
  });
  return `[${parts.join(',')}]`;
}

export interface PostgresRepositoryOptions extends StatementOptions {
  /**
   * Why this repository must not listen, though its handle could: subscribeToChanges throws
   * SecretStoreConfigError with it (the embedded folder, whose processes share one session).
   */
  changesUnavailable?: string;
  /**
   * Read values (getSecret, getSecretsByKeys, listSecretsByPrefix) on the primary even where `db` has replicas:
   * for a store whose cache they fill. The cache is kept correct by the primary's notifications, and a replica
   * may not have replayed a change the cache heard of and has since forgotten (floors are bounded).
   */
  valuesFromPrimary?: boolean;
}

/** SecretStoreRepository over the pgtyped queries of `sql/secret_store.sql`. */
export class PostgresSecretStoreRepository implements SecretStoreRepository {
  private readonly db: Database;
  #feed: ChangeFeed | undefined;
  readonly #changesUnavailable: string;
  /** How values are read: where a replica may serve them, or on the primary (see valuesFromPrimary). */
  readonly #readValues: typeof runRead;

  /**
   * `db`: a pg Pool, Client or PoolClient, a PGlite instance, or anything with `query(text, values)`.
   * `options.listen`: where subscribeToChanges listens, for a handle that cannot say (a single Client), or
   * instead of a pool's own settings (a pool behind PgBouncer in transaction mode, which drops LISTEN).
   */
  constructor(db: DatabaseInput, options: PostgresRepositoryOptions = {}) {
    this.db = toDatabase(db, options);
    this.#readValues = options.valuesFromPrimary === true ? runStatement : runRead;
    const listen = options.listen === undefined ? this.db.listen : listenWithPg(options.listen);
    this.#changesUnavailable =
      options.changesUnavailable ??
      'need a connection of their own to listen on: pass a pg Pool or PGlite, or the `listen` option';
    this.#feed = options.changesUnavailable === undefined && listen !== undefined ? new ChangeFeed(listen) : undefined;
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
        const [row] = await this.#readValues(statements.getSecret, { key }, this.db);
        return row && toRecord(row);
      },
    );
  }

  getSecretsByKeys(keys: readonly string[]): Promise<SecretValueRecord[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.run(
      () => `Reading ${keys.length} secrets by key`,
      async () => {
        const rows = await this.#readValues(statements.getSecretsByKeys, { keys: [...keys] }, this.db);
        return rows.map(toValueRecord);
      },
    );
  }

  listSecretsByPrefix(prefix: string): Promise<SecretValueRecord[]> {
    return this.run(
      () => `Listing secrets with prefix ${describeKey(prefix)}`,
      async () => {
        // A key range rather than LIKE: no escaping of % _ \, and an index range scan even under a generic plan.
        const upperBound = prefixUpperBound(prefix);
        const rows =
          upperBound === undefined
            ? await this.#readValues(statements.listSecretsFrom, { lowerBound: prefix }, this.db)
            : await this.#readValues(statements.listSecretsInRange, { lowerBound: prefix, upperBound }, this.db);
        return rows.map(toValueRecord);
      },
    );
  }

  writeSecret(key: string, value: WrittenValue, options: WriteOptions): Promise<{ version: number } | undefined> {
    const { ifVersion, metadata, maxVersions, operation, audit } = options;
    return this.run(
      () => `Writing secret ${describeKey(key)}${ifVersion === undefined ? '' : ` at version ${ifVersion}`}`,
      async () => {
        const [row] = await runStatement(
          statements.writeSecret,
          {
            key,
            valueJson: value.valueJson,
            encoding: value.encoding,
            keyId: value.keyId,
            // Every write the store makes has one; the column allows null for rows older than write ids.
            writeId: value.writeId ?? '',
            ifVersion: ifVersion ?? null,
            metadata: metadata === undefined ? null : patchJson(metadata),
            maxVersions,
            operation,
            ...auditParams(audit),
          },
          this.db,
        );
        return row && { version: row.version as number };
      },
    );
  }

  upsertSecrets(entries: readonly BulkEntry[], maxVersions: number): Promise<{ key: string; version: number }[]> {
    if (entries.length === 0) return Promise.resolve([]);
    return this.run(
      () => `Writing ${entries.length} secrets`,
      async () => {
        const rows = await runStatement(
          statements.upsertSecrets,
          { entries: entriesDocument(entries), maxVersions },
          this.db,
        );
        return rows.map((row) => ({ key: row.key, version: row.version }));
      },
    );
  }

  deleteSecret(key: string, audit: AuditEntry): Promise<boolean> {
    return this.run(
      () => `Deleting secret ${describeKey(key)}`,
      async () => (await runStatement(statements.deleteSecret, { key, ...auditParams(audit) }, this.db)).length > 0,
    );
  }

  undeleteSecret(key: string, audit: AuditEntry): Promise<boolean> {
    return this.run(
      () => `Undeleting secret ${describeKey(key)}`,
      async () => (await runStatement(statements.undeleteSecret, { key, ...auditParams(audit) }, this.db)).length > 0,
    );
  }

  destroySecretVersions(key: string, versions: readonly number[] | undefined, audit: AuditEntry): Promise<number[]> {
    return this.run(
      () => `Destroying versions of secret ${describeKey(key)}`,
      async () => {
        const rows =
          versions === undefined
            ? await runStatement(statements.destroySecret, { key, ...auditParams(audit) }, this.db)
            : await runStatement(
                statements.destroySecretVersions,
                { key, versions: [...versions], ...auditParams(audit) },
                this.db,
              );
        return rows.map((row) => row.version);
      },
    );
  }

  purgeDeletedSecrets(deletedBefore: Date, audit: AuditEntry): Promise<string[]> {
    return this.run(
      () => 'Purging deleted secrets',
      async () => {
        const rows = await runStatement(
          statements.purgeDeletedSecrets,
          { deletedBefore, ...auditParams(audit) },
          this.db,
        );
        return rows.map((row) => row.key);
      },
    );
  }

  updateSecretMetadata(
    key: string,
    patch: SecretMetadataPatch,
    ifVersion: number | undefined,
    audit: AuditEntry,
  ): Promise<SecretMetadataRecord | undefined> {
    return this.run(
      () => `Updating the metadata of secret ${describeKey(key)}`,
      async () => {
        const [row] = await runStatement(
          statements.updateSecretMetadata,
          { key, patch: patchJson(patch), ifVersion: ifVersion ?? null, ...auditParams(audit) },
          this.db,
        );
        return row && toMetadata(row);
      },
    );
  }

  getSecretMetadata(key: string): Promise<SecretMetadataRecord | undefined> {
    return this.run(
      () => `Reading the metadata of secret ${describeKey(key)}`,
      async () => {
        const [row] = await runRead(statements.getSecretMetadata, { key }, this.db);
        return row && toMetadata(row);
      },
    );
  }

  listSecretMetadata(page: MetadataPage): Promise<SecretMetadataRecord[]> {
    return this.run(
      () => `Listing secrets with prefix ${describeKey(page.prefix)}`,
      async () => {
        const rows = await runRead(
          statements.listSecretMetadata,
          {
            lowerBound: page.prefix,
            upperBound: prefixUpperBound(page.prefix) ?? null,
            after: page.after,
            includeDeleted: page.includeDeleted,
            limit: page.limit,
          },
          this.db,
        );
        return rows.map(toMetadata);
      },
    );
  }

  listSecretsDue(until: Date): Promise<DueRecord[]> {
    return this.run(
      () => 'Listing secrets due',
      async () => {
        const rows = await runRead(statements.listSecretsDue, { until }, this.db);
        // Every branch of the UNION names the column: pgtyped cannot know they are never null.
        return rows.map((row) => ({ key: row.key as string, due: row.due as DueRecord['due'], at: row.at as Date }));
      },
    );
  }

  getSecretVersion(key: string, version: number): Promise<SecretVersionRecord | undefined> {
    return this.run(
      () => `Reading version ${version} of secret ${describeKey(key)}`,
      async () => {
        const [row] = await runRead(statements.getSecretVersion, { key, version }, this.db);
        return row && toVersionRecord(row);
      },
    );
  }

  listSecretVersions(key: string): Promise<SecretVersionInfo[]> {
    return this.run(
      () => `Listing the versions of secret ${describeKey(key)}`,
      async () => {
        const rows = await runRead(statements.listSecretVersions, { key }, this.db);
        return rows.map((row) => ({
          version: row.version,
          createdAt: row.createdAt,
          deletedAt: row.deletedAt,
          destroyed: row.destroyed === true,
        }));
      },
    );
  }

  listVersionsToRotate(
    activeKeyId: string,
    after: { key: string; version: number },
    limit: number,
    activeEncoding: SecretEncoding = 'aes-256-gcm',
  ): Promise<SecretVersionRecord[]> {
    return this.run(
      () => 'Listing secrets to re-encrypt',
      async () => {
        const rows = await runReadOnPrimary(
          statements.listVersionsToRotate,
          { activeKeyId, activeEncoding, afterKey: after.key, afterVersion: after.version, limit },
          this.db,
        );
        return rows.map(toVersionRecord);
      },
    );
  }

  reencryptVersion(from: SecretVersionRecord, value: StoredValue, audit: AuditEntry): Promise<boolean> {
    return this.run(
      () => `Re-encrypting secret ${describeKey(from.key)}`,
      async () => {
        const rows = await runStatement(
          statements.reencryptVersion,
          {
            key: from.key,
            version: from.version,
            writeId: from.writeId,
            fromEncoding: from.encoding,
            fromKeyId: from.keyId,
            valueJson: value.valueJson,
            encoding: value.encoding,
            keyId: value.keyId,
            ...auditParams(audit),
          },
          this.db,
        );
        return rows.length > 0;
      },
    );
  }

  countSecretsByEncryption(): Promise<EncryptionUsage[]> {
    return this.run(
      () => 'Counting secrets by encryption key',
      async () => {
        const rows = await runReadOnPrimary(statements.countSecretsByEncryption, undefined, this.db);
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
      () => runReadOnPrimary(statements.getKeyFingerprints, undefined, this.db),
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

  appendAuditRecord(entry: AuditEntry, versions: readonly number[], keys: readonly string[]): Promise<void> {
    return this.run(
      () => 'Recording an audit record',
      async () => {
        await runStatement(
          statements.appendAuditRecord,
          {
            ...auditParams(entry),
            operation: entry.operation,
            key: entry.key,
            writeId: entry.writeId,
            versions: [...versions],
            keys: [...keys],
          },
          this.db,
        );
      },
    );
  }

  readAuditRecords(query: { key?: string; afterSeq: number; limit: number }): Promise<AuditRecord[]> {
    return this.run(
      () => 'Reading the audit trail',
      async () => {
        const rows = await runReadOnPrimary(
          statements.readAuditRecords,
          { key: query.key ?? null, afterSeq: String(query.afterSeq), limit: query.limit },
          this.db,
        );
        return rows.map(toAuditRecord);
      },
    );
  }

  findAuditRecords(ids: readonly string[]): Promise<AuditRecord[]> {
    return this.run(
      () => 'Reading the audit trail',
      async () => {
        const rows = await runReadOnPrimary(statements.findAuditRecords, { ids: [...ids] }, this.db);
        return rows.map(toAuditRecord);
      },
    );
  }

  readUnsealedAuditRecords(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    return this.run(
      () => 'Reading the audit trail',
      async () => {
        const rows = await runReadOnPrimary(
          statements.readUnsealedAuditRecords,
          { afterSeq: String(afterSeq), limit },
          this.db,
        );
        return rows.map(toAuditRecord);
      },
    );
  }

  readSealedAuditRecords(checkpoint: number, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    return this.run(
      () => 'Reading the audit trail',
      async () => {
        const rows = await runReadOnPrimary(
          statements.readSealedAuditRecords,
          { checkpoint: String(checkpoint), afterSeq: String(afterSeq), limit },
          this.db,
        );
        return rows.map(toAuditRecord);
      },
    );
  }

  listAuditCheckpoints(): Promise<AuditCheckpoint[]> {
    return this.run(
      () => 'Reading the audit checkpoints',
      async () => {
        const rows = await runReadOnPrimary(statements.listAuditCheckpoints, undefined, this.db);
        return rows.map((row) => ({
          seq: Number(row.seqText),
          records: row.records,
          digest: row.digest,
          previousMac: row.previousMac,
          macKeyId: row.macKeyId,
          mac: row.mac,
          createdAt: row.createdAt,
        }));
      },
    );
  }

  lockAuditTrail(): Promise<void> {
    return this.run(
      () => 'Locking the audit trail',
      async () => {
        await runStatement(statements.lockAuditTrail, undefined, this.db);
      },
    );
  }

  sealAuditRecords(
    checkpoint: Omit<AuditCheckpoint, 'seq' | 'createdAt'>,
    records: readonly number[],
  ): Promise<AuditCheckpoint> {
    return this.run(
      () => 'Sealing the audit trail',
      async () => {
        const [row] = await runStatement(statements.insertAuditCheckpoint, checkpoint, this.db);
        const seq = Number(row.seqText);
        if (records.length > 0) {
          await runStatement(
            statements.sealAuditRecords,
            { checkpoint: String(seq), seqs: records.map(String) },
            this.db,
          );
        }
        return { ...checkpoint, seq, createdAt: row.createdAt };
      },
    );
  }

  resealAuditCheckpoint(seq: number, previousMac: string, macKeyId: string | null, mac: string): Promise<void> {
    return this.run(
      () => 'Sealing the audit trail again',
      async () => {
        await runStatement(
          statements.resealAuditCheckpoint,
          { checkpoint: String(seq), previousMac, macKeyId, mac },
          this.db,
        );
      },
    );
  }

  listCurrentWrites(
    afterKey: string,
    limit: number,
  ): Promise<{ key: string; version: number; writeId: string | null; auditedWriteId: string | null }[]> {
    return this.run(
      () => 'Reading the current writes',
      async () => {
        const rows = await runReadOnPrimary(statements.listCurrentWrites, { afterKey, limit }, this.db);
        return rows.map(({ key, version, writeId, auditedWriteId }) => ({ key, version, writeId, auditedWriteId }));
      },
    );
  }

  /** Over a single connection (a Client, a PoolClient) the caller's BEGIN and COMMIT are the transactions. */
  get joinsCallerTransactions(): boolean {
    return this.db.transaction === undefined;
  }

  /**
   * Every committed change, from the notifications of migration 005's triggers, heard on one connection of its
   * own that all subscriptions share. SecretStoreConfigError when the handle cannot listen.
   */
  subscribeToChanges(listener: ChangeListener): ChangeSubscription {
    if (this.#feed === undefined) throw new SecretStoreConfigError('changes', this.#changesUnavailable);
    return this.#feed.subscribe(listener);
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
