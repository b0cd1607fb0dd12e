/** The queries of "sql/secret_store.sql" reduced from pgtyped's output by `npm run codegen`: never edited by hand. */
import type { Statement } from '../database/statement';
import type {
  IGetSecretParams,
  IGetSecretResult,
  IGetSecretsByKeysParams,
  IGetSecretsByKeysResult,
  IListSecretsInRangeParams,
  IListSecretsInRangeResult,
  IListSecretsFromParams,
  IListSecretsFromResult,
  IWriteSecretParams,
  IWriteSecretResult,
  IUpsertSecretsParams,
  IUpsertSecretsResult,
  IDeleteSecretParams,
  IDeleteSecretResult,
  IUndeleteSecretParams,
  IUndeleteSecretResult,
  IDestroySecretVersionsParams,
  IDestroySecretVersionsResult,
  IDestroySecretParams,
  IDestroySecretResult,
  IPurgeDeletedSecretsParams,
  IPurgeDeletedSecretsResult,
  IUpdateSecretMetadataParams,
  IUpdateSecretMetadataResult,
  IGetSecretMetadataParams,
  IGetSecretMetadataResult,
  IListSecretMetadataParams,
  IListSecretMetadataResult,
  IListSecretsDueParams,
  IListSecretsDueResult,
  IGetSecretVersionParams,
  IGetSecretVersionResult,
  IListSecretVersionsParams,
  IListSecretVersionsResult,
  IListVersionsToRotateParams,
  IListVersionsToRotateResult,
  IReencryptVersionParams,
  IReencryptVersionResult,
  ICountSecretsByEncryptionParams,
  ICountSecretsByEncryptionResult,
  IGetKeyFingerprintsParams,
  IGetKeyFingerprintsResult,
  IRecordKeyFingerprintParams,
  IRecordKeyFingerprintResult,
  IAppendAuditRecordParams,
  IAppendAuditRecordResult,
  IReadAuditRecordsParams,
  IReadAuditRecordsResult,
  IFindAuditRecordsParams,
  IFindAuditRecordsResult,
  IReadUnsealedAuditRecordsParams,
  IReadUnsealedAuditRecordsResult,
  IReadSealedAuditRecordsParams,
  IReadSealedAuditRecordsResult,
  IListAuditCheckpointsParams,
  IListAuditCheckpointsResult,
  IInsertAuditCheckpointParams,
  IInsertAuditCheckpointResult,
  ISealAuditRecordsParams,
  ISealAuditRecordsResult,
  IResealAuditCheckpointParams,
  IResealAuditCheckpointResult,
  IListCurrentWritesParams,
  IListCurrentWritesResult,
  ILockAuditTrailParams,
  ILockAuditTrailResult,
} from './secret_store.queries';

export const getSecret: Statement<IGetSecretParams, IGetSecretResult> = {
  text: `SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId", version,
       created_at AS "createdAt", updated_at AS "updatedAt", expires_at AS "expiresAt"
FROM secret_store
WHERE key = $1 AND deleted_at IS NULL AND value IS NOT NULL`,
  params: ['key'],
};

export const getSecretsByKeys: Statement<IGetSecretsByKeysParams, IGetSecretsByKeysResult> = {
  text: `SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId", version,
       expires_at AS "expiresAt"
FROM secret_store
WHERE key = ANY($1::text[]) AND deleted_at IS NULL AND value IS NOT NULL
ORDER BY key`,
  params: ['keys'],
};

export const listSecretsInRange: Statement<IListSecretsInRangeParams, IListSecretsInRangeResult> = {
  text: `SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId", version,
       expires_at AS "expiresAt"
FROM secret_store
WHERE key >= $1 AND key < $2 AND deleted_at IS NULL AND value IS NOT NULL
ORDER BY key`,
  params: ['lowerBound', 'upperBound'],
};

export const listSecretsFrom: Statement<IListSecretsFromParams, IListSecretsFromResult> = {
  text: `SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId", version,
       expires_at AS "expiresAt"
FROM secret_store
WHERE key >= $1 AND deleted_at IS NULL AND value IS NOT NULL
ORDER BY key`,
  params: ['lowerBound'],
};

