/*
  @name GetSecret
*/
SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId", version,
       created_at AS "createdAt", updated_at AS "updatedAt", expires_at AS "expiresAt"
FROM secret_store
WHERE key = :key! AND deleted_at IS NULL AND value IS NOT NULL;

/*
  @name GetSecretsByKeys
*/
SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId", version,
       expires_at AS "expiresAt"
FROM secret_store
WHERE key = ANY(:keys!::text[]) AND deleted_at IS NULL AND value IS NOT NULL
ORDER BY key;

/*
  @name ListSecretsInRange
*/
SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId", version,
       expires_at AS "expiresAt"
FROM secret_store
WHERE key >= :lowerBound! AND key < :upperBound! AND deleted_at IS NULL AND value IS NOT NULL
ORDER BY key;

/*
  @name ListSecretsFrom
*/
SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId", version,
       expires_at AS "expiresAt"
FROM secret_store
WHERE key >= :lowerBound! AND deleted_at IS NULL AND value IS NOT NULL
ORDER BY key;

/*
  @name WriteSecret
*/
WITH updated AS (
  UPDATE secret_store AS s
  SET value = (:valueJson!::text)::jsonb, encoding = :encoding!, key_id = :keyId, write_id = :writeId!,
      version = s.version + 1, updated_at = now(),
      description = CASE WHEN (:metadata::jsonb) ? 'description' THEN (:metadata::jsonb)->>'description'
                         ELSE s.description END,
      tags = CASE WHEN (:metadata::jsonb) ? 'tags' IS NOT TRUE THEN s.tags
                  WHEN (:metadata::jsonb)->'tags' = 'null'::jsonb THEN '{}'::jsonb
                  ELSE jsonb_strip_nulls(s.tags || ((:metadata::jsonb)->'tags')) END,
      expires_at = CASE WHEN (:metadata::jsonb) ? 'expiresAt' THEN ((:metadata::jsonb)->>'expiresAt')::timestamptz
                        ELSE s.expires_at END,
      rotate_after = CASE WHEN (:metadata::jsonb) ? 'rotateAfter'
                          THEN ((:metadata::jsonb)->>'rotateAfter')::timestamptz ELSE s.rotate_after END,
      max_versions = CASE WHEN (:metadata::jsonb) ? 'maxVersions'
                          THEN ((:metadata::jsonb)->>'maxVersions')::integer ELSE s.max_versions END
  WHERE s.key = :key! AND (:ifVersion::integer) > 0 AND s.version = :ifVersion
    AND s.deleted_at IS NULL AND s.value IS NOT NULL
  RETURNING s.key, s.version, s.max_versions
), inserted AS (
  INSERT INTO secret_store AS s (
    key, value, encoding, key_id, write_id, version, description, tags, expires_at, rotate_after, max_versions
  )
  SELECT :key!, (:valueJson!::text)::jsonb, :encoding!, :keyId, :writeId!,
         COALESCE((SELECT last_version FROM secret_store_tombstones WHERE key = :key!), 0) + 1,
         (:metadata::jsonb)->>'description',
         COALESCE(jsonb_strip_nulls(NULLIF((:metadata::jsonb)->'tags', 'null'::jsonb)), '{}'::jsonb),
         ((:metadata::jsonb)->>'expiresAt')::timestamptz,
         ((:metadata::jsonb)->>'rotateAfter')::timestamptz,
         ((:metadata::jsonb)->>'maxVersions')::integer
  WHERE (:ifVersion::integer) IS NULL OR (:ifVersion::integer) = 0
  ON CONFLICT (key) DO UPDATE
  SET value = EXCLUDED.value, encoding = EXCLUDED.encoding, key_id = EXCLUDED.key_id, write_id = EXCLUDED.write_id,
      version = s.version + 1, updated_at = now(), deleted_at = NULL,
      description = CASE WHEN (:metadata::jsonb) ? 'description' THEN EXCLUDED.description ELSE s.description END,
      tags = CASE WHEN (:metadata::jsonb) ? 'tags' IS NOT TRUE THEN s.tags
                  WHEN (:metadata::jsonb)->'tags' = 'null'::jsonb THEN '{}'::jsonb
                  ELSE jsonb_strip_nulls(s.tags || ((:metadata::jsonb)->'tags')) END,
      expires_at = CASE WHEN (:metadata::jsonb) ? 'expiresAt' THEN EXCLUDED.expires_at ELSE s.expires_at END,
      rotate_after = CASE WHEN (:metadata::jsonb) ? 'rotateAfter' THEN EXCLUDED.rotate_after ELSE s.rotate_after END,
      max_versions = CASE WHEN (:metadata::jsonb) ? 'maxVersions' THEN EXCLUDED.max_versions ELSE s.max_versions END
  WHERE (:ifVersion::integer) IS NULL OR s.deleted_at IS NOT NULL OR s.value IS NULL
  RETURNING s.key, s.version, s.max_versions
), written AS (
  SELECT * FROM updated UNION ALL SELECT * FROM inserted
), kept AS (
  INSERT INTO secret_versions (key, version, value, encoding, key_id, write_id)
  SELECT key, version, (:valueJson!::text)::jsonb, :encoding!, :keyId, :writeId! FROM written
), pruned AS (
  DELETE FROM secret_versions AS v
  USING written AS w
  WHERE v.key = w.key AND v.version <= w.version - COALESCE(w.max_versions, :maxVersions!)
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
  SELECT :auditId!, :operation!, key, :writeId!, :actor, :at!, :macKeyId, :mac!, ARRAY[version] FROM written
)
SELECT version FROM written;

