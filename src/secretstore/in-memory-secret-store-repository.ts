import { TransactionUnsupportedError } from '../errors';
import type {
  AuditCheckpoint,
  AuditEntry,
  AuditRecord,
  DueRecord,
  EncryptionUsage,
  KeyFingerprint,
  SecretEncoding,
  SecretMetadataFields,
  SecretMetadataPatch,
  SecretMetadataRecord,
  SecretRecord,
  SecretValueRecord,
  SecretVersionInfo,
  SecretVersionRecord,
  StoredValue,
  WrittenValue,
} from './secret-record';
import { compareKeys } from './key-order';
import type { BulkEntry, MetadataPage, SecretStoreRepository, WriteOptions } from './secret-store-repository';

/** ORDER BY of a nullable column: nulls last, as PostgreSQL sorts them ascending. */
function compareNullsLast(a: string | null, b: string | null): number {
  if (a === null || b === null) return Number(a === null) - Number(b === null);
  return compareKeys(a, b);
}

/** A secret's row: its current version (the value null once destroyed), metadata, and whether it is deleted. */
interface SecretRow extends SecretMetadataFields {
  key: string;
  valueJson: string | null;
  encoding: SecretEncoding;
  keyId: string | null;
  writeId: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

/** One kept version of a secret; a destroyed one keeps its record without its value. */
interface VersionRow {
  version: number;
  valueJson: string | null;
  encoding: SecretEncoding;
  keyId: string | null;
  writeId: string | null;
  createdAt: Date;
  destroyedAt: Date | null;
}

/** What one transaction may have to put back. */
interface State {
  rows: Map<string, SecretRow>;
  /** Each key's kept versions, oldest first; they outlive the row when all of them are destroyed. */
  versions: Map<string, VersionRow[]>;
  /** The last version of each key whose row was removed: a key written again continues from it. */
  tombstones: Map<string, number>;
  fingerprints: Map<string, string>;
  audit: AuditRecord[];
  checkpoints: AuditCheckpoint[];
}

/** What a repository and the views its transactions work on share. */
interface Storage {
  state: State;
  transactions: Promise<unknown>;
  // Like the database's sequences, the positions are not put back: a rolled-back record's is never given again.
  lastAuditSeq: number;
  lastCheckpointSeq: number;
}

const NO_METADATA: SecretMetadataFields = {
  description: null,
  tags: {},
  expiresAt: null,
  rotateAfter: null,
  maxVersions: null,
};

const VALUE_WRITES: ReadonlySet<AuditRecord['operation']> = new Set(['set', 'set-many', 'restore']);

/** A copy of a date from outside, so that the caller's object never becomes the repository's. */
function dateOf(date: Date | null): Date | null {
  return date && new Date(date.getTime());
}

/** Tags merged as JSON Merge Patch merges them: a tag set to null is removed, `null` removes them all. */
function mergeTags(current: Record<string, string>, patch: SecretMetadataPatch['tags']): Record<string, string> {
  if (patch === null) return {};
  const merged = new Map(Object.entries(current));
  // A tag left undefined is absent from the JSON the database is given: it stays as it is.
  for (const [name, value] of Object.entries(patch ?? {})) {
    if (value === null) merged.delete(name);
    else if (value !== undefined) merged.set(name, value);
  }
  return Object.fromEntries(merged);
}

/** `patch` applied to `current`: a field left out (or undefined, which JSON leaves out) is kept, null clears it. */
function mergeMetadata(current: SecretMetadataFields, patch: SecretMetadataPatch): SecretMetadataFields {
  return {
    description: patch.description === undefined ? current.description : patch.description,
    tags: mergeTags(current.tags, patch.tags),
    expiresAt: patch.expiresAt === undefined ? current.expiresAt : dateOf(patch.expiresAt),
    rotateAfter: patch.rotateAfter === undefined ? current.rotateAfter : dateOf(patch.rotateAfter),
    maxVersions: patch.maxVersions === undefined ? current.maxVersions : patch.maxVersions,
  };
}

/** Neither deleted nor destroyed: what reads see, and what `ifVersion: 0` refuses to write over. */
function isLive(row: SecretRow): row is SecretRow & { valueJson: string } {
  return row.deletedAt === null && row.valueJson !== null;
}

/** What a read of many returns, as the Postgres repository's queries select it: no times. */
function valueRecordOf(row: SecretRow & { valueJson: string }): SecretValueRecord {
  const { key, valueJson, encoding, keyId, writeId, version, expiresAt } = row;
  return { key, valueJson, encoding, keyId, writeId, version, expiresAt };
}

function secretRecordOf(row: SecretRow & { valueJson: string }): SecretRecord {
  return { ...valueRecordOf(row), createdAt: row.createdAt, updatedAt: row.updatedAt };
}

function metadataRecordOf(row: SecretRow): SecretMetadataRecord {
  const { key, version, encoding, keyId, createdAt, updatedAt, deletedAt } = row;
  const { description, tags, expiresAt, rotateAfter, maxVersions } = row;
  return {
    key,
    version,
    encoding,
    keyId,
    createdAt,
    updatedAt,
    deletedAt,
    description,
    tags,
    expiresAt,
    rotateAfter,
    maxVersions,
  };
}

function versionRecordOf(key: string, row: VersionRow & { valueJson: string }): SecretVersionRecord {
  const { version, valueJson, encoding, keyId, writeId, createdAt } = row;
  return { key, version, valueJson, encoding, keyId, writeId, createdAt };
}

function hasValue(row: VersionRow): row is VersionRow & { valueJson: string } {
  return row.valueJson !== null;
}

/**
 * A copy of what is handed out, dates, arrays and objects included, so that no caller can change what is
 * stored. (Not structuredClone: under a test runner its dates can come from another realm than the caller's.)
 */
function copyOf<T>(value: T): T {
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => copyOf(item)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, field]) => [name, copyOf(field)])) as T;
  }
  return value;
}