export const writeSecret: Statement<IWriteSecretParams, IWriteSecretResult> = {
  text: `WITH updated AS (
  UPDATE secret_store AS s
  SET value = ($1::text)::jsonb, encoding = $2, key_id = $3, write_id = $4,
      version = s.version + 1, updated_at = now(),
      description = CASE WHEN ($5::jsonb) ? 'description' THEN ($5::jsonb)->>'description'
                         ELSE s.description END,
      tags = CASE WHEN ($5::jsonb) ? 'tags' IS NOT TRUE THEN s.tags
                  WHEN ($5::jsonb)->'tags' = 'null'::jsonb THEN '{}'::jsonb
                  ELSE jsonb_strip_nulls(s.tags || (($5::jsonb)->'tags')) END,
      expires_at = CASE WHEN ($5::jsonb) ? 'expiresAt' THEN (($5::jsonb)->>'expiresAt')::timestamptz
                        ELSE s.expires_at END,
      rotate_after = CASE WHEN ($5::jsonb) ? 'rotateAfter'
                          THEN (($5::jsonb)->>'rotateAfter')::timestamptz ELSE s.rotate_after END,
      max_versions = CASE WHEN ($5::jsonb) ? 'maxVersions'
                          THEN (($5::jsonb)->>'maxVersions')::integer ELSE s.max_versions END
  WHERE s.key = $6 AND ($7::integer) > 0 AND s.version = $7
    AND s.deleted_at IS NULL AND s.value IS NOT NULL
  RETURNING s.key, s.version, s.max_versions
), inserted AS (
  INSERT INTO secret_store AS s (
    key, value, encoding, key_id, write_id, version, description, tags, expires_at, rotate_after, max_versions
  )
  SELECT $6, ($1::text)::jsonb, $2, $3, $4,
         COALESCE((SELECT last_version FROM secret_store_tombstones WHERE key = $6), 0) + 1,
         ($5::jsonb)->>'description',
         COALESCE(jsonb_strip_nulls(NULLIF(($5::jsonb)->'tags', 'null'::jsonb)), '{}'::jsonb),
         (($5::jsonb)->>'expiresAt')::timestamptz,
         (($5::jsonb)->>'rotateAfter')::timestamptz,
         (($5::jsonb)->>'maxVersions')::integer
  WHERE ($7::integer) IS NULL OR ($7::integer) = 0
  ON CONFLICT (key) DO UPDATE
  SET value = EXCLUDED.value, encoding = EXCLUDED.encoding, key_id = EXCLUDED.key_id, write_id = EXCLUDED.write_id,
      version = s.version + 1, updated_at = now(), deleted_at = NULL,
      description = CASE WHEN ($5::jsonb) ? 'description' THEN EXCLUDED.description ELSE s.description END,
      tags = CASE WHEN ($5::jsonb) ? 'tags' IS NOT TRUE THEN s.tags
                  WHEN ($5::jsonb)->'tags' = 'null'::jsonb THEN '{}'::jsonb
                  ELSE jsonb_strip_nulls(s.tags || (($5::jsonb)->'tags')) END,
      expires_at = CASE WHEN ($5::jsonb) ? 'expiresAt' THEN EXCLUDED.expires_at ELSE s.expires_at END,
      rotate_after = CASE WHEN ($5::jsonb) ? 'rotateAfter' THEN EXCLUDED.rotate_after ELSE s.rotate_after END,
      max_versions = CASE WHEN ($5::jsonb) ? 'maxVersions' THEN EXCLUDED.max_versions ELSE s.max_versions END
  WHERE ($7::integer) IS NULL OR s.deleted_at IS NOT NULL OR s.value IS NULL
  RETURNING s.key, s.version, s.max_versions
), written AS (
  SELECT * FROM updated UNION ALL SELECT * FROM inserted
), kept AS (
  INSERT INTO secret_versions (key, version, value, encoding, key_id, write_id)
  SELECT key, version, ($1::text)::jsonb, $2, $3, $4 FROM written
), pruned AS (
  DELETE FROM secret_versions AS v
  USING written AS w
  WHERE v.key = w.key AND v.version <= w.version - COALESCE(w.max_versions, $8)
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
  SELECT $9, $10, key, $4, $11, $12, $13, $14, ARRAY[version] FROM written
)
SELECT version FROM written`,
  params: ['valueJson', 'encoding', 'keyId', 'writeId', 'metadata', 'key', 'ifVersion', 'maxVersions', 'auditId', 'operation', 'actor', 'at', 'macKeyId', 'mac'],
};

