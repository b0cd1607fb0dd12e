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
  IUpsertSecretParams,
  IUpsertSecretResult,
  IDeleteSecretParams,
  IDeleteSecretResult,
  IListSecretsToRotateParams,
  IListSecretsToRotateResult,
  IReencryptSecretParams,
  IReencryptSecretResult,
  ICountSecretsByEncryptionParams,
  ICountSecretsByEncryptionResult,
  IInsertSecretIfAbsentParams,
  IInsertSecretIfAbsentResult,
  IUpdateSecretIfVersionParams,
  IUpdateSecretIfVersionResult,
  IUpsertSecretsParams,
  IUpsertSecretsResult,
  IGetKeyFingerprintsParams,
  IGetKeyFingerprintsResult,
  IRecordKeyFingerprintParams,
  IRecordKeyFingerprintResult,
} from './secret_store.queries';

export const getSecret: Statement<IGetSecretParams, IGetSecretResult> = {
  text: `SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version, created_at AS "createdAt", updated_at AS "updatedAt"
FROM secret_store
WHERE key = $1`,
  params: ['key'],
};

export const getSecretsByKeys: Statement<IGetSecretsByKeysParams, IGetSecretsByKeysResult> = {
  text: `SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version, created_at AS "createdAt", updated_at AS "updatedAt"
FROM secret_store
WHERE key = ANY($1::text[])
ORDER BY key`,
  params: ['keys'],
};

export const listSecretsInRange: Statement<IListSecretsInRangeParams, IListSecretsInRangeResult> = {
  text: `SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version, created_at AS "createdAt", updated_at AS "updatedAt"
FROM secret_store
WHERE key >= $1 AND key < $2
ORDER BY key`,
  params: ['lowerBound', 'upperBound'],
};

export const listSecretsFrom: Statement<IListSecretsFromParams, IListSecretsFromResult> = {
  text: `SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version, created_at AS "createdAt", updated_at AS "updatedAt"
FROM secret_store
WHERE key >= $1
ORDER BY key`,
  params: ['lowerBound'],
};

export const upsertSecret: Statement<IUpsertSecretParams, IUpsertSecretResult> = {
  text: `INSERT INTO secret_store (key, value, encoding, key_id, version)
VALUES (
    $1, ($2::text)::jsonb, $3, $4,
    COALESCE((SELECT last_version FROM secret_store_tombstones WHERE key = $1), 0) + 1
)
ON CONFLICT (key) DO UPDATE
SET value = EXCLUDED.value,
    encoding = EXCLUDED.encoding,
    key_id = EXCLUDED.key_id,
    version = secret_store.version + 1,
    updated_at = now()
RETURNING version`,
  params: ['key', 'valueJson', 'encoding', 'keyId'],
};

export const deleteSecret: Statement<IDeleteSecretParams, IDeleteSecretResult> = {
  text: `DELETE FROM secret_store
WHERE key = $1
RETURNING key`,
  params: ['key'],
};

export const listSecretsToRotate: Statement<IListSecretsToRotateParams, IListSecretsToRotateResult> = {
  text: `SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version, created_at AS "createdAt", updated_at AS "updatedAt"
FROM secret_store
WHERE key > $1
  AND (encoding <> 'aes-256-gcm' OR key_id <> $2)
ORDER BY key
LIMIT $3`,
  params: ['afterKey', 'activeKeyId', 'limit'],
};

export const reencryptSecret: Statement<IReencryptSecretParams, IReencryptSecretResult> = {
  text: `UPDATE secret_store
SET value = ($1::text)::jsonb,
    encoding = $2,
    key_id = $3
WHERE key = $4 AND version = $5
RETURNING key`,
  params: ['valueJson', 'encoding', 'keyId', 'key', 'version'],
};

export const countSecretsByEncryption: Statement<ICountSecretsByEncryptionParams, ICountSecretsByEncryptionResult> = {
  text: `SELECT encoding, key_id AS "keyId", count(*)::int AS secrets
FROM secret_store
GROUP BY encoding, key_id
ORDER BY encoding, key_id`,
  params: [],
};

export const insertSecretIfAbsent: Statement<IInsertSecretIfAbsentParams, IInsertSecretIfAbsentResult> = {
  text: `INSERT INTO secret_store (key, value, encoding, key_id, version)
VALUES (
    $1, ($2::text)::jsonb, $3, $4,
    COALESCE((SELECT last_version FROM secret_store_tombstones WHERE key = $1), 0) + 1
)
ON CONFLICT (key) DO NOTHING
RETURNING version`,
  params: ['key', 'valueJson', 'encoding', 'keyId'],
};

export const updateSecretIfVersion: Statement<IUpdateSecretIfVersionParams, IUpdateSecretIfVersionResult> = {
  text: `UPDATE secret_store
SET value = ($1::text)::jsonb,
    encoding = $2,
    key_id = $3,
    version = version + 1,
    updated_at = now()
WHERE key = $4 AND version = $5
RETURNING version`,
  params: ['valueJson', 'encoding', 'keyId', 'key', 'ifVersion'],
};

export const upsertSecrets: Statement<IUpsertSecretsParams, IUpsertSecretsResult> = {
  text: `INSERT INTO secret_store (key, value, encoding, key_id, version)
SELECT entry.key, entry.value, entry.encoding, entry.key_id, COALESCE(tombstone.last_version, 0) + 1
FROM jsonb_to_recordset(($1::text)::jsonb) AS entry (key text, value jsonb, encoding text, key_id text)
LEFT JOIN secret_store_tombstones AS tombstone ON tombstone.key = entry.key
ORDER BY entry.key COLLATE "C"
ON CONFLICT (key) DO UPDATE
SET value = EXCLUDED.value,
    encoding = EXCLUDED.encoding,
    key_id = EXCLUDED.key_id,
    version = secret_store.version + 1,
    updated_at = now()
RETURNING key, version`,
  params: ['entries'],
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