/*
  @name UpsertSecrets
*/
WITH entry AS (
  SELECT * FROM jsonb_to_recordset((:entries!::text)::jsonb) AS entry (
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
  WHERE v.key = w.key AND v.version <= w.version - COALESCE(w.max_versions, :maxVersions!)
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
  SELECT entry.audit_id, 'set-many', w.key, entry.write_id, entry.actor, entry.at, entry.mac_key_id, entry.mac,
         ARRAY[w.version]
  FROM written AS w JOIN entry ON entry.key = w.key
)
SELECT key, version FROM written ORDER BY key;

/*
  @name DeleteSecret
*/
WITH deleted AS (
  UPDATE secret_store SET deleted_at = now()
  WHERE key = :key! AND deleted_at IS NULL
  RETURNING key, version
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
  SELECT :auditId!, 'delete', key, NULL, :actor, :at!, :macKeyId, :mac!, ARRAY[version] FROM deleted
)
SELECT key FROM deleted;

/*
  @name UndeleteSecret
*/
WITH undeleted AS (
  UPDATE secret_store SET deleted_at = NULL
  WHERE key = :key! AND deleted_at IS NOT NULL
  RETURNING key, version
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
  SELECT :auditId!, 'undelete', key, NULL, :actor, :at!, :macKeyId, :mac!, ARRAY[version] FROM undeleted
)
SELECT key FROM undeleted;

/*
  @name DestroySecretVersions
*/
WITH destroyed AS (
  UPDATE secret_versions SET value = NULL, destroyed_at = now()
  WHERE key = :key! AND version = ANY(:versions!::integer[]) AND destroyed_at IS NULL
  RETURNING version
), current_value AS (
  UPDATE secret_store SET value = NULL
  WHERE key = :key! AND version IN (SELECT version FROM destroyed)
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
  SELECT :auditId!, 'destroy', :key!, NULL, :actor, :at!, :macKeyId, :mac!, array_agg(version ORDER BY version)
  FROM destroyed
  HAVING count(*) > 0
)
SELECT version FROM destroyed ORDER BY version;

/*
  @name DestroySecret
*/
WITH destroyed AS (
  UPDATE secret_versions SET value = NULL, destroyed_at = now()
  WHERE key = :key! AND destroyed_at IS NULL
  RETURNING version
), removed AS (
  DELETE FROM secret_store WHERE key = :key! RETURNING key
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
  SELECT :auditId!, 'destroy', :key!, NULL, :actor, :at!, :macKeyId, :mac!,
         COALESCE((SELECT array_agg(version ORDER BY version) FROM destroyed), '{}')
  WHERE EXISTS (SELECT 1 FROM destroyed) OR EXISTS (SELECT 1 FROM removed)
)
SELECT version FROM destroyed ORDER BY version;

/*
  @name PurgeDeletedSecrets
*/
WITH purged AS (
  DELETE FROM secret_store WHERE deleted_at IS NOT NULL AND deleted_at < :deletedBefore!
  RETURNING key
), versions_removed AS (
  DELETE FROM secret_versions AS v USING purged AS p WHERE v.key = p.key
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, keys)
  SELECT :auditId!, 'purge', NULL, NULL, :actor, :at!, :macKeyId, :mac!, array_agg(key ORDER BY key)
  FROM purged
  HAVING count(*) > 0
)
SELECT key FROM purged ORDER BY key;