export const upsertSecrets: Statement<IUpsertSecretsParams, IUpsertSecretsResult> = {
  text: `WITH entry AS (
  SELECT * FROM jsonb_to_recordset(($1::text)::jsonb) AS entry (
    key text, value jsonb, encoding text, key_id text, write_id text,
    audit_id text, actor text, at timestamptz, mac_key_id text, mac text
  )
), written AS (
  INSERT INTO secret_store AS s (key, value, encoding, key_id, write_id, version)
  SELECT entry.key, entry.value, entry.encoding, entry.key_id, entry.write_id,
         COALESCE(tombstone.last_version, 0) + 1
  FROM entry
  LEFT JOIN secret_store_tombstones AS tombstone ON tombstone.key = entry.key
  ORDER BY entry.key COLLATE "C"
  ON CONFLICT (key) DO UPDATE
  SET value = EXCLUDED.value, encoding = EXCLUDED.encoding, key_id = EXCLUDED.key_id, write_id = EXCLUDED.write_id,
      version = s.version + 1, updated_at = now(), deleted_at = NULL
  RETURNING s.key, s.version, s.max_versions
), kept AS (
  INSERT INTO secret_versions (key, version, value, encoding, key_id, write_id)
  SELECT w.key, w.version, entry.value, entry.encoding, entry.key_id, entry.write_id
  FROM written AS w JOIN entry ON entry.key = w.key
), pruned AS (
  DELETE FROM secret_versions AS v
  USING written AS w
  WHERE v.key = w.key AND v.version <= w.version - COALESCE(w.max_versions, $2)
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
  SELECT entry.audit_id, 'set-many', w.key, entry.write_id, entry.actor, entry.at, entry.mac_key_id, entry.mac,
         ARRAY[w.version]
  FROM written AS w JOIN entry ON entry.key = w.key
)
SELECT key, version FROM written ORDER BY key`,
  params: ['entries', 'maxVersions'],
};

export const deleteSecret: Statement<IDeleteSecretParams, IDeleteSecretResult> = {
  text: `WITH deleted AS (
  UPDATE secret_store SET deleted_at = now()
  WHERE key = $1 AND deleted_at IS NULL
  RETURNING key, version
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
  SELECT $2, 'delete', key, NULL, $3, $4, $5, $6, ARRAY[version] FROM deleted
)
SELECT key FROM deleted`,
  params: ['key', 'auditId', 'actor', 'at', 'macKeyId', 'mac'],
};

export const undeleteSecret: Statement<IUndeleteSecretParams, IUndeleteSecretResult> = {
  text: `WITH undeleted AS (
  UPDATE secret_store SET deleted_at = NULL
  WHERE key = $1 AND deleted_at IS NOT NULL
  RETURNING key, version
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
  SELECT $2, 'undelete', key, NULL, $3, $4, $5, $6, ARRAY[version] FROM undeleted
)
SELECT key FROM undeleted`,
  params: ['key', 'auditId', 'actor', 'at', 'macKeyId', 'mac'],
};

export const destroySecretVersions: Statement<IDestroySecretVersionsParams, IDestroySecretVersionsResult> = {
  text: `WITH destroyed AS (
  UPDATE secret_versions SET value = NULL, destroyed_at = now()
  WHERE key = $1 AND version = ANY($2::integer[]) AND destroyed_at IS NULL
  RETURNING version
), current_value AS (
  UPDATE secret_store SET value = NULL
  WHERE key = $1 AND version IN (SELECT version FROM destroyed)
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
  SELECT $3, 'destroy', $1, NULL, $4, $5, $6, $7, array_agg(version ORDER BY version)
  FROM destroyed
  HAVING count(*) > 0
)
SELECT version FROM destroyed ORDER BY version`,
  params: ['key', 'versions', 'auditId', 'actor', 'at', 'macKeyId', 'mac'],
};

export const destroySecret: Statement<IDestroySecretParams, IDestroySecretResult> = {
  text: `WITH destroyed AS (
  UPDATE secret_versions SET value = NULL, destroyed_at = now()
  WHERE key = $1 AND destroyed_at IS NULL
  RETURNING version
), removed AS (
  DELETE FROM secret_store WHERE key = $1 RETURNING key
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
  SELECT $2, 'destroy', $1, NULL, $3, $4, $5, $6,
         COALESCE((SELECT array_agg(version ORDER BY version) FROM destroyed), '{}')
  WHERE EXISTS (SELECT 1 FROM destroyed) OR EXISTS (SELECT 1 FROM removed)
)
SELECT version FROM destroyed ORDER BY version`,
  params: ['key', 'auditId', 'actor', 'at', 'macKeyId', 'mac'],
};

