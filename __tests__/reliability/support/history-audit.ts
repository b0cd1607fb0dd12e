/**
 * What the tables must hold after a load with history on, read straight from them (never through the store
 * under test): each kept version made by a write the audit trail records, each audited write kept or pruned
 * by retention, and each key's value writes numbered 1, 2, 3… in trail order.
 */
import type { Pool } from 'pg';

/** The operations that write a value, and so make a key's next version. */
const VALUE_WRITES = ['set', 'set-many', 'restore'];

/** A version of a key, as "key@version", for lists a failed expectation prints. */
const at = (key: string, version: number): string => `${key}@${version}`;

/**
 * Kept versions (secret_versions rows) of keys under `prefix` with no value-write audit record of the same key,
 * version and write id: a version that appeared without its write.
 */
export async function versionsWithoutTheirWrite(pool: Pool, prefix: string): Promise<string[]> {
  const { rows } = await pool.query<{ key: string; version: number }>(
    `SELECT v.key, v.version FROM secret_versions AS v
     WHERE starts_with(v.key, $1) AND NOT EXISTS (
       SELECT 1 FROM secret_audit_log AS a
       WHERE a.key = v.key AND a.versions = ARRAY[v.version] AND a.write_id = v.write_id
         AND a.operation = ANY($2::text[]))
     ORDER BY v.key, v.version`,
    [prefix, VALUE_WRITES],
  );
  return rows.map(({ key, version }) => at(key, version));
}

/**
 * Value writes the audit trail records for keys under `prefix` whose version is neither kept with that write's
 * id nor older than retention keeps (`maxVersions` below the key's current version): a write lost from history.
 */
export async function auditedWritesNotKept(pool: Pool, prefix: string, maxVersions: number): Promise<string[]> {
  const { rows } = await pool.query<{ key: string; version: number }>(
    `SELECT a.key, a.versions[1] AS version FROM secret_audit_log AS a
     JOIN secret_store AS s ON s.key = a.key
     WHERE starts_with(a.key, $1) AND a.operation = ANY($2::text[])
       AND a.versions[1] > s.version - COALESCE(s.max_versions, $3)
       AND NOT EXISTS (
         SELECT 1 FROM secret_versions AS v
         WHERE v.key = a.key AND v.version = a.versions[1] AND v.write_id = a.write_id)
     ORDER BY a.key, a.versions[1]`,
    [prefix, VALUE_WRITES, maxVersions],
  );
  return rows.map(({ key, version }) => at(key, version));
}

/** The versions of keys under `prefix` that still hold a value, by key and version. */
export async function keptVersions(pool: Pool, prefix: string): Promise<{ key: string; version: number }[]> {
  const { rows } = await pool.query<{ key: string; version: number }>(
    `SELECT key, version FROM secret_versions
     WHERE starts_with(key, $1) AND value IS NOT NULL ORDER BY key, version`,
    [prefix],
  );
  return rows;
}

/**
 * Keys under `prefix` whose current row is not the newest kept version as that version was written (same
 * version, write id and stored value): a current value history lost, or a version the row never became.
 */
export async function currentWithoutItsVersion(pool: Pool, prefix: string): Promise<string[]> {
  const { rows } = await pool.query<{ key: string }>(
    `SELECT s.key FROM secret_store AS s
     LEFT JOIN LATERAL (
       SELECT version, write_id, value FROM secret_versions AS v
       WHERE v.key = s.key ORDER BY version DESC LIMIT 1) AS newest ON true
     WHERE starts_with(s.key, $1)
       AND (newest.version IS DISTINCT FROM s.version OR newest.write_id IS DISTINCT FROM s.write_id
            OR newest.value IS DISTINCT FROM s.value)
     ORDER BY s.key`,
    [prefix],
  );
  return rows.map(({ key }) => key);
}

export interface AuditedVersions {
  /** Each key's value-write versions, in the order the trail took the records. */
  byKey: Map<string, number[]>;
  /** Each key's current version in secret_store. */
  current: Map<string, number>;
}

/** The value-write versions the trail records for keys under `prefix`, and the keys' current versions. */
export async function auditedVersions(pool: Pool, prefix: string): Promise<AuditedVersions> {
  const records = await pool.query<{ key: string; version: number }>(
    `SELECT key, versions[1] AS version FROM secret_audit_log
     WHERE starts_with(key, $1) AND operation = ANY($2::text[]) ORDER BY seq`,
    [prefix, VALUE_WRITES],
  );
  const byKey = new Map<string, number[]>();
  for (const { key, version } of records.rows) {
    const versions = byKey.get(key);
    if (versions) versions.push(version);
    else byKey.set(key, [version]);
  }
  const stored = await pool.query<{ key: string; version: number }>(
    'SELECT key, version FROM secret_store WHERE starts_with(key, $1)',
    [prefix],
  );
  return { byKey, current: new Map(stored.rows.map(({ key, version }) => [key, version])) };
}

/**
 * Keys whose value writes are not numbered 1 to N in trail order, N being the current version: a version
 * skipped, repeated or taken out of order. Keys a version continues from (a tombstone) are not expected here.
 */
export function keysNotNumberedInOrder({ byKey, current }: AuditedVersions): string[] {
  const wrong: string[] = [];
  for (const [key, version] of current) {
    const versions = byKey.get(key) ?? [];
    if (versions.length !== version || versions.some((v, index) => v !== index + 1)) wrong.push(key);
  }
  for (const key of byKey.keys()) if (!current.has(key)) wrong.push(key);
  return wrong.sort();
}
