/*
  @name GetSecret
*/
SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version, created_at AS "createdAt", updated_at AS "updatedAt"
FROM secret_store
WHERE key = :key!;

/*
  @name GetSecretsByKeys
*/
SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version, created_at AS "createdAt", updated_at AS "updatedAt"
FROM secret_store
WHERE key = ANY(:keys!::text[])
ORDER BY key;

/*
  @name ListSecretsInRange
*/
SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version, created_at AS "createdAt", updated_at AS "updatedAt"
FROM secret_store
WHERE key >= :lowerBound! AND key < :upperBound!
ORDER BY key;

/*
  @name ListSecretsFrom
*/
SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version, created_at AS "createdAt", updated_at AS "updatedAt"
FROM secret_store
WHERE key >= :lowerBound!
ORDER BY key;

/*
  @name UpsertSecret
*/
INSERT INTO secret_store (key, value, encoding, key_id, version)
VALUES (
    :key!, (:valueJson!::text)::jsonb, :encoding!, :keyId,
    COALESCE((SELECT last_version FROM secret_store_tombstones WHERE key = :key!), 0) + 1
)
ON CONFLICT (key) DO UPDATE
SET value = EXCLUDED.value,
    encoding = EXCLUDED.encoding,
    key_id = EXCLUDED.key_id,
    version = secret_store.version + 1,
    updated_at = now()
RETURNING version;

/*
  @name DeleteSecret
*/
DELETE FROM secret_store
WHERE key = :key!
RETURNING key;

/*
  @name ListSecretsToRotate
*/
SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version, created_at AS "createdAt", updated_at AS "updatedAt"
FROM secret_store
WHERE key > :afterKey!
  AND (encoding <> 'aes-256-gcm' OR key_id <> :activeKeyId!)
ORDER BY key
LIMIT :limit!;

/*
  @name ReencryptSecret
*/
UPDATE secret_store
SET value = (:valueJson!::text)::jsonb,
    encoding = :encoding!,
    key_id = :keyId
WHERE key = :key! AND version = :version!
RETURNING key;

/*
  @name CountSecretsByEncryption
*/
SELECT encoding, key_id AS "keyId", count(*)::int AS secrets
FROM secret_store
GROUP BY encoding, key_id
ORDER BY encoding, key_id;

/*
  @name InsertSecretIfAbsent
*/
INSERT INTO secret_store (key, value, encoding, key_id, version)
VALUES (
    :key!, (:valueJson!::text)::jsonb, :encoding!, :keyId,
    COALESCE((SELECT last_version FROM secret_store_tombstones WHERE key = :key!), 0) + 1
)
ON CONFLICT (key) DO NOTHING
RETURNING version;

/*
  @name UpdateSecretIfVersion
*/
UPDATE secret_store
SET value = (:valueJson!::text)::jsonb,
    encoding = :encoding!,
    key_id = :keyId,
    version = version + 1,
    updated_at = now()
WHERE key = :key! AND version = :ifVersion!
RETURNING version;

/*
  @name UpsertSecrets
*/
INSERT INTO secret_store (key, value, encoding, key_id, version)
SELECT entry.key, entry.value, entry.encoding, entry.key_id, COALESCE(tombstone.last_version, 0) + 1
FROM jsonb_to_recordset((:entries!::text)::jsonb) AS entry (key text, value jsonb, encoding text, key_id text)
LEFT JOIN secret_store_tombstones AS tombstone ON tombstone.key = entry.key
ORDER BY entry.key COLLATE "C"
ON CONFLICT (key) DO UPDATE
SET value = EXCLUDED.value,
    encoding = EXCLUDED.encoding,
    key_id = EXCLUDED.key_id,
    version = secret_store.version + 1,
    updated_at = now()
RETURNING key, version;

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