export const purgeDeletedSecrets: Statement<IPurgeDeletedSecretsParams, IPurgeDeletedSecretsResult> = {
  text: `WITH purged AS (
  DELETE FROM secret_store WHERE deleted_at IS NOT NULL AND deleted_at < $1
  RETURNING key
), versions_removed AS (
  DELETE FROM secret_versions AS v USING purged AS p WHERE v.key = p.key
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, keys)
  SELECT $2, 'purge', NULL, NULL, $3, $4, $5, $6, array_agg(key ORDER BY key)
  FROM purged
  HAVING count(*) > 0
)
SELECT key FROM purged ORDER BY key`,
  params: ['deletedBefore', 'auditId', 'actor', 'at', 'macKeyId', 'mac'],
};

export const updateSecretMetadata: Statement<IUpdateSecretMetadataParams, IUpdateSecretMetadataResult> = {
  text: `WITH updated AS (
  UPDATE secret_store AS s
  SET description = CASE WHEN ($1::jsonb) ? 'description' THEN ($1::jsonb)->>'description'
                         ELSE s.description END,
      tags = CASE WHEN ($1::jsonb) ? 'tags' IS NOT TRUE THEN s.tags
                  WHEN ($1::jsonb)->'tags' = 'null'::jsonb THEN '{}'::jsonb
                  ELSE jsonb_strip_nulls(s.tags || (($1::jsonb)->'tags')) END,
      expires_at = CASE WHEN ($1::jsonb) ? 'expiresAt' THEN (($1::jsonb)->>'expiresAt')::timestamptz
                        ELSE s.expires_at END,
      rotate_after = CASE WHEN ($1::jsonb) ? 'rotateAfter'
                          THEN (($1::jsonb)->>'rotateAfter')::timestamptz ELSE s.rotate_after END,
      max_versions = CASE WHEN ($1::jsonb) ? 'maxVersions'
                          THEN (($1::jsonb)->>'maxVersions')::integer ELSE s.max_versions END
  WHERE s.key = $2 AND s.deleted_at IS NULL AND (($3::integer) IS NULL OR s.version = $3)
  RETURNING s.key, s.version, s.encoding, s.key_id, s.created_at, s.updated_at, s.deleted_at, s.description,
            s.tags, s.expires_at, s.rotate_after, s.max_versions
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
  SELECT $4, 'update-metadata', key, NULL, $5, $6, $7, $8, ARRAY[version] FROM updated
)
SELECT key, version, encoding, key_id AS "keyId", created_at AS "createdAt", updated_at AS "updatedAt",
       deleted_at AS "deletedAt", description, tags::text AS "tagsJson", expires_at AS "expiresAt",
       rotate_after AS "rotateAfter", max_versions AS "maxVersions"
FROM updated`,
  params: ['patch', 'key', 'ifVersion', 'auditId', 'actor', 'at', 'macKeyId', 'mac'],
};

export const getSecretMetadata: Statement<IGetSecretMetadataParams, IGetSecretMetadataResult> = {
  text: `SELECT key, version, encoding, key_id AS "keyId", created_at AS "createdAt", updated_at AS "updatedAt",
       deleted_at AS "deletedAt", description, tags::text AS "tagsJson", expires_at AS "expiresAt",
       rotate_after AS "rotateAfter", max_versions AS "maxVersions"
FROM secret_store
WHERE key = $1`,
  params: ['key'],
};

export const listSecretMetadata: Statement<IListSecretMetadataParams, IListSecretMetadataResult> = {
  text: `SELECT key, version, encoding, key_id AS "keyId", created_at AS "createdAt", updated_at AS "updatedAt",
       deleted_at AS "deletedAt", description, tags::text AS "tagsJson", expires_at AS "expiresAt",
       rotate_after AS "rotateAfter", max_versions AS "maxVersions"
FROM secret_store
WHERE key >= $1 AND key > $2
  AND (($3::text) IS NULL OR key < $3)
  AND ($4::boolean OR deleted_at IS NULL)
ORDER BY key
LIMIT $5`,
  params: ['lowerBound', 'after', 'upperBound', 'includeDeleted', 'limit'],
};

export const listSecretsDue: Statement<IListSecretsDueParams, IListSecretsDueResult> = {
  text: `SELECT key, 'expiresAt' AS due, expires_at AS at
FROM secret_store
WHERE deleted_at IS NULL AND expires_at <= $1
UNION ALL
SELECT key, 'rotateAfter' AS due, rotate_after AS at
FROM secret_store
WHERE deleted_at IS NULL AND rotate_after <= $1
ORDER BY at, key, due`,
  params: ['until'],
};