/*
  @name UpdateSecretMetadata
*/
WITH updated AS (
  UPDATE secret_store AS s
  SET description = CASE WHEN (:patch!::jsonb) ? 'description' THEN (:patch!::jsonb)->>'description'
                         ELSE s.description END,
      tags = CASE WHEN (:patch!::jsonb) ? 'tags' IS NOT TRUE THEN s.tags
                  WHEN (:patch!::jsonb)->'tags' = 'null'::jsonb THEN '{}'::jsonb
                  ELSE jsonb_strip_nulls(s.tags || ((:patch!::jsonb)->'tags')) END,
      expires_at = CASE WHEN (:patch!::jsonb) ? 'expiresAt' THEN ((:patch!::jsonb)->>'expiresAt')::timestamptz
                        ELSE s.expires_at END,
      rotate_after = CASE WHEN (:patch!::jsonb) ? 'rotateAfter'
                          THEN ((:patch!::jsonb)->>'rotateAfter')::timestamptz ELSE s.rotate_after END,
      max_versions = CASE WHEN (:patch!::jsonb) ? 'maxVersions'
                          THEN ((:patch!::jsonb)->>'maxVersions')::integer ELSE s.max_versions END
  WHERE s.key = :key! AND s.deleted_at IS NULL AND ((:ifVersion::integer) IS NULL OR s.version = :ifVersion)
  RETURNING s.key, s.version, s.encoding, s.key_id, s.created_at, s.updated_at, s.deleted_at, s.description,
            s.tags, s.expires_at, s.rotate_after, s.max_versions
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
  SELECT :auditId!, 'update-metadata', key, NULL, :actor, :at!, :macKeyId, :mac!, ARRAY[version] FROM updated
)
SELECT key, version, encoding, key_id AS "keyId", created_at AS "createdAt", updated_at AS "updatedAt",
       deleted_at AS "deletedAt", description, tags::text AS "tagsJson", expires_at AS "expiresAt",
       rotate_after AS "rotateAfter", max_versions AS "maxVersions"
FROM updated;

/*
  @name GetSecretMetadata
*/
SELECT key, version, encoding, key_id AS "keyId", created_at AS "createdAt", updated_at AS "updatedAt",
       deleted_at AS "deletedAt", description, tags::text AS "tagsJson", expires_at AS "expiresAt",
       rotate_after AS "rotateAfter", max_versions AS "maxVersions"
FROM secret_store
WHERE key = :key!;

/*
  @name ListSecretMetadata
*/
SELECT key, version, encoding, key_id AS "keyId", created_at AS "createdAt", updated_at AS "updatedAt",
       deleted_at AS "deletedAt", description, tags::text AS "tagsJson", expires_at AS "expiresAt",
       rotate_after AS "rotateAfter", max_versions AS "maxVersions"
FROM secret_store
WHERE key >= :lowerBound! AND key > :after!
  AND ((:upperBound::text) IS NULL OR key < :upperBound)
  AND (:includeDeleted!::boolean OR deleted_at IS NULL)
ORDER BY key
LIMIT :limit!;

/*
  @name ListSecretsDue
*/
SELECT key, 'expiresAt' AS due, expires_at AS at
FROM secret_store
WHERE deleted_at IS NULL AND expires_at <= :until!
UNION ALL
SELECT key, 'rotateAfter' AS due, rotate_after AS at
FROM secret_store
WHERE deleted_at IS NULL AND rotate_after <= :until!
ORDER BY at, key, due;

/*
  @name GetSecretVersion
*/
SELECT key, version, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId",
       created_at AS "createdAt"
FROM secret_versions
WHERE key = :key! AND version = :version! AND value IS NOT NULL;

/*
  @name ListSecretVersions
*/
SELECT v.version, v.created_at AS "createdAt", (v.destroyed_at IS NOT NULL) AS destroyed,
       CASE WHEN s.version = v.version THEN s.deleted_at END AS "deletedAt"
FROM secret_versions AS v
LEFT JOIN secret_store AS s ON s.key = v.key
WHERE v.key = :key!
ORDER BY v.version DESC;

/*
  @name ListVersionsToRotate
*/
SELECT key, version, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId",
       created_at AS "createdAt"
FROM secret_versions
WHERE value IS NOT NULL
  AND (encoding <> :activeEncoding! OR key_id <> :activeKeyId!)
  AND (key, version) > (:afterKey!, :afterVersion!)
ORDER BY key, version
LIMIT :limit!;

/*
  @name ReencryptVersion
*/
WITH rewritten AS (
  UPDATE secret_versions
  SET value = (:valueJson!::text)::jsonb, encoding = :encoding!, key_id = :keyId
  WHERE key = :key! AND version = :version! AND value IS NOT NULL
    AND write_id IS NOT DISTINCT FROM :writeId AND encoding = :fromEncoding!
    AND key_id IS NOT DISTINCT FROM :fromKeyId
  RETURNING key, version
), current_value AS (
  UPDATE secret_store AS s
  SET value = (:valueJson!::text)::jsonb, encoding = :encoding!, key_id = :keyId
  FROM rewritten AS r
  WHERE s.key = r.key AND s.version = r.version AND s.value IS NOT NULL
), audited AS (
  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
  SELECT :auditId!, 'rotate', key, :writeId, :actor, :at!, :macKeyId, :mac!, ARRAY[version] FROM rewritten
)
SELECT key FROM rewritten;

