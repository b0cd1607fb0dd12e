/** The audit trail's tables as stored, read with raw SQL: what tests compare before and after a change. */
import type { Queryable } from '../../src';

/** A row of secret_audit_log. */
export interface AuditRow {
  seq: number;
  operation: string;
  key: string | null;
  write_id: string | null;
  actor: string | null;
  at: Date;
  mac_key_id: string | null;
  versions: number[];
  keys: string[];
  sealed_by: number | null;
}

/** A row of secret_audit_checkpoints. */
export interface CheckpointRow {
  seq: number;
  records: number;
  digest: string;
  previous_mac: string;
  mac_key_id: string | null;
  mac: string;
}

/** The audit records after position `afterSeq`, in order. */
export async function auditRows(database: Queryable, afterSeq = 0): Promise<AuditRow[]> {
  const { rows } = await database.query(
    `SELECT seq::int AS seq, operation, key, write_id, actor, at, mac_key_id, versions, keys,
            sealed_by::int AS sealed_by
     FROM secret_audit_log WHERE seq > $1 ORDER BY seq`,
    [afterSeq],
  );
  return rows as AuditRow[];
}

/** The position of the last audit record; 0 when there is none. Positions are not reused after a TRUNCATE. */
export async function lastAuditSeq(database: Queryable): Promise<number> {
  const { rows } = await database.query('SELECT coalesce(max(seq), 0)::int AS seq FROM secret_audit_log', []);
  return (rows[0] as { seq: number }).seq;
}

/** How many audit records there are. */
export async function auditRecordCount(database: Queryable): Promise<number> {
  const { rows } = await database.query('SELECT count(*)::int AS n FROM secret_audit_log', []);
  return (rows[0] as { n: number }).n;
}

/** Every checkpoint, in order. */
export async function checkpointRows(database: Queryable): Promise<CheckpointRow[]> {
  const { rows } = await database.query(
    `SELECT seq::int AS seq, records, digest, previous_mac, mac_key_id, mac
     FROM secret_audit_checkpoints ORDER BY seq`,
    [],
  );
  return rows as CheckpointRow[];
}