export const getSecretVersion: Statement<IGetSecretVersionParams, IGetSecretVersionResult> = {
  text: `SELECT key, version, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId",
       created_at AS "createdAt"
FROM secret_versions
WHERE key = $1 AND version = $2 AND value IS NOT NULL`,
  params: ['key', 'version'],
};

export const listSecretVersions: Statement<IListSecretVersionsParams, IListSecretVersionsResult> = {
  text: `SELECT v.version, v.created_at AS "createdAt", (v.destroyed_at IS NOT NULL) AS destroyed,
       CASE WHEN s.version = v.version THEN s.deleted_at END AS "deletedAt"
FROM secret_versions AS v
LEFT JOIN secret_store AS s ON s.key = v.key
WHERE v.key = $1
ORDER BY v.version DESC`,
  params: ['key'],
};

export const listVersionsToRotate: Statement<IListVersionsToRotateParams, IListVersionsToRotateResult> = {
  text: `SELECT key, version, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId",
       created_at AS "createdAt"
FROM secret_versions
WHERE value IS NOT NULL
  AND (encoding <> $1 OR key_id <> $2)
  AND (key, version) > ($3, $4)
ORDER BY key, version
LIMIT $5`,
  params: ['activeEncoding', 'activeKeyId', 'afterKey', 'afterVersion', 'limit'],
};

export const reencryptVersion: Statement<IReencryptVersionParams, IReencryptVersionResult> = {
  text: `WITH rewritten AS (
  UPDATE secret_versions
  SET value = ($1::text)::jsonb, encoding = $2, key_id = $3
  WHERE key = $4 AND version = $5 AND value IS NOT NULL
    AND write_id IS NOT DISTINCT FROM $6 AND encoding = $7
    AND key_id IS NOT DISTINCT FROM $8
  RETURNING key, version
), current_value AS (
  UPDATE secret_store AS s
  SET value = ($1::text)::jsonb, encoding = $2, key_id = $3
  FROM rewritten AS r
  WHERE s.key = r.key AND s.version = r.version AND s.value IS NOT NULL
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
  SELECT $9, 'rotate', key, $6, $10, $11, $12, $13, ARRAY[version] FROM rewritten
)
SELECT key FROM rewritten`,
  params: ['valueJson', 'encoding', 'keyId', 'key', 'version', 'writeId', 'fromEncoding', 'fromKeyId', 'auditId', 'actor', 'at', 'macKeyId', 'mac'],
};

export const countSecretsByEncryption: Statement<ICountSecretsByEncryptionParams, ICountSecretsByEncryptionResult> = {
  text: `SELECT encoding, key_id AS "keyId", count(*)::int AS secrets
FROM secret_versions
WHERE value IS NOT NULL
GROUP BY encoding, key_id
ORDER BY encoding, key_id`,
  params: [],
};

export const getKeyFingerprints: Statement<IGetKeyFingerprintsParams, IGetKeyFingerprintsResult> = {
  text: `SELECT key_id AS "keyId", fingerprint
FROM secret_store_key_fingerprints
ORDER BY key_id`,
  params: [],
};

export const recordKeyFingerprint: Statement<IRecordKeyFingerprintParams, IRecordKeyFingerprintResult> = {
  text: `INSERT INTO secret_store_key_fingerprints (key_id, fingerprint)
VALUES ($1, $2)
ON CONFLICT (key_id) DO UPDATE SET key_id = EXCLUDED.key_id
RETURNING fingerprint`,
  params: ['keyId', 'fingerprint'],
};

export const appendAuditRecord: Statement<IAppendAuditRecordParams, IAppendAuditRecordResult> = {
  text: `INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions, keys)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::integer[], $10::text[])`,
  params: ['auditId', 'operation', 'key', 'writeId', 'actor', 'at', 'macKeyId', 'mac', 'versions', 'keys'],
};

export const readAuditRecords: Statement<IReadAuditRecordsParams, IReadAuditRecordsResult> = {
  text: `SELECT seq::text AS "seqText", id, operation, key, write_id AS "writeId", actor, at, mac_key_id AS "macKeyId", mac,
       versions, keys, recorded_at AS "recordedAt", sealed_by::text AS "sealedByText"
FROM secret_audit_log
WHERE seq > ($1::text)::bigint AND (($2::text) IS NULL OR key = $2)
ORDER BY seq
LIMIT $3`,
  params: ['afterSeq', 'key', 'limit'],
};