/*
  @name CountSecretsByEncryption
*/
SELECT encoding, key_id AS "keyId", count(*)::int AS secrets
FROM secret_versions
WHERE value IS NOT NULL
GROUP BY encoding, key_id
ORDER BY encoding, key_id;

/*
  @name GetKeyFingerprints
*/
SELECT key_id AS "keyId", fingerprint
FROM secret_store_key_fingerprints
ORDER BY key_id;

/*
  @name RecordKeyFingerprint
*/
INSERT INTO secret_store_key_fingerprints (key_id, fingerprint)
VALUES (:keyId!, :fingerprint!)
ON CONFLICT (key_id) DO UPDATE SET key_id = EXCLUDED.key_id
RETURNING fingerprint;

/*
  @name AppendAuditRecord
*/
INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions, keys)
VALUES (:auditId!, :operation!, :key, :writeId, :actor, :at!, :macKeyId, :mac!, :versions!::integer[], :keys!::text[]);

/*
  @name ReadAuditRecords
*/
SELECT seq::text AS "seqText", id, operation, key, write_id AS "writeId", actor, at, mac_key_id AS "macKeyId", mac,
       versions, keys, recorded_at AS "recordedAt", sealed_by::text AS "sealedByText"
FROM secret_audit_log
WHERE seq > (:afterSeq!::text)::bigint AND ((:key::text) IS NULL OR key = :key)
ORDER BY seq
LIMIT :limit!;

/*
  @name FindAuditRecords
*/
SELECT seq::text AS "seqText", id, operation, key, write_id AS "writeId", actor, at, mac_key_id AS "macKeyId", mac,
       versions, keys, recorded_at AS "recordedAt", sealed_by::text AS "sealedByText"
FROM secret_audit_log
WHERE id = ANY(:ids!::text[])
ORDER BY seq;

/*
  @name ReadUnsealedAuditRecords
*/
SELECT seq::text AS "seqText", id, operation, key, write_id AS "writeId", actor, at, mac_key_id AS "macKeyId", mac,
       versions, keys, recorded_at AS "recordedAt", sealed_by::text AS "sealedByText"
FROM secret_audit_log
WHERE sealed_by IS NULL AND seq > (:afterSeq!::text)::bigint
ORDER BY seq
LIMIT :limit!;

/*
  @name ReadSealedAuditRecords
*/
SELECT seq::text AS "seqText", id, operation, key, write_id AS "writeId", actor, at, mac_key_id AS "macKeyId", mac,
       versions, keys, recorded_at AS "recordedAt", sealed_by::text AS "sealedByText"
FROM secret_audit_log
WHERE sealed_by = (:checkpoint!::text)::bigint AND seq > (:afterSeq!::text)::bigint
ORDER BY seq
LIMIT :limit!;

/*
  @name ListAuditCheckpoints
*/
SELECT seq::text AS "seqText", records, digest, previous_mac AS "previousMac", mac_key_id AS "macKeyId", mac,
       created_at AS "createdAt"
FROM secret_audit_checkpoints
ORDER BY seq;

/*
  @name InsertAuditCheckpoint
*/
INSERT INTO secret_audit_checkpoints (records, digest, previous_mac, mac_key_id, mac)
VALUES (:records!, :digest!, :previousMac!, :macKeyId, :mac!)
RETURNING seq::text AS "seqText", created_at AS "createdAt";

/*
  @name SealAuditRecords
*/
UPDATE secret_audit_log
SET sealed_by = (:checkpoint!::text)::bigint
WHERE seq = ANY((:seqs!::text[])::bigint[]) AND sealed_by IS NULL
RETURNING seq;

/*
  @name ResealAuditCheckpoint
*/
UPDATE secret_audit_checkpoints
SET previous_mac = :previousMac!, mac_key_id = :macKeyId, mac = :mac!
WHERE seq = (:checkpoint!::text)::bigint
RETURNING seq;

/*
  @name ListCurrentWrites
*/
SELECT s.key, s.version, s.write_id AS "writeId", audited.write_id AS "auditedWriteId",
       audited.seq::text AS "auditedSeqText"
FROM secret_store AS s
LEFT JOIN LATERAL (
  SELECT l.write_id, l.seq FROM secret_audit_log AS l
  WHERE l.key = s.key AND l.operation IN ('set', 'set-many', 'restore')
  ORDER BY l.seq DESC LIMIT 1
) AS audited ON true
WHERE s.value IS NOT NULL AND s.key > :afterKey!
ORDER BY s.key
LIMIT :limit!;

/*
  @name LockAuditTrail
*/
SELECT pg_advisory_xact_lock(8315144016483791989) AS locked;
