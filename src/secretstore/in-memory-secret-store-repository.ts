import type { EncryptionUsage, KeyFingerprint, SecretRecord } from './secret-record';
import type { SecretStoreRepository } from './secret-store-repository';
import type { StoredValue } from './secret-record';

/** Code point order, which is the "C" collation's order (UTF-8 bytes): the order the database lists keys in. */
function compareKeys(a: string, b: string): number {
  const left = Array.from(a, (char) => char.codePointAt(0) as number);
  const right = Array.from(b, (char) => char.codePointAt(0) as number);
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    if (left[index] !== right[index]) return left[index] - right[index];
  }
  return left.length - right.length;
}

/** What one transaction may have to put back. */
interface State {
  rows: Map<string, SecretRecord>;
  tombstones: Map<string, number>;
  fingerprints: Map<string, string>;
}

function copyOf(state: State): State {
  return {
    rows: new Map(state.rows),
    tombstones: new Map(state.tombstones),
    fingerprints: new Map(state.fingerprints),
  };
}

/**
 * A SecretStoreRepository in memory, for the unit tests of code that uses a SecretStore: no database, and
 * every method does what the interface says — versions that never repeat (across deletes too), key order,
 * compare-and-set, the key fingerprints, and transactions that put everything back when their work throws.
 * Transactions run one at a time; nothing is kept beyond the process.
 *
 * ```ts
 * const store = new SecretStore(new InMemorySecretStoreRepository(), { encryption: parseEncryptionKeys(spec) });
 * ```
 */
export class InMemorySecretStoreRepository implements SecretStoreRepository {
  #state: State = { rows: new Map(), tombstones: new Map(), fingerprints: new Map() };
  #transactions: Promise<unknown> = Promise.resolve();

  #sorted(records: Iterable<SecretRecord>): SecretRecord[] {
    return [...records].sort((a, b) => compareKeys(a.key, b.key)).map((record) => ({ ...record }));
  }

  #write(key: string, value: StoredValue): SecretRecord {
    const existing = this.#state.rows.get(key);
    const now = new Date();
    const record: SecretRecord = {
      key,
      valueJson: value.valueJson,
      encoding: value.encoding,
      keyId: value.keyId,
      // A key written again after a delete continues from the version it had.
      version: existing ? existing.version + 1 : (this.#state.tombstones.get(key) ?? 0) + 1,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    this.#state.rows.set(key, record);
    return record;
  }

  getSecret(key: string): Promise<SecretRecord | undefined> {
    const record = this.#state.rows.get(key);
    return Promise.resolve(record && { ...record });
  }

  getSecretsByKeys(keys: readonly string[]): Promise<SecretRecord[]> {
    return Promise.resolve(this.#sorted(new Set(keys.flatMap((key) => this.#state.rows.get(key) ?? []))));
  }

  listSecretsByPrefix(prefix: string): Promise<SecretRecord[]> {
    return Promise.resolve(
      this.#sorted([...this.#state.rows.values()].filter((record) => record.key.startsWith(prefix))),
    );
  }

  upsertSecret(key: string, value: StoredValue): Promise<{ version: number }> {
    return Promise.resolve({ version: this.#write(key, value).version });
  }

  writeSecretIfVersion(key: string, value: StoredValue, ifVersion: number): Promise<{ version: number } | undefined> {
    if ((this.#state.rows.get(key)?.version ?? 0) !== ifVersion) return Promise.resolve(undefined);
    return Promise.resolve({ version: this.#write(key, value).version });
  }

  upsertSecrets(entries: readonly { key: string; value: StoredValue }[]): Promise<{ key: string; version: number }[]> {
    // In key order, as the database writes (and returns) them.
    const ordered = [...entries].sort((a, b) => compareKeys(a.key, b.key));
    return Promise.resolve(ordered.map(({ key, value }) => ({ key, version: this.#write(key, value).version })));
  }

  listSecretsToRotate(activeKeyId: string, afterKey: string, limit: number): Promise<SecretRecord[]> {
    const pending = [...this.#state.rows.values()].filter(
      (record) =>
        compareKeys(record.key, afterKey) > 0 && (record.encoding !== 'aes-256-gcm' || record.keyId !== activeKeyId),
    );
    return Promise.resolve(this.#sorted(pending).slice(0, limit));
  }

  reencryptSecret(key: string, version: number, value: StoredValue): Promise<boolean> {
    const existing = this.#state.rows.get(key);
    if (!existing || existing.version !== version) return Promise.resolve(false);
    this.#state.rows.set(key, {
      ...existing,
      valueJson: value.valueJson,
      encoding: value.encoding,
      keyId: value.keyId,
    });
    return Promise.resolve(true);
  }

  deleteSecret(key: string): Promise<boolean> {
    const existing = this.#state.rows.get(key);
    if (!existing) return Promise.resolve(false);
    this.#state.rows.delete(key);
    const last = this.#state.tombstones.get(key) ?? 0;
    this.#state.tombstones.set(key, Math.max(last, existing.version));
    return Promise.resolve(true);
  }

  countSecretsByEncryption(): Promise<EncryptionUsage[]> {
    const counts = new Map<string, EncryptionUsage>();
    for (const { encoding, keyId } of this.#state.rows.values()) {
      const id = `${encoding}\u0000${keyId ?? ''}`;
      const usage = counts.get(id) ?? { encoding, keyId, secrets: 0 };
      usage.secrets++;
      counts.set(id, usage);
    }
    return Promise.resolve(
      [...counts.values()].sort(
        (a, b) => compareKeys(a.encoding, b.encoding) || compareKeys(a.keyId ?? '', b.keyId ?? ''),
      ),
    );
  }

  getKeyFingerprints(): Promise<KeyFingerprint[]> {
    return Promise.resolve(
      [...this.#state.fingerprints]
        .sort(([a], [b]) => compareKeys(a, b))
        .map(([keyId, fingerprint]) => ({ keyId, fingerprint })),
    );
  }

  recordKeyFingerprint(keyId: string, fingerprint: string): Promise<string> {
    if (!this.#state.fingerprints.has(keyId)) this.#state.fingerprints.set(keyId, fingerprint);
    return Promise.resolve(this.#state.fingerprints.get(keyId) as string);
  }

  /** Runs `work` alone (transactions queue one behind another); everything is put back when it throws. */
  transaction<T>(work: (repository: SecretStoreRepository) => Promise<T>): Promise<T> {
    const run = this.#transactions.then(async () => {
      const before = copyOf(this.#state);
      try {
        return await work(this);
      } catch (error) {
        this.#state = before;
        throw error;
      }
    });
    this.#transactions = run.catch(() => undefined);
    return run;
  }
}