export const findAuditRecords: Statement<IFindAuditRecordsParams, IFindAuditRecordsResult> = {
  text: `SELECT seq::text AS "seqText", id, operation, key, write_id AS "writeId", actor, at, mac_key_id AS "macKeyId", mac,
       versions, keys, recorded_at AS "recordedAt", sealed_by::text AS "sealedByText"
FROM secret_audit_log
WHERE id = ANY($1::text[])
ORDER BY seq`,
  params: ['ids'],
};

export const readUnsealedAuditRecords: Statement<IReadUnsealedAuditRecordsParams, IReadUnsealedAuditRecordsResult> = {
  text: `SELECT seq::text AS "seqText", id, operation, key, write_id AS "writeId", actor, at, mac_key_id AS "macKeyId", mac,
       versions, keys, recorded_at AS "recordedAt", sealed_by::text AS "sealedByText"
FROM secret_audit_log
WHERE sealed_by IS NULL AND seq > ($1::text)::bigint
ORDER BY seq
LIMIT $2`,
  params: ['afterSeq', 'limit'],
};

export const readSealedAuditRecords: Statement<IReadSealedAuditRecordsParams, IReadSealedAuditRecordsResult> = {
  text: `SELECT seq::text AS "seqText", id, operation, key, write_id AS "writeId", actor, at, mac_key_id AS "macKeyId", mac,
       versions, keys, recorded_at AS "recordedAt", sealed_by::text AS "sealedByText"
FROM secret_audit_log
WHERE sealed_by = ($1::text)::bigint AND seq > ($2::text)::bigint
ORDER BY seq
LIMIT $3`,
  params: ['checkpoint', 'afterSeq', 'limit'],
};

export const listAuditCheckpoints: Statement<IListAuditCheckpointsParams, IListAuditCheckpointsResult> = {
  text: `SELECT seq::text AS "seqText", records, digest, previous_mac AS "previousMac", mac_key_id AS "macKeyId", mac,
       created_at AS "createdAt"
FROM secret_audit_checkpoints
ORDER BY seq`,
  params: [],
};

export const insertAuditCheckpoint: Statement<IInsertAuditCheckpointParams, IInsertAuditCheckpointResult> = {
  text: `INSERT INTO secret_audit_checkpoints (records, digest, previous_mac, mac_key_id, mac)
VALUES ($1, $2, $3, $4, $5)
RETURNING seq::text AS "seqText", created_at AS "createdAt"`,
  params: ['records', 'digest', 'previousMac', 'macKeyId', 'mac'],
};

export const sealAuditRecords: Statement<ISealAuditRecordsParams, ISealAuditRecordsResult> = {
  text: `UPDATE secret_audit_log
SET sealed_by = ($1::text)::bigint
WHERE seq = ANY(($2::text[])::bigint[]) AND sealed_by IS NULL
RETURNING seq`,
  params: ['checkpoint', 'seqs'],
};

export const resealAuditCheckpoint: Statement<IResealAuditCheckpointParams, IResealAuditCheckpointResult> = {
  text: `UPDATE secret_audit_checkpoints
SET previous_mac = $1, mac_key_id = $2, mac = $3
WHERE seq = ($4::text)::bigint
RETURNING seq`,
  params: ['previousMac', 'macKeyId', 'mac', 'checkpoint'],
};

export const listCurrentWrites: Statement<IListCurrentWritesParams, IListCurrentWritesResult> = {
  text: `SELECT s.key, s.version, s.write_id AS "writeId", audited.write_id AS "auditedWriteId",
       audited.seq::text AS "auditedSeqText"
FROM secret_store AS s
LEFT JOIN LATERAL (
  SELECT l.write_id, l.seq FROM secret_audit_log AS l
  WHERE l.key = s.key AND l.operation IN ('set', 'set-many', 'restore')
  ORDER BY l.seq DESC LIMIT 1
) AS audited ON true
WHERE s.value IS NOT NULL AND s.key > $1
ORDER BY s.key
LIMIT $2`,
  params: ['afterKey', 'limit'],
};

export const lockAuditTrail: Statement<ILockAuditTrailParams, ILockAuditTrailResult> = {
  text: `SELECT pg_advisory_xact_lock(8315144016483791989) AS locked`,
  params: [],
};