function resolved<T>(value: T): Promise<T> {
  return Promise.resolve(copyOf(value));
}

/** What a transaction puts back: its rows and records are changed in place, their dates never are. */
function snapshotOf(state: State): State {
  return {
    rows: new Map([...state.rows].map(([key, row]) => [key, { ...row }])),
    versions: new Map([...state.versions].map(([key, versions]) => [key, versions.map((version) => ({ ...version }))])),
    tombstones: new Map(state.tombstones),
    fingerprints: new Map(state.fingerprints),
    audit: state.audit.map((record) => ({ ...record })),
    checkpoints: state.checkpoints.map((checkpoint) => ({ ...checkpoint })),
  };
}

/**
 * A SecretStoreRepository in memory, for the unit tests of code that uses a SecretStore: no database, and
 * every method does what PostgresSecretStoreRepository does — versions kept, pruned and never reused (across
 * deletes, destroys and purges too), soft delete, metadata as merge patches, the audit trail and its
 * checkpoints, key order, compare-and-set, the key fingerprints, and transactions that put everything back
 * when their work throws. Transactions run one at a time, and every statement of one sees the same time, as
 * now() does; nothing is kept beyond the process.
 *
 * ```ts
 * const store = new SecretStore(new InMemorySecretStoreRepository(), { encryption: parseEncryptionKeys(spec) });
 * ```
 */
export class InMemorySecretStoreRepository implements SecretStoreRepository {
  #storage: Storage = {
    state: {
      rows: new Map(),
      versions: new Map(),
      tombstones: new Map(),
      fingerprints: new Map(),
      audit: [],
      checkpoints: [],
    },
    transactions: Promise.resolve(),
    lastAuditSeq: 0,
    lastCheckpointSeq: 0,
  };
  /** Set on the view a transaction's work is given: when it began. */
  #transactionTime: Date | undefined;

  get #state(): State {
    return this.#storage.state;
  }

  /** now(): the time the transaction began, or the time of this statement outside one. */
  #now(): Date {
    return new Date(this.#transactionTime?.getTime() ?? Date.now());
  }

  #versionsOf(key: string): VersionRow[] {
    return this.#state.versions.get(key) ?? [];
  }

  #liveRow(key: string): (SecretRow & { valueJson: string }) | undefined {
    const row = this.#state.rows.get(key);
    return row && isLive(row) ? row : undefined;
  }

  #liveRecords(keep: (key: string) => boolean): SecretValueRecord[] {
    return [...this.#state.rows.values()]
      .filter((row) => isLive(row) && keep(row.key))
      .sort((a, b) => compareKeys(a.key, b.key))
      .map((row) => valueRecordOf(row as SecretRow & { valueJson: string }));
  }

  /** Removes a secret's row; its last version is remembered, as the tombstone trigger does. */
  #removeRow(row: SecretRow): void {
    this.#state.rows.delete(row.key);
    this.#state.tombstones.set(row.key, Math.max(this.#state.tombstones.get(row.key) ?? 0, row.version));
  }

  /** Writes a new version as the current one, keeps it, and prunes the versions beyond the secret's limit. */
  #writeValue(key: string, value: WrittenValue, patch: SecretMetadataPatch, maxVersions: number, now: Date): SecretRow {
    const existing = this.#state.rows.get(key);
    const row: SecretRow = {
      ...mergeMetadata(existing ?? NO_METADATA, patch),
      key,
      valueJson: value.valueJson,
      encoding: value.encoding,
      keyId: value.keyId,
      writeId: value.writeId,
      version: existing ? existing.version + 1 : (this.#state.tombstones.get(key) ?? 0) + 1,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      deletedAt: null,
    };
    this.#state.rows.set(key, row);
    const oldestKept = row.version - (row.maxVersions ?? maxVersions);
    const kept = this.#versionsOf(key).filter((version) => version.version > oldestKept);
    const { valueJson, encoding, keyId, writeId } = value;
    kept.push({ version: row.version, valueJson, encoding, keyId, writeId, createdAt: now, destroyedAt: null });
    this.#state.versions.set(key, kept);
    return row;
  }

  /** Appends a record of `entry`, with the operation, key and write that the statement itself names. */
  #audit(
    entry: AuditEntry,
    recorded: Pick<AuditRecord, 'operation' | 'key' | 'writeId'> & {
      versions?: readonly number[];
      keys?: readonly string[];
    },
    now: Date,
  ): void {
    this.#storage.lastAuditSeq += 1;
    this.#state.audit.push({
      seq: this.#storage.lastAuditSeq,
      id: entry.id,
      operation: recorded.operation,
      key: recorded.key,
      writeId: recorded.writeId,
      actor: entry.actor,
      at: new Date(entry.at.getTime()),
      macKeyId: entry.macKeyId,
      mac: entry.mac,
      versions: [...(recorded.versions ?? [])],
      keys: [...(recorded.keys ?? [])],
      recordedAt: now,
      sealedBy: null,
    });
  }

  getSecret(key: string): Promise<SecretRecord | undefined> {
    const row = this.#liveRow(key);
    return resolved(row && secretRecordOf(row));
  }

  getSecretsByKeys(keys: readonly string[]): Promise<SecretValueRecord[]> {
    const wanted = new Set(keys);
    return resolved(this.#liveRecords((key) => wanted.has(key)));
  }

  listSecretsByPrefix(prefix: string): Promise<SecretValueRecord[]> {
    return resolved(this.#liveRecords((key) => key.startsWith(prefix)));
  }

  writeSecret(key: string, value: WrittenValue, options: WriteOptions): Promise<{ version: number } | undefined> {
    const { ifVersion, metadata, maxVersions, operation, audit } = options;
    const existing = this.#state.rows.get(key);
    const allowed =
      ifVersion === undefined ||
      (ifVersion === 0 && !(existing && isLive(existing))) ||
      (ifVersion > 0 && existing !== undefined && isLive(existing) && existing.version === ifVersion);
    if (!allowed) return resolved(undefined);
    const now = this.#now();
    // Every write the store makes has a write id; the statement stores '' for one without.
    const written = { ...value, writeId: value.writeId ?? '' };
    const { version } = this.#writeValue(key, written, metadata ?? {}, maxVersions, now);
    this.#audit(audit, { operation, key, writeId: written.writeId, versions: [version] }, now);
    return resolved({ version });
  }

  upsertSecrets(entries: readonly BulkEntry[], maxVersions: number): Promise<{ key: string; version: number }[]> {
    const now = this.#now();
    const ordered = [...entries].sort((a, b) => compareKeys(a.key, b.key));
    return resolved(
      ordered.map(({ key, value, audit }) => {
        const { version } = this.#writeValue(key, value, {}, maxVersions, now);
        this.#audit(audit, { operation: 'set-many', key, writeId: value.writeId, versions: [version] }, now);
        return { key, version };
      }),
    );
  }

  deleteSecret(key: string, audit: AuditEntry): Promise<boolean> {
    const row = this.#state.rows.get(key);
    if (!row || row.deletedAt !== null) return resolved(false);
    const now = this.#now();
    row.deletedAt = now;
    this.#audit(audit, { operation: 'delete', key, writeId: null, versions: [row.version] }, now);
    return resolved(true);
  }

  undeleteSecret(key: string, audit: AuditEntry): Promise<boolean> {
    const row = this.#state.rows.get(key);
    if (!row || row.deletedAt === null) return resolved(false);
    row.deletedAt = null;
    const now = this.#now();
    this.#audit(audit, { operation: 'undelete', key, writeId: null, versions: [row.version] }, now);
    return resolved(true);
  }

  destroySecretVersions(key: string, versions: readonly number[] | undefined, audit: AuditEntry): Promise<number[]> {
    const now = this.#now();
    const chosen = versions && new Set(versions);
    const destroyed: number[] = [];
    for (const version of this.#versionsOf(key)) {
      if (version.destroyedAt !== null || (chosen && !chosen.has(version.version))) continue;
      version.valueJson = null;
      version.destroyedAt = now;
      destroyed.push(version.version);
    }
    const row = this.#state.rows.get(key);
    if (row && !chosen) this.#removeRow(row);
    else if (row && destroyed.includes(row.version)) row.valueJson = null;
    if (destroyed.length > 0 || (row && !chosen)) {
      this.#audit(audit, { operation: 'destroy', key, writeId: null, versions: destroyed }, now);
    }
    return resolved(destroyed);
  }

  purgeDeletedSecrets(deletedBefore: Date, audit: AuditEntry): Promise<string[]> {
    const purged = [...this.#state.rows.values()]
      .filter((row) => row.deletedAt !== null && row.deletedAt.getTime() < deletedBefore.getTime())
      .sort((a, b) => compareKeys(a.key, b.key));
    for (const row of purged) {
      this.#removeRow(row);
      this.#state.versions.delete(row.key);
    }
    const keys = purged.map((row) => row.key);
    if (keys.length > 0) this.#audit(audit, { operation: 'purge', key: null, writeId: null, keys }, this.#now());
    return resolved(keys);
  }

  updateSecretMetadata(
    key: string,
    patch: SecretMetadataPatch,
    ifVersion: number | undefined,
    audit: AuditEntry,
  ): Promise<SecretMetadataRecord | undefined> {
    const row = this.#state.rows.get(key);
    if (!row || row.deletedAt !== null || (ifVersion !== undefined && row.version !== ifVersion)) {
      return resolved(undefined);
    }
    Object.assign(row, mergeMetadata(row, patch));
    this.#audit(audit, { operation: 'update-metadata', key, writeId: null, versions: [row.version] }, this.#now());
    return resolved(metadataRecordOf(row));
  }

  getSecretMetadata(key: string): Promise<SecretMetadataRecord | undefined> {
    const row = this.#state.rows.get(key);
    return resolved(row && metadataRecordOf(row));
  }

  listSecretMetadata(page: MetadataPage): Promise<SecretMetadataRecord[]> {
    const listed = [...this.#state.rows.values()]
      .filter(
        (row) =>
          row.key.startsWith(page.prefix) &&
          compareKeys(row.key, page.after) > 0 &&
          (page.includeDeleted || row.deletedAt === null),
      )
      .sort((a, b) => compareKeys(a.key, b.key));
    return resolved(listed.slice(0, page.limit).map(metadataRecordOf));
  }

  listSecretsDue(until: Date): Promise<DueRecord[]> {
    const due: DueRecord[] = [];
    for (const row of this.#state.rows.values()) {
      if (row.deletedAt !== null) continue;
      if (row.expiresAt && row.expiresAt <= until) due.push({ key: row.key, due: 'expiresAt', at: row.expiresAt });
      if (row.rotateAfter && row.rotateAfter <= until) {
        due.push({ key: row.key, due: 'rotateAfter', at: row.rotateAfter });
      }
    }
    due.sort((a, b) => a.at.getTime() - b.at.getTime() || compareKeys(a.key, b.key) || compareKeys(a.due, b.due));
    return resolved(due);
  }

  getSecretVersion(key: string, version: number): Promise<SecretVersionRecord | undefined> {
    const row = this.#versionsOf(key).find((kept) => kept.version === version);
    return resolved(row && hasValue(row) ? versionRecordOf(key, row) : undefined);
  }

  listSecretVersions(key: string): Promise<SecretVersionInfo[]> {
    const current = this.#state.rows.get(key);
    const infos = this.#versionsOf(key).map(({ version, createdAt, destroyedAt }) => ({
      version,
      createdAt,
      deletedAt: current?.version === version ? current.deletedAt : null,
      destroyed: destroyedAt !== null,
    }));
    return resolved(infos.reverse());
  }

  listVersionsToRotate(
    activeKeyId: string,
    after: { key: string; version: number },
    limit: number,
    activeEncoding: SecretEncoding = 'aes-256-gcm',
  ): Promise<SecretVersionRecord[]> {
    const pending: SecretVersionRecord[] = [];
    for (const [key, versions] of this.#state.versions) {
      const byKey = compareKeys(key, after.key);
      for (const row of versions) {
        // key_id <> $1 is not true of a null key id, which only an encrypted row could (but never does) have.
        const stale = row.encoding !== activeEncoding || (row.keyId !== null && row.keyId !== activeKeyId);
        const later = byKey > 0 || (byKey === 0 && row.version > after.version);
        if (stale && later && hasValue(row)) pending.push(versionRecordOf(key, row));
      }
    }
    pending.sort((a, b) => compareKeys(a.key, b.key) || a.version - b.version);
    return resolved(pending.slice(0, limit));
  }

  reencryptVersion(from: SecretVersionRecord, value: StoredValue, audit: AuditEntry): Promise<boolean> {
    const row = this.#versionsOf(from.key).find((kept) => kept.version === from.version);
    const unchanged =
      row !== undefined &&
      row.valueJson !== null &&
      row.writeId === from.writeId &&
      row.encoding === from.encoding &&
      row.keyId === from.keyId;
    if (!unchanged) return resolved(false);
    const { valueJson, encoding, keyId } = value;
    Object.assign(row, { valueJson, encoding, keyId });
    const current = this.#state.rows.get(from.key);
    if (current?.version === from.version && current.valueJson !== null) {
      Object.assign(current, { valueJson, encoding, keyId });
    }
    this.#audit(
      audit,
      { operation: 'rotate', key: from.key, writeId: from.writeId, versions: [from.version] },
      this.#now(),
    );
    return resolved(true);
  }

  countSecretsByEncryption(): Promise<EncryptionUsage[]> {
    const counts = new Map<string, EncryptionUsage>();
    for (const versions of this.#state.versions.values()) {
      for (const { encoding, keyId } of versions.filter(hasValue)) {
        const id = `${encoding}\u0000${keyId ?? ''}`;
        const usage = counts.get(id) ?? { encoding, keyId, secrets: 0 };
        usage.secrets++;
        counts.set(id, usage);
      }
    }
    return resolved(
      [...counts.values()].sort((a, b) => compareKeys(a.encoding, b.encoding) || compareNullsLast(a.keyId, b.keyId)),
    );
  }

  getKeyFingerprints(): Promise<KeyFingerprint[]> {
    return resolved(
      [...this.#state.fingerprints]
        .sort(([a], [b]) => compareKeys(a, b))
        .map(([keyId, fingerprint]) => ({ keyId, fingerprint })),
    );
  }

  recordKeyFingerprint(keyId: string, fingerprint: string): Promise<string> {
    if (!this.#state.fingerprints.has(keyId)) this.#state.fingerprints.set(keyId, fingerprint);
    return resolved(this.#state.fingerprints.get(keyId) as string);
  }

  appendAuditRecord(entry: AuditEntry, versions: readonly number[], keys: readonly string[]): Promise<void> {
    const { operation, key, writeId } = entry;
    this.#audit(entry, { operation, key, writeId, versions, keys }, this.#now());
    return resolved(undefined);
  }

  readAuditRecords(query: { key?: string; afterSeq: number; limit: number }): Promise<AuditRecord[]> {
    const { key, afterSeq, limit } = query;
    const records = this.#state.audit.filter(
      (record) => record.seq > afterSeq && (key === undefined || record.key === key),
    );
    return resolved(records.slice(0, limit));
  }

  findAuditRecords(ids: readonly string[]): Promise<AuditRecord[]> {
    const wanted = new Set(ids);
    return resolved(this.#state.audit.filter((record) => wanted.has(record.id)));
  }

  readUnsealedAuditRecords(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const records = this.#state.audit.filter((record) => record.seq > afterSeq && record.sealedBy === null);
    return resolved(records.slice(0, limit));
  }

  readSealedAuditRecords(checkpoint: number, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const records = this.#state.audit.filter((record) => record.seq > afterSeq && record.sealedBy === checkpoint);
    return resolved(records.slice(0, limit));
  }

  listAuditCheckpoints(): Promise<AuditCheckpoint[]> {
    return resolved(this.#state.checkpoints);
  }

  /** Transactions run one at a time already: no other sealer can be inside one. */
  lockAuditTrail(): Promise<void> {
    return resolved(undefined);
  }

  sealAuditRecords(
    checkpoint: Omit<AuditCheckpoint, 'seq' | 'createdAt'>,
    records: readonly number[],
  ): Promise<AuditCheckpoint> {
    this.#storage.lastCheckpointSeq += 1;
    const { records: count, digest, previousMac, macKeyId, mac } = checkpoint;
    const sealed: AuditCheckpoint = {
      seq: this.#storage.lastCheckpointSeq,
      records: count,
      digest,
      previousMac,
      macKeyId,
      mac,
      createdAt: this.#now(),
    };
    this.#state.checkpoints.push(sealed);
    const seqs = new Set(records);
    for (const record of this.#state.audit) {
      if (seqs.has(record.seq) && record.sealedBy === null) record.sealedBy = sealed.seq;
    }
    return resolved(sealed);
  }

  resealAuditCheckpoint(seq: number, previousMac: string, macKeyId: string | null, mac: string): Promise<void> {
    const checkpoint = this.#state.checkpoints.find((sealed) => sealed.seq === seq);
    if (checkpoint) Object.assign(checkpoint, { previousMac, macKeyId, mac });
    return resolved(undefined);
  }

  listCurrentWrites(
    afterKey: string,
    limit: number,
  ): Promise<{ key: string; version: number; writeId: string | null; auditedWriteId: string | null }[]> {
    const current = [...this.#state.rows.values()]
      .filter((row) => row.valueJson !== null && compareKeys(row.key, afterKey) > 0)
      .sort((a, b) => compareKeys(a.key, b.key))
      .slice(0, limit);
    return resolved(
      current.map(({ key, version, writeId }) => {
        const audited = this.#state.audit.findLast(
          (record) => record.key === key && VALUE_WRITES.has(record.operation),
        );
        return { key, version, writeId, auditedWriteId: audited?.writeId ?? null };
      }),
    );
  }

  /**
   * Runs `work` alone (transactions queue one behind another) on a view whose statements all see the time it
   * began; everything is put back when it throws.
   */
  transaction<T>(work: (repository: SecretStoreRepository) => Promise<T>): Promise<T> {
    // Like the PostgreSQL repository a transaction's work is given, whose connection opens none of its own.
    if (this.#transactionTime) return Promise.reject(new TransactionUnsupportedError());
    const storage = this.#storage;
    const run = storage.transactions.then(async () => {
      const before = snapshotOf(storage.state);
      const inTransaction = new InMemorySecretStoreRepository();
      inTransaction.#storage = storage;
      inTransaction.#transactionTime = new Date();
      try {
        return await work(inTransaction);
      } catch (error) {
        storage.state = before;
        throw error;
      }
    });
    storage.transactions = run.catch(() => undefined);
    return run;
  }
}
