/** Types generated for queries found in "sql/secret_store.sql" */
import { PreparedQuery } from '@pgtyped/runtime';

export type DateOrString = Date | string;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type NumberOrString = number | string;

export type numberArray = (number)[];

export type stringArray = (string)[];

/** 'GetSecret' parameters type */
export interface IGetSecretParams {
  key: string;
}

/** 'GetSecret' return type */
export interface IGetSecretResult {
  createdAt: Date;
  encoding: string;
  expiresAt: Date | null;
  key: string;
  keyId: string | null;
  updatedAt: Date;
  valueJson: string | null;
  version: number;
  writeId: string | null;
}

/** 'GetSecret' query type */
export interface IGetSecretQuery {
  params: IGetSecretParams;
  result: IGetSecretResult;
}

const getSecretIR: any = {"usedParamSet":{"key":true},"params":[{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":218,"b":222}]}],"statement":"SELECT key, value::text AS \"valueJson\", encoding, key_id AS \"keyId\", write_id AS \"writeId\", version,\n       created_at AS \"createdAt\", updated_at AS \"updatedAt\", expires_at AS \"expiresAt\"\nFROM secret_store\nWHERE key = :key! AND deleted_at IS NULL AND value IS NOT NULL"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId", version,
 *        created_at AS "createdAt", updated_at AS "updatedAt", expires_at AS "expiresAt"
 * FROM secret_store
 * WHERE key = :key! AND deleted_at IS NULL AND value IS NOT NULL
 * ```
 */
export const getSecret = new PreparedQuery<IGetSecretParams,IGetSecretResult>(getSecretIR);


/** 'GetSecretsByKeys' parameters type */
export interface IGetSecretsByKeysParams {
  keys: stringArray;
}

/** 'GetSecretsByKeys' return type */
export interface IGetSecretsByKeysResult {
  encoding: string;
  expiresAt: Date | null;
  key: string;
  keyId: string | null;
  valueJson: string | null;
  version: number;
  writeId: string | null;
}

/** 'GetSecretsByKeys' query type */
export interface IGetSecretsByKeysQuery {
  params: IGetSecretsByKeysParams;
  result: IGetSecretsByKeysResult;
}

const getSecretsByKeysIR: any = {"usedParamSet":{"keys":true},"params":[{"name":"keys","required":true,"transform":{"type":"scalar"},"locs":[{"a":168,"b":173}]}],"statement":"SELECT key, value::text AS \"valueJson\", encoding, key_id AS \"keyId\", write_id AS \"writeId\", version,\n       expires_at AS \"expiresAt\"\nFROM secret_store\nWHERE key = ANY(:keys!::text[]) AND deleted_at IS NULL AND value IS NOT NULL\nORDER BY key"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId", version,
 *        expires_at AS "expiresAt"
 * FROM secret_store
 * WHERE key = ANY(:keys!::text[]) AND deleted_at IS NULL AND value IS NOT NULL
 * ORDER BY key
 * ```
 */
export const getSecretsByKeys = new PreparedQuery<IGetSecretsByKeysParams,IGetSecretsByKeysResult>(getSecretsByKeysIR);


/** 'ListSecretsInRange' parameters type */
export interface IListSecretsInRangeParams {
  lowerBound: string;
  upperBound: string;
}

/** 'ListSecretsInRange' return type */
export interface IListSecretsInRangeResult {
  encoding: string;
  expiresAt: Date | null;
  key: string;
  keyId: string | null;
  valueJson: string | null;
  version: number;
  writeId: string | null;
}

/** 'ListSecretsInRange' query type */
export interface IListSecretsInRangeQuery {
  params: IListSecretsInRangeParams;
  result: IListSecretsInRangeResult;
}

const listSecretsInRangeIR: any = {"usedParamSet":{"lowerBound":true,"upperBound":true},"params":[{"name":"lowerBound","required":true,"transform":{"type":"scalar"},"locs":[{"a":165,"b":176}]},{"name":"upperBound","required":true,"transform":{"type":"scalar"},"locs":[{"a":188,"b":199}]}],"statement":"SELECT key, value::text AS \"valueJson\", encoding, key_id AS \"keyId\", write_id AS \"writeId\", version,\n       expires_at AS \"expiresAt\"\nFROM secret_store\nWHERE key >= :lowerBound! AND key < :upperBound! AND deleted_at IS NULL AND value IS NOT NULL\nORDER BY key"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId", version,
 *        expires_at AS "expiresAt"
 * FROM secret_store
 * WHERE key >= :lowerBound! AND key < :upperBound! AND deleted_at IS NULL AND value IS NOT NULL
 * ORDER BY key
 * ```
 */
export const listSecretsInRange = new PreparedQuery<IListSecretsInRangeParams,IListSecretsInRangeResult>(listSecretsInRangeIR);


/** 'ListSecretsFrom' parameters type */
export interface IListSecretsFromParams {
  lowerBound: string;
}

/** 'ListSecretsFrom' return type */
export interface IListSecretsFromResult {
  encoding: string;
  expiresAt: Date | null;
  key: string;
  keyId: string | null;
  valueJson: string | null;
  version: number;
  writeId: string | null;
}

/** 'ListSecretsFrom' query type */
export interface IListSecretsFromQuery {
  params: IListSecretsFromParams;
  result: IListSecretsFromResult;
}

const listSecretsFromIR: any = {"usedParamSet":{"lowerBound":true},"params":[{"name":"lowerBound","required":true,"transform":{"type":"scalar"},"locs":[{"a":165,"b":176}]}],"statement":"SELECT key, value::text AS \"valueJson\", encoding, key_id AS \"keyId\", write_id AS \"writeId\", version,\n       expires_at AS \"expiresAt\"\nFROM secret_store\nWHERE key >= :lowerBound! AND deleted_at IS NULL AND value IS NOT NULL\nORDER BY key"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId", version,
 *        expires_at AS "expiresAt"
 * FROM secret_store
 * WHERE key >= :lowerBound! AND deleted_at IS NULL AND value IS NOT NULL
 * ORDER BY key
 * ```
 */
export const listSecretsFrom = new PreparedQuery<IListSecretsFromParams,IListSecretsFromResult>(listSecretsFromIR);


/** 'WriteSecret' parameters type */
export interface IWriteSecretParams {
  actor?: string | null | void;
  at: DateOrString;
  auditId: string;
  encoding: string;
  ifVersion?: number | null | void;
  key: string;
  keyId?: string | null | void;
  mac: string;
  macKeyId?: string | null | void;
  maxVersions: number;
  metadata?: Json | null | void;
  operation: string;
  valueJson: string;
  writeId: string;
}

/** 'WriteSecret' return type */
export interface IWriteSecretResult {
  version: number | null;
}

/** 'WriteSecret' query type */
export interface IWriteSecretQuery {
  params: IWriteSecretParams;
  result: IWriteSecretResult;
}

const writeSecretIR: any = {"usedParamSet":{"valueJson":true,"encoding":true,"keyId":true,"writeId":true,"metadata":true,"key":true,"ifVersion":true,"maxVersions":true,"auditId":true,"operation":true,"actor":true,"at":true,"macKeyId":true,"mac":true},"params":[{"name":"valueJson","required":true,"transform":{"type":"scalar"},"locs":[{"a":60,"b":70},{"a":1459,"b":1469},{"a":3240,"b":3250}]},{"name":"encoding","required":true,"transform":{"type":"scalar"},"locs":[{"a":98,"b":107},{"a":1486,"b":1495},{"a":3267,"b":3276}]},{"name":"keyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":119,"b":124},{"a":1498,"b":1503},{"a":3279,"b":3284}]},{"name":"writeId","required":true,"transform":{"type":"scalar"},"locs":[{"a":138,"b":146},{"a":1506,"b":1514},{"a":3287,"b":3295},{"a":3626,"b":3634}]},{"name":"metadata","required":false,"transform":{"type":"scalar"},"locs":[{"a":231,"b":239},{"a":271,"b":279},{"a":378,"b":386},{"a":453,"b":461},{"a":565,"b":573},{"a":628,"b":636},{"a":667,"b":675},{"a":792,"b":800},{"a":859,"b":867},{"a":964,"b":972},{"a":1031,"b":1039},{"a":1623,"b":1631},{"a":1702,"b":1710},{"a":1771,"b":1779},{"a":1829,"b":1837},{"a":1889,"b":1897},{"a":2247,"b":2255},{"a":2355,"b":2363},{"a":2430,"b":2438},{"a":2542,"b":2550},{"a":2605,"b":2613},{"a":2717,"b":2725},{"a":2835,"b":2843}]},{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":1115,"b":1119},{"a":1451,"b":1455},{"a":1597,"b":1601}]},{"name":"ifVersion","required":false,"transform":{"type":"scalar"},"locs":[{"a":1126,"b":1135},{"a":1167,"b":1176},{"a":1942,"b":1951},{"a":1975,"b":1984},{"a":2929,"b":2938}]},{"name":"maxVersions","required":true,"transform":{"type":"scalar"},"locs":[{"a":3457,"b":3469}]},{"name":"auditId","required":true,"transform":{"type":"scalar"},"locs":[{"a":3597,"b":3605}]},{"name":"operation","required":true,"transform":{"type":"scalar"},"locs":[{"a":3608,"b":3618}]},{"name":"actor","required":false,"transform":{"type":"scalar"},"locs":[{"a":3637,"b":3642}]},{"name":"at","required":true,"transform":{"type":"scalar"},"locs":[{"a":3645,"b":3648}]},{"name":"macKeyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":3651,"b":3659}]},{"name":"mac","required":true,"transform":{"type":"scalar"},"locs":[{"a":3662,"b":3666}]}],"statement":"WITH updated AS (\n  UPDATE secret_store AS s\n  SET value = (:valueJson!::text)::jsonb, encoding = :encoding!, key_id = :keyId, write_id = :writeId!,\n      version = s.version + 1, updated_at = now(),\n      description = CASE WHEN (:metadata::jsonb) ? 'description' THEN (:metadata::jsonb)->>'description'\n                         ELSE s.description END,\n      tags = CASE WHEN (:metadata::jsonb) ? 'tags' IS NOT TRUE THEN s.tags\n                  WHEN (:metadata::jsonb)->'tags' = 'null'::jsonb THEN '{}'::jsonb\n                  ELSE jsonb_strip_nulls(s.tags || ((:metadata::jsonb)->'tags')) END,\n      expires_at = CASE WHEN (:metadata::jsonb) ? 'expiresAt' THEN ((:metadata::jsonb)->>'expiresAt')::timestamptz\n                        ELSE s.expires_at END,\n      rotate_after = CASE WHEN (:metadata::jsonb) ? 'rotateAfter'\n                          THEN ((:metadata::jsonb)->>'rotateAfter')::timestamptz ELSE s.rotate_after END,\n      max_versions = CASE WHEN (:metadata::jsonb) ? 'maxVersions'\n                          THEN ((:metadata::jsonb)->>'maxVersions')::integer ELSE s.max_versions END\n  WHERE s.key = :key! AND (:ifVersion::integer) > 0 AND s.version = :ifVersion\n    AND s.deleted_at IS NULL AND s.value IS NOT NULL\n  RETURNING s.key, s.version, s.max_versions\n), inserted AS (\n  INSERT INTO secret_store AS s (\n    key, value, encoding, key_id, write_id, version, description, tags, expires_at, rotate_after, max_versions\n  )\n  SELECT :key!, (:valueJson!::text)::jsonb, :encoding!, :keyId, :writeId!,\n         COALESCE((SELECT last_version FROM secret_store_tombstones WHERE key = :key!), 0) + 1,\n         (:metadata::jsonb)->>'description',\n         COALESCE(jsonb_strip_nulls(NULLIF((:metadata::jsonb)->'tags', 'null'::jsonb)), '{}'::jsonb),\n         ((:metadata::jsonb)->>'expiresAt')::timestamptz,\n         ((:metadata::jsonb)->>'rotateAfter')::timestamptz,\n         ((:metadata::jsonb)->>'maxVersions')::integer\n  WHERE (:ifVersion::integer) IS NULL OR (:ifVersion::integer) = 0\n  ON CONFLICT (key) DO UPDATE\n  SET value = EXCLUDED.value, encoding = EXCLUDED.encoding, key_id = EXCLUDED.key_id, write_id = EXCLUDED.write_id,\n      version = s.version + 1, updated_at = now(), deleted_at = NULL,\n      description = CASE WHEN (:metadata::jsonb) ? 'description' THEN EXCLUDED.description ELSE s.description END,\n      tags = CASE WHEN (:metadata::jsonb) ? 'tags' IS NOT TRUE THEN s.tags\n                  WHEN (:metadata::jsonb)->'tags' = 'null'::jsonb THEN '{}'::jsonb\n                  ELSE jsonb_strip_nulls(s.tags || ((:metadata::jsonb)->'tags')) END,\n      expires_at = CASE WHEN (:metadata::jsonb) ? 'expiresAt' THEN EXCLUDED.expires_at ELSE s.expires_at END,\n      rotate_after = CASE WHEN (:metadata::jsonb) ? 'rotateAfter' THEN EXCLUDED.rotate_after ELSE s.rotate_after END,\n      max_versions = CASE WHEN (:metadata::jsonb) ? 'maxVersions' THEN EXCLUDED.max_versions ELSE s.max_versions END\n  WHERE (:ifVersion::integer) IS NULL OR s.deleted_at IS NOT NULL OR s.value IS NULL\n  RETURNING s.key, s.version, s.max_versions\n), written AS (\n  SELECT * FROM updated UNION ALL SELECT * FROM inserted\n), kept AS (\n  INSERT INTO secret_versions (key, version, value, encoding, key_id, write_id)\n  SELECT key, version, (:valueJson!::text)::jsonb, :encoding!, :keyId, :writeId! FROM written\n), pruned AS (\n  DELETE FROM secret_versions AS v\n  USING written AS w\n  WHERE v.key = w.key AND v.version <= w.version - COALESCE(w.max_versions, :maxVersions!)\n), audited AS (\n  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)\n  SELECT :auditId!, :operation!, key, :writeId!, :actor, :at!, :macKeyId, :mac!, ARRAY[version] FROM written\n)\nSELECT version FROM written"};

/**
 * Query generated from SQL:
 * ```
 * WITH updated AS (
 *   UPDATE secret_store AS s
 *   SET value = (:valueJson!::text)::jsonb, encoding = :encoding!, key_id = :keyId, write_id = :writeId!,
 *       version = s.version + 1, updated_at = now(),
 *       description = CASE WHEN (:metadata::jsonb) ? 'description' THEN (:metadata::jsonb)->>'description'
 *                          ELSE s.description END,
 *       tags = CASE WHEN (:metadata::jsonb) ? 'tags' IS NOT TRUE THEN s.tags
 *                   WHEN (:metadata::jsonb)->'tags' = 'null'::jsonb THEN '{}'::jsonb
 *                   ELSE jsonb_strip_nulls(s.tags || ((:metadata::jsonb)->'tags')) END,
 *       expires_at = CASE WHEN (:metadata::jsonb) ? 'expiresAt' THEN ((:metadata::jsonb)->>'expiresAt')::timestamptz
 *                         ELSE s.expires_at END,
 *       rotate_after = CASE WHEN (:metadata::jsonb) ? 'rotateAfter'
 *                           THEN ((:metadata::jsonb)->>'rotateAfter')::timestamptz ELSE s.rotate_after END,
 *       max_versions = CASE WHEN (:metadata::jsonb) ? 'maxVersions'
 *                           THEN ((:metadata::jsonb)->>'maxVersions')::integer ELSE s.max_versions END
 *   WHERE s.key = :key! AND (:ifVersion::integer) > 0 AND s.version = :ifVersion
 *     AND s.deleted_at IS NULL AND s.value IS NOT NULL
 *   RETURNING s.key, s.version, s.max_versions
 * ), inserted AS (
 *   INSERT INTO secret_store AS s (
 *     key, value, encoding, key_id, write_id, version, description, tags, expires_at, rotate_after, max_versions
 *   )
 *   SELECT :key!, (:valueJson!::text)::jsonb, :encoding!, :keyId, :writeId!,
 *          COALESCE((SELECT last_version FROM secret_store_tombstones WHERE key = :key!), 0) + 1,
 *          (:metadata::jsonb)->>'description',
 *          COALESCE(jsonb_strip_nulls(NULLIF((:metadata::jsonb)->'tags', 'null'::jsonb)), '{}'::jsonb),
 *          ((:metadata::jsonb)->>'expiresAt')::timestamptz,
 *          ((:metadata::jsonb)->>'rotateAfter')::timestamptz,
 *          ((:metadata::jsonb)->>'maxVersions')::integer
 *   WHERE (:ifVersion::integer) IS NULL OR (:ifVersion::integer) = 0
 *   ON CONFLICT (key) DO UPDATE
 *   SET value = EXCLUDED.value, encoding = EXCLUDED.encoding, key_id = EXCLUDED.key_id, write_id = EXCLUDED.write_id,
 *       version = s.version + 1, updated_at = now(), deleted_at = NULL,
 *       description = CASE WHEN (:metadata::jsonb) ? 'description' THEN EXCLUDED.description ELSE s.description END,
 *       tags = CASE WHEN (:metadata::jsonb) ? 'tags' IS NOT TRUE THEN s.tags
 *                   WHEN (:metadata::jsonb)->'tags' = 'null'::jsonb THEN '{}'::jsonb
 *                   ELSE jsonb_strip_nulls(s.tags || ((:metadata::jsonb)->'tags')) END,
 *       expires_at = CASE WHEN (:metadata::jsonb) ? 'expiresAt' THEN EXCLUDED.expires_at ELSE s.expires_at END,
 *       rotate_after = CASE WHEN (:metadata::jsonb) ? 'rotateAfter' THEN EXCLUDED.rotate_after ELSE s.rotate_after END,
 *       max_versions = CASE WHEN (:metadata::jsonb) ? 'maxVersions' THEN EXCLUDED.max_versions ELSE s.max_versions END
 *   WHERE (:ifVersion::integer) IS NULL OR s.deleted_at IS NOT NULL OR s.value IS NULL
 *   RETURNING s.key, s.version, s.max_versions
 * ), written AS (
 *   SELECT * FROM updated UNION ALL SELECT * FROM inserted
 * ), kept AS (
 *   INSERT INTO secret_versions (key, version, value, encoding, key_id, write_id)
 *   SELECT key, version, (:valueJson!::text)::jsonb, :encoding!, :keyId, :writeId! FROM written
 * ), pruned AS (
 *   DELETE FROM secret_versions AS v
 *   USING written AS w
 *   WHERE v.key = w.key AND v.version <= w.version - COALESCE(w.max_versions, :maxVersions!)
 * ), audited AS (
 *   INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
 *   SELECT :auditId!, :operation!, key, :writeId!, :actor, :at!, :macKeyId, :mac!, ARRAY[version] FROM written
 * )
 * SELECT version FROM written
 * ```
 */
export const writeSecret = new PreparedQuery<IWriteSecretParams,IWriteSecretResult>(writeSecretIR);


/** 'UpsertSecrets' parameters type */
export interface IUpsertSecretsParams {
  entries: string;
  maxVersions: number;
}

/** 'UpsertSecrets' return type */
export interface IUpsertSecretsResult {
  key: string;
  version: number;
}

/** 'UpsertSecrets' query type */
export interface IUpsertSecretsQuery {
  params: IUpsertSecretsParams;
  result: IUpsertSecretsResult;
}

const upsertSecretsIR: any = {"usedParamSet":{"entries":true,"maxVersions":true},"params":[{"name":"entries","required":true,"transform":{"type":"scalar"},"locs":[{"a":52,"b":60}]},{"name":"maxVersions","required":true,"transform":{"type":"scalar"},"locs":[{"a":1222,"b":1234}]}],"statement":"WITH entry AS (\n  SELECT * FROM jsonb_to_recordset((:entries!::text)::jsonb) AS entry (\n    key text, value jsonb, encoding text, key_id text, write_id text,\n    audit_id text, actor text, at timestamptz, mac_key_id text, mac text\n  )\n), written AS (\n  INSERT INTO secret_store AS s (key, value, encoding, key_id, write_id, version)\n  SELECT entry.key, entry.value, entry.encoding, entry.key_id, entry.write_id,\n         COALESCE(tombstone.last_version, 0) + 1\n  FROM entry\n  LEFT JOIN secret_store_tombstones AS tombstone ON tombstone.key = entry.key\n  ORDER BY entry.key COLLATE \"C\"\n  ON CONFLICT (key) DO UPDATE\n  SET value = EXCLUDED.value, encoding = EXCLUDED.encoding, key_id = EXCLUDED.key_id, write_id = EXCLUDED.write_id,\n      version = s.version + 1, updated_at = now(), deleted_at = NULL\n  RETURNING s.key, s.version, s.max_versions\n), kept AS (\n  INSERT INTO secret_versions (key, version, value, encoding, key_id, write_id)\n  SELECT w.key, w.version, entry.value, entry.encoding, entry.key_id, entry.write_id\n  FROM written AS w JOIN entry ON entry.key = w.key\n), pruned AS (\n  DELETE FROM secret_versions AS v\n  USING written AS w\n  WHERE v.key = w.key AND v.version <= w.version - COALESCE(w.max_versions, :maxVersions!)\n), audited AS (\n  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)\n  SELECT entry.audit_id, 'set-many', w.key, entry.write_id, entry.actor, entry.at, entry.mac_key_id, entry.mac,\n         ARRAY[w.version]\n  FROM written AS w JOIN entry ON entry.key = w.key\n)\nSELECT key, version FROM written ORDER BY key"};

/**
 * Query generated from SQL:
 * ```
 * WITH entry AS (
 *   SELECT * FROM jsonb_to_recordset((:entries!::text)::jsonb) AS entry (
 *     key text, value jsonb, encoding text, key_id text, write_id text,
 *     audit_id text, actor text, at timestamptz, mac_key_id text, mac text
 *   )
 * ), written AS (
 *   INSERT INTO secret_store AS s (key, value, encoding, key_id, write_id, version)
 *   SELECT entry.key, entry.value, entry.encoding, entry.key_id, entry.write_id,
 *          COALESCE(tombstone.last_version, 0) + 1
 *   FROM entry
 *   LEFT JOIN secret_store_tombstones AS tombstone ON tombstone.key = entry.key
 *   ORDER BY entry.key COLLATE "C"
 *   ON CONFLICT (key) DO UPDATE
 *   SET value = EXCLUDED.value, encoding = EXCLUDED.encoding, key_id = EXCLUDED.key_id, write_id = EXCLUDED.write_id,
 *       version = s.version + 1, updated_at = now(), deleted_at = NULL
 *   RETURNING s.key, s.version, s.max_versions
 * ), kept AS (
 *   INSERT INTO secret_versions (key, version, value, encoding, key_id, write_id)
 *   SELECT w.key, w.version, entry.value, entry.encoding, entry.key_id, entry.write_id
 *   FROM written AS w JOIN entry ON entry.key = w.key
 * ), pruned AS (
 *   DELETE FROM secret_versions AS v
 *   USING written AS w
 *   WHERE v.key = w.key AND v.version <= w.version - COALESCE(w.max_versions, :maxVersions!)
 * ), audited AS (
 *   INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
 *   SELECT entry.audit_id, 'set-many', w.key, entry.write_id, entry.actor, entry.at, entry.mac_key_id, entry.mac,
 *          ARRAY[w.version]
 *   FROM written AS w JOIN entry ON entry.key = w.key
 * )
 * SELECT key, version FROM written ORDER BY key
 * ```
 */
export const upsertSecrets = new PreparedQuery<IUpsertSecretsParams,IUpsertSecretsResult>(upsertSecretsIR);


/** 'DeleteSecret' parameters type */
export interface IDeleteSecretParams {
  actor?: string | null | void;
  at: DateOrString;
  auditId: string;
  key: string;
  mac: string;
  macKeyId?: string | null | void;
}

/** 'DeleteSecret' return type */
export interface IDeleteSecretResult {
  key: string;
}

/** 'DeleteSecret' query type */
export interface IDeleteSecretQuery {
  params: IDeleteSecretParams;
  result: IDeleteSecretResult;
}

const deleteSecretIR: any = {"usedParamSet":{"key":true,"auditId":true,"actor":true,"at":true,"macKeyId":true,"mac":true},"params":[{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":77,"b":81}]},{"name":"auditId","required":true,"transform":{"type":"scalar"},"locs":[{"a":256,"b":264}]},{"name":"actor","required":false,"transform":{"type":"scalar"},"locs":[{"a":288,"b":293}]},{"name":"at","required":true,"transform":{"type":"scalar"},"locs":[{"a":296,"b":299}]},{"name":"macKeyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":302,"b":310}]},{"name":"mac","required":true,"transform":{"type":"scalar"},"locs":[{"a":313,"b":317}]}],"statement":"WITH deleted AS (\n  UPDATE secret_store SET deleted_at = now()\n  WHERE key = :key! AND deleted_at IS NULL\n  RETURNING key, version\n), audited AS (\n  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)\n  SELECT :auditId!, 'delete', key, NULL, :actor, :at!, :macKeyId, :mac!, ARRAY[version] FROM deleted\n)\nSELECT key FROM deleted"};

/**
 * Query generated from SQL:
 * ```
 * WITH deleted AS (
 *   UPDATE secret_store SET deleted_at = now()
 *   WHERE key = :key! AND deleted_at IS NULL
 *   RETURNING key, version
 * ), audited AS (
 *   INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
 *   SELECT :auditId!, 'delete', key, NULL, :actor, :at!, :macKeyId, :mac!, ARRAY[version] FROM deleted
 * )
 * SELECT key FROM deleted
 * ```
 */
export const deleteSecret = new PreparedQuery<IDeleteSecretParams,IDeleteSecretResult>(deleteSecretIR);


/** 'UndeleteSecret' parameters type */
export interface IUndeleteSecretParams {
  actor?: string | null | void;
  at: DateOrString;
  auditId: string;
  key: string;
  mac: string;
  macKeyId?: string | null | void;
}

/** 'UndeleteSecret' return type */
export interface IUndeleteSecretResult {
  key: string;
}

/** 'UndeleteSecret' query type */
export interface IUndeleteSecretQuery {
  params: IUndeleteSecretParams;
  result: IUndeleteSecretResult;
}

const undeleteSecretIR: any = {"usedParamSet":{"key":true,"auditId":true,"actor":true,"at":true,"macKeyId":true,"mac":true},"params":[{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":78,"b":82}]},{"name":"auditId","required":true,"transform":{"type":"scalar"},"locs":[{"a":261,"b":269}]},{"name":"actor","required":false,"transform":{"type":"scalar"},"locs":[{"a":295,"b":300}]},{"name":"at","required":true,"transform":{"type":"scalar"},"locs":[{"a":303,"b":306}]},{"name":"macKeyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":309,"b":317}]},{"name":"mac","required":true,"transform":{"type":"scalar"},"locs":[{"a":320,"b":324}]}],"statement":"WITH undeleted AS (\n  UPDATE secret_store SET deleted_at = NULL\n  WHERE key = :key! AND deleted_at IS NOT NULL\n  RETURNING key, version\n), audited AS (\n  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)\n  SELECT :auditId!, 'undelete', key, NULL, :actor, :at!, :macKeyId, :mac!, ARRAY[version] FROM undeleted\n)\nSELECT key FROM undeleted"};

/**
 * Query generated from SQL:
 * ```
 * WITH undeleted AS (
 *   UPDATE secret_store SET deleted_at = NULL
 *   WHERE key = :key! AND deleted_at IS NOT NULL
 *   RETURNING key, version
 * ), audited AS (
 *   INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
 *   SELECT :auditId!, 'undelete', key, NULL, :actor, :at!, :macKeyId, :mac!, ARRAY[version] FROM undeleted
 * )
 * SELECT key FROM undeleted
 * ```
 */
export const undeleteSecret = new PreparedQuery<IUndeleteSecretParams,IUndeleteSecretResult>(undeleteSecretIR);


/** 'DestroySecretVersions' parameters type */
export interface IDestroySecretVersionsParams {
  actor?: string | null | void;
  at: DateOrString;
  auditId: string;
  key: string;
  mac: string;
  macKeyId?: string | null | void;
  versions: numberArray;
}

/** 'DestroySecretVersions' return type */
export interface IDestroySecretVersionsResult {
  version: number;
}

/** 'DestroySecretVersions' query type */
export interface IDestroySecretVersionsQuery {
  params: IDestroySecretVersionsParams;
  result: IDestroySecretVersionsResult;
}

const destroySecretVersionsIR: any = {"usedParamSet":{"key":true,"versions":true,"auditId":true,"actor":true,"at":true,"macKeyId":true,"mac":true},"params":[{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":98,"b":102},{"a":265,"b":269},{"a":465,"b":469}]},{"name":"versions","required":true,"transform":{"type":"scalar"},"locs":[{"a":122,"b":131}]},{"name":"auditId","required":true,"transform":{"type":"scalar"},"locs":[{"a":443,"b":451}]},{"name":"actor","required":false,"transform":{"type":"scalar"},"locs":[{"a":478,"b":483}]},{"name":"at","required":true,"transform":{"type":"scalar"},"locs":[{"a":486,"b":489}]},{"name":"macKeyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":492,"b":500}]},{"name":"mac","required":true,"transform":{"type":"scalar"},"locs":[{"a":503,"b":507}]}],"statement":"WITH destroyed AS (\n  UPDATE secret_versions SET value = NULL, destroyed_at = now()\n  WHERE key = :key! AND version = ANY(:versions!::integer[]) AND destroyed_at IS NULL\n  RETURNING version\n), current_value AS (\n  UPDATE secret_store SET value = NULL\n  WHERE key = :key! AND version IN (SELECT version FROM destroyed)\n), audited AS (\n  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)\n  SELECT :auditId!, 'destroy', :key!, NULL, :actor, :at!, :macKeyId, :mac!, array_agg(version ORDER BY version)\n  FROM destroyed\n  HAVING count(*) > 0\n)\nSELECT version FROM destroyed ORDER BY version"};

/**
 * Query generated from SQL:
 * ```
 * WITH destroyed AS (
 *   UPDATE secret_versions SET value = NULL, destroyed_at = now()
 *   WHERE key = :key! AND version = ANY(:versions!::integer[]) AND destroyed_at IS NULL
 *   RETURNING version
 * ), current_value AS (
 *   UPDATE secret_store SET value = NULL
 *   WHERE key = :key! AND version IN (SELECT version FROM destroyed)
 * ), audited AS (
 *   INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
 *   SELECT :auditId!, 'destroy', :key!, NULL, :actor, :at!, :macKeyId, :mac!, array_agg(version ORDER BY version)
 *   FROM destroyed
 *   HAVING count(*) > 0
 * )
 * SELECT version FROM destroyed ORDER BY version
 * ```
 */
export const destroySecretVersions = new PreparedQuery<IDestroySecretVersionsParams,IDestroySecretVersionsResult>(destroySecretVersionsIR);


/** 'DestroySecret' parameters type */
export interface IDestroySecretParams {
  actor?: string | null | void;
  at: DateOrString;
  auditId: string;
  key: string;
  mac: string;
  macKeyId?: string | null | void;
}

/** 'DestroySecret' return type */
export interface IDestroySecretResult {
  version: number;
}

/** 'DestroySecret' query type */
export interface IDestroySecretQuery {
  params: IDestroySecretParams;
  result: IDestroySecretResult;
}

const destroySecretIR: any = {"usedParamSet":{"key":true,"auditId":true,"actor":true,"at":true,"macKeyId":true,"mac":true},"params":[{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":98,"b":102},{"a":204,"b":208},{"a":371,"b":375}]},{"name":"auditId","required":true,"transform":{"type":"scalar"},"locs":[{"a":349,"b":357}]},{"name":"actor","required":false,"transform":{"type":"scalar"},"locs":[{"a":384,"b":389}]},{"name":"at","required":true,"transform":{"type":"scalar"},"locs":[{"a":392,"b":395}]},{"name":"macKeyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":398,"b":406}]},{"name":"mac","required":true,"transform":{"type":"scalar"},"locs":[{"a":409,"b":413}]}],"statement":"WITH destroyed AS (\n  UPDATE secret_versions SET value = NULL, destroyed_at = now()\n  WHERE key = :key! AND destroyed_at IS NULL\n  RETURNING version\n), removed AS (\n  DELETE FROM secret_store WHERE key = :key! RETURNING key\n), audited AS (\n  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)\n  SELECT :auditId!, 'destroy', :key!, NULL, :actor, :at!, :macKeyId, :mac!,\n         COALESCE((SELECT array_agg(version ORDER BY version) FROM destroyed), '{}')\n  WHERE EXISTS (SELECT 1 FROM destroyed) OR EXISTS (SELECT 1 FROM removed)\n)\nSELECT version FROM destroyed ORDER BY version"};

/**
 * Query generated from SQL:
 * ```
 * WITH destroyed AS (
 *   UPDATE secret_versions SET value = NULL, destroyed_at = now()
 *   WHERE key = :key! AND destroyed_at IS NULL
 *   RETURNING version
 * ), removed AS (
 *   DELETE FROM secret_store WHERE key = :key! RETURNING key
 * ), audited AS (
 *   INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
 *   SELECT :auditId!, 'destroy', :key!, NULL, :actor, :at!, :macKeyId, :mac!,
 *          COALESCE((SELECT array_agg(version ORDER BY version) FROM destroyed), '{}')
 *   WHERE EXISTS (SELECT 1 FROM destroyed) OR EXISTS (SELECT 1 FROM removed)
 * )
 * SELECT version FROM destroyed ORDER BY version
 * ```
 */
export const destroySecret = new PreparedQuery<IDestroySecretParams,IDestroySecretResult>(destroySecretIR);


/** 'PurgeDeletedSecrets' parameters type */
export interface IPurgeDeletedSecretsParams {
  actor?: string | null | void;
  at: DateOrString;
  auditId: string;
  deletedBefore: DateOrString;
  mac: string;
  macKeyId?: string | null | void;
}

/** 'PurgeDeletedSecrets' return type */
export interface IPurgeDeletedSecretsResult {
  key: string;
}

/** 'PurgeDeletedSecrets' query type */
export interface IPurgeDeletedSecretsQuery {
  params: IPurgeDeletedSecretsParams;
  result: IPurgeDeletedSecretsResult;
}

const purgeDeletedSecretsIR: any = {"usedParamSet":{"deletedBefore":true,"auditId":true,"actor":true,"at":true,"macKeyId":true,"mac":true},"params":[{"name":"deletedBefore","required":true,"transform":{"type":"scalar"},"locs":[{"a":90,"b":104}]},{"name":"auditId","required":true,"transform":{"type":"scalar"},"locs":[{"a":341,"b":349}]},{"name":"actor","required":false,"transform":{"type":"scalar"},"locs":[{"a":373,"b":378}]},{"name":"at","required":true,"transform":{"type":"scalar"},"locs":[{"a":381,"b":384}]},{"name":"macKeyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":387,"b":395}]},{"name":"mac","required":true,"transform":{"type":"scalar"},"locs":[{"a":398,"b":402}]}],"statement":"WITH purged AS (\n  DELETE FROM secret_store WHERE deleted_at IS NOT NULL AND deleted_at < :deletedBefore!\n  RETURNING key\n), versions_removed AS (\n  DELETE FROM secret_versions AS v USING purged AS p WHERE v.key = p.key\n), audited AS (\n  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, keys)\n  SELECT :auditId!, 'purge', NULL, NULL, :actor, :at!, :macKeyId, :mac!, array_agg(key ORDER BY key)\n  FROM purged\n  HAVING count(*) > 0\n)\nSELECT key FROM purged ORDER BY key"};

/**
 * Query generated from SQL:
 * ```
 * WITH purged AS (
 *   DELETE FROM secret_store WHERE deleted_at IS NOT NULL AND deleted_at < :deletedBefore!
 *   RETURNING key
 * ), versions_removed AS (
 *   DELETE FROM secret_versions AS v USING purged AS p WHERE v.key = p.key
 * ), audited AS (
 *   INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, keys)
 *   SELECT :auditId!, 'purge', NULL, NULL, :actor, :at!, :macKeyId, :mac!, array_agg(key ORDER BY key)
 *   FROM purged
 *   HAVING count(*) > 0
 * )
 * SELECT key FROM purged ORDER BY key
 * ```
 */
export const purgeDeletedSecrets = new PreparedQuery<IPurgeDeletedSecretsParams,IPurgeDeletedSecretsResult>(purgeDeletedSecretsIR);


/** 'UpdateSecretMetadata' parameters type */
export interface IUpdateSecretMetadataParams {
  actor?: string | null | void;
  at: DateOrString;
  auditId: string;
  ifVersion?: number | null | void;
  key: string;
  mac: string;
  macKeyId?: string | null | void;
  patch: Json;
}

/** 'UpdateSecretMetadata' return type */
export interface IUpdateSecretMetadataResult {
  createdAt: Date;
  deletedAt: Date | null;
  description: string | null;
  encoding: string;
  expiresAt: Date | null;
  key: string;
  keyId: string | null;
  maxVersions: number | null;
  rotateAfter: Date | null;
  tagsJson: string | null;
  updatedAt: Date;
  version: number;
}

/** 'UpdateSecretMetadata' query type */
export interface IUpdateSecretMetadataQuery {
  params: IUpdateSecretMetadataParams;
  result: IUpdateSecretMetadataResult;
}

const updateSecretMetadataIR: any = {"usedParamSet":{"patch":true,"key":true,"ifVersion":true,"auditId":true,"actor":true,"at":true,"macKeyId":true,"mac":true},"params":[{"name":"patch","required":true,"transform":{"type":"scalar"},"locs":[{"a":76,"b":82},{"a":114,"b":120},{"a":219,"b":225},{"a":292,"b":298},{"a":402,"b":408},{"a":463,"b":469},{"a":500,"b":506},{"a":623,"b":629},{"a":688,"b":694},{"a":791,"b":797},{"a":856,"b":862}]},{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":938,"b":942}]},{"name":"ifVersion","required":false,"transform":{"type":"scalar"},"locs":[{"a":975,"b":984},{"a":1019,"b":1028}]},{"name":"auditId","required":true,"transform":{"type":"scalar"},"locs":[{"a":1330,"b":1338}]},{"name":"actor","required":false,"transform":{"type":"scalar"},"locs":[{"a":1371,"b":1376}]},{"name":"at","required":true,"transform":{"type":"scalar"},"locs":[{"a":1379,"b":1382}]},{"name":"macKeyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":1385,"b":1393}]},{"name":"mac","required":true,"transform":{"type":"scalar"},"locs":[{"a":1396,"b":1400}]}],"statement":"WITH updated AS (\n  UPDATE secret_store AS s\n  SET description = CASE WHEN (:patch!::jsonb) ? 'description' THEN (:patch!::jsonb)->>'description'\n                         ELSE s.description END,\n      tags = CASE WHEN (:patch!::jsonb) ? 'tags' IS NOT TRUE THEN s.tags\n                  WHEN (:patch!::jsonb)->'tags' = 'null'::jsonb THEN '{}'::jsonb\n                  ELSE jsonb_strip_nulls(s.tags || ((:patch!::jsonb)->'tags')) END,\n      expires_at = CASE WHEN (:patch!::jsonb) ? 'expiresAt' THEN ((:patch!::jsonb)->>'expiresAt')::timestamptz\n                        ELSE s.expires_at END,\n      rotate_after = CASE WHEN (:patch!::jsonb) ? 'rotateAfter'\n                          THEN ((:patch!::jsonb)->>'rotateAfter')::timestamptz ELSE s.rotate_after END,\n      max_versions = CASE WHEN (:patch!::jsonb) ? 'maxVersions'\n                          THEN ((:patch!::jsonb)->>'maxVersions')::integer ELSE s.max_versions END\n  WHERE s.key = :key! AND s.deleted_at IS NULL AND ((:ifVersion::integer) IS NULL OR s.version = :ifVersion)\n  RETURNING s.key, s.version, s.encoding, s.key_id, s.created_at, s.updated_at, s.deleted_at, s.description,\n            s.tags, s.expires_at, s.rotate_after, s.max_versions\n), audited AS (\n  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)\n  SELECT :auditId!, 'update-metadata', key, NULL, :actor, :at!, :macKeyId, :mac!, ARRAY[version] FROM updated\n)\nSELECT key, version, encoding, key_id AS \"keyId\", created_at AS \"createdAt\", updated_at AS \"updatedAt\",\n       deleted_at AS \"deletedAt\", description, tags::text AS \"tagsJson\", expires_at AS \"expiresAt\",\n       rotate_after AS \"rotateAfter\", max_versions AS \"maxVersions\"\nFROM updated"};

/**
 * Query generated from SQL:
 * ```
 * WITH updated AS (
 *   UPDATE secret_store AS s
 *   SET description = CASE WHEN (:patch!::jsonb) ? 'description' THEN (:patch!::jsonb)->>'description'
 *                          ELSE s.description END,
 *       tags = CASE WHEN (:patch!::jsonb) ? 'tags' IS NOT TRUE THEN s.tags
 *                   WHEN (:patch!::jsonb)->'tags' = 'null'::jsonb THEN '{}'::jsonb
 *                   ELSE jsonb_strip_nulls(s.tags || ((:patch!::jsonb)->'tags')) END,
 *       expires_at = CASE WHEN (:patch!::jsonb) ? 'expiresAt' THEN ((:patch!::jsonb)->>'expiresAt')::timestamptz
 *                         ELSE s.expires_at END,
 *       rotate_after = CASE WHEN (:patch!::jsonb) ? 'rotateAfter'
 *                           THEN ((:patch!::jsonb)->>'rotateAfter')::timestamptz ELSE s.rotate_after END,
 *       max_versions = CASE WHEN (:patch!::jsonb) ? 'maxVersions'
 *                           THEN ((:patch!::jsonb)->>'maxVersions')::integer ELSE s.max_versions END
 *   WHERE s.key = :key! AND s.deleted_at IS NULL AND ((:ifVersion::integer) IS NULL OR s.version = :ifVersion)
 *   RETURNING s.key, s.version, s.encoding, s.key_id, s.created_at, s.updated_at, s.deleted_at, s.description,
 *             s.tags, s.expires_at, s.rotate_after, s.max_versions
 * ), audited AS (
 *   INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
 *   SELECT :auditId!, 'update-metadata', key, NULL, :actor, :at!, :macKeyId, :mac!, ARRAY[version] FROM updated
 * )
 * SELECT key, version, encoding, key_id AS "keyId", created_at AS "createdAt", updated_at AS "updatedAt",
 *        deleted_at AS "deletedAt", description, tags::text AS "tagsJson", expires_at AS "expiresAt",
 *        rotate_after AS "rotateAfter", max_versions AS "maxVersions"
 * FROM updated
 * ```
 */
export const updateSecretMetadata = new PreparedQuery<IUpdateSecretMetadataParams,IUpdateSecretMetadataResult>(updateSecretMetadataIR);


/** 'GetSecretMetadata' parameters type */
export interface IGetSecretMetadataParams {
  key: string;
}

/** 'GetSecretMetadata' return type */
export interface IGetSecretMetadataResult {
  createdAt: Date;
  deletedAt: Date | null;
  description: string | null;
  encoding: string;
  expiresAt: Date | null;
  key: string;
  keyId: string | null;
  maxVersions: number | null;
  rotateAfter: Date | null;
  tagsJson: string | null;
  updatedAt: Date;
  version: number;
}

/** 'GetSecretMetadata' query type */
export interface IGetSecretMetadataQuery {
  params: IGetSecretMetadataParams;
  result: IGetSecretMetadataResult;
}

const getSecretMetadataIR: any = {"usedParamSet":{"key":true},"params":[{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":302,"b":306}]}],"statement":"SELECT key, version, encoding, key_id AS \"keyId\", created_at AS \"createdAt\", updated_at AS \"updatedAt\",\n       deleted_at AS \"deletedAt\", description, tags::text AS \"tagsJson\", expires_at AS \"expiresAt\",\n       rotate_after AS \"rotateAfter\", max_versions AS \"maxVersions\"\nFROM secret_store\nWHERE key = :key!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, version, encoding, key_id AS "keyId", created_at AS "createdAt", updated_at AS "updatedAt",
 *        deleted_at AS "deletedAt", description, tags::text AS "tagsJson", expires_at AS "expiresAt",
 *        rotate_after AS "rotateAfter", max_versions AS "maxVersions"
 * FROM secret_store
 * WHERE key = :key!
 * ```
 */
export const getSecretMetadata = new PreparedQuery<IGetSecretMetadataParams,IGetSecretMetadataResult>(getSecretMetadataIR);


/** 'ListSecretMetadata' parameters type */
export interface IListSecretMetadataParams {
  after: string;
  includeDeleted: boolean;
  limit: NumberOrString;
  lowerBound: string;
  upperBound?: string | null | void;
}

/** 'ListSecretMetadata' return type */
export interface IListSecretMetadataResult {
  createdAt: Date;
  deletedAt: Date | null;
  description: string | null;
  encoding: string;
  expiresAt: Date | null;
  key: string;
  keyId: string | null;
  maxVersions: number | null;
  rotateAfter: Date | null;
  tagsJson: string | null;
  updatedAt: Date;
  version: number;
}

/** 'ListSecretMetadata' query type */
export interface IListSecretMetadataQuery {
  params: IListSecretMetadataParams;
  result: IListSecretMetadataResult;
}

const listSecretMetadataIR: any = {"usedParamSet":{"lowerBound":true,"after":true,"upperBound":true,"includeDeleted":true,"limit":true},"params":[{"name":"lowerBound","required":true,"transform":{"type":"scalar"},"locs":[{"a":303,"b":314}]},{"name":"after","required":true,"transform":{"type":"scalar"},"locs":[{"a":326,"b":332}]},{"name":"upperBound","required":false,"transform":{"type":"scalar"},"locs":[{"a":342,"b":352},{"a":378,"b":388}]},{"name":"includeDeleted","required":true,"transform":{"type":"scalar"},"locs":[{"a":398,"b":413}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":466,"b":472}]}],"statement":"SELECT key, version, encoding, key_id AS \"keyId\", created_at AS \"createdAt\", updated_at AS \"updatedAt\",\n       deleted_at AS \"deletedAt\", description, tags::text AS \"tagsJson\", expires_at AS \"expiresAt\",\n       rotate_after AS \"rotateAfter\", max_versions AS \"maxVersions\"\nFROM secret_store\nWHERE key >= :lowerBound! AND key > :after!\n  AND ((:upperBound::text) IS NULL OR key < :upperBound)\n  AND (:includeDeleted!::boolean OR deleted_at IS NULL)\nORDER BY key\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, version, encoding, key_id AS "keyId", created_at AS "createdAt", updated_at AS "updatedAt",
 *        deleted_at AS "deletedAt", description, tags::text AS "tagsJson", expires_at AS "expiresAt",
 *        rotate_after AS "rotateAfter", max_versions AS "maxVersions"
 * FROM secret_store
 * WHERE key >= :lowerBound! AND key > :after!
 *   AND ((:upperBound::text) IS NULL OR key < :upperBound)
 *   AND (:includeDeleted!::boolean OR deleted_at IS NULL)
 * ORDER BY key
 * LIMIT :limit!
 * ```
 */
export const listSecretMetadata = new PreparedQuery<IListSecretMetadataParams,IListSecretMetadataResult>(listSecretMetadataIR);


/** 'ListSecretsDue' parameters type */
export interface IListSecretsDueParams {
  until: DateOrString;
}

/** 'ListSecretsDue' return type */
export interface IListSecretsDueResult {
  at: Date | null;
  due: string | null;
  key: string | null;
}

/** 'ListSecretsDue' query type */
export interface IListSecretsDueQuery {
  params: IListSecretsDueParams;
  result: IListSecretsDueResult;
}

const listSecretsDueIR: any = {"usedParamSet":{"until":true},"params":[{"name":"until","required":true,"transform":{"type":"scalar"},"locs":[{"a":110,"b":116},{"a":244,"b":250}]}],"statement":"SELECT key, 'expiresAt' AS due, expires_at AS at\nFROM secret_store\nWHERE deleted_at IS NULL AND expires_at <= :until!\nUNION ALL\nSELECT key, 'rotateAfter' AS due, rotate_after AS at\nFROM secret_store\nWHERE deleted_at IS NULL AND rotate_after <= :until!\nORDER BY at, key, due"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, 'expiresAt' AS due, expires_at AS at
 * FROM secret_store
 * WHERE deleted_at IS NULL AND expires_at <= :until!
 * UNION ALL
 * SELECT key, 'rotateAfter' AS due, rotate_after AS at
 * FROM secret_store
 * WHERE deleted_at IS NULL AND rotate_after <= :until!
 * ORDER BY at, key, due
 * ```
 */
export const listSecretsDue = new PreparedQuery<IListSecretsDueParams,IListSecretsDueResult>(listSecretsDueIR);


/** 'GetSecretVersion' parameters type */
export interface IGetSecretVersionParams {
  key: string;
  version: number;
}

/** 'GetSecretVersion' return type */
export interface IGetSecretVersionResult {
  createdAt: Date;
  encoding: string;
  key: string;
  keyId: string | null;
  valueJson: string | null;
  version: number;
  writeId: string | null;
}

/** 'GetSecretVersion' query type */
export interface IGetSecretVersionQuery {
  params: IGetSecretVersionParams;
  result: IGetSecretVersionResult;
}

const getSecretVersionIR: any = {"usedParamSet":{"key":true,"version":true},"params":[{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":167,"b":171}]},{"name":"version","required":true,"transform":{"type":"scalar"},"locs":[{"a":187,"b":195}]}],"statement":"SELECT key, version, value::text AS \"valueJson\", encoding, key_id AS \"keyId\", write_id AS \"writeId\",\n       created_at AS \"createdAt\"\nFROM secret_versions\nWHERE key = :key! AND version = :version! AND value IS NOT NULL"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, version, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId",
 *        created_at AS "createdAt"
 * FROM secret_versions
 * WHERE key = :key! AND version = :version! AND value IS NOT NULL
 * ```
 */
export const getSecretVersion = new PreparedQuery<IGetSecretVersionParams,IGetSecretVersionResult>(getSecretVersionIR);


/** 'ListSecretVersions' parameters type */
export interface IListSecretVersionsParams {
  key: string;
}

/** 'ListSecretVersions' return type */
export interface IListSecretVersionsResult {
  createdAt: Date;
  deletedAt: Date | null;
  destroyed: boolean | null;
  version: number;
}

/** 'ListSecretVersions' query type */
export interface IListSecretVersionsQuery {
  params: IListSecretVersionsParams;
  result: IListSecretVersionsResult;
}

const listSecretVersionsIR: any = {"usedParamSet":{"key":true},"params":[{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":251,"b":255}]}],"statement":"SELECT v.version, v.created_at AS \"createdAt\", (v.destroyed_at IS NOT NULL) AS destroyed,\n       CASE WHEN s.version = v.version THEN s.deleted_at END AS \"deletedAt\"\nFROM secret_versions AS v\nLEFT JOIN secret_store AS s ON s.key = v.key\nWHERE v.key = :key!\nORDER BY v.version DESC"};

/**
 * Query generated from SQL:
 * ```
 * SELECT v.version, v.created_at AS "createdAt", (v.destroyed_at IS NOT NULL) AS destroyed,
 *        CASE WHEN s.version = v.version THEN s.deleted_at END AS "deletedAt"
 * FROM secret_versions AS v
 * LEFT JOIN secret_store AS s ON s.key = v.key
 * WHERE v.key = :key!
 * ORDER BY v.version DESC
 * ```
 */
export const listSecretVersions = new PreparedQuery<IListSecretVersionsParams,IListSecretVersionsResult>(listSecretVersionsIR);


/** 'ListVersionsToRotate' parameters type */
export interface IListVersionsToRotateParams {
  activeEncoding: string;
  activeKeyId: string;
  afterKey: string;
  afterVersion: number;
  limit: NumberOrString;
}

/** 'ListVersionsToRotate' return type */
export interface IListVersionsToRotateResult {
  createdAt: Date;
  encoding: string;
  key: string;
  keyId: string | null;
  valueJson: string | null;
  version: number;
  writeId: string | null;
}

/** 'ListVersionsToRotate' query type */
export interface IListVersionsToRotateQuery {
  params: IListVersionsToRotateParams;
  result: IListVersionsToRotateResult;
}

const listVersionsToRotateIR: any = {"usedParamSet":{"activeEncoding":true,"activeKeyId":true,"afterKey":true,"afterVersion":true,"limit":true},"params":[{"name":"activeEncoding","required":true,"transform":{"type":"scalar"},"locs":[{"a":198,"b":213}]},{"name":"activeKeyId","required":true,"transform":{"type":"scalar"},"locs":[{"a":228,"b":240}]},{"name":"afterKey","required":true,"transform":{"type":"scalar"},"locs":[{"a":267,"b":276}]},{"name":"afterVersion","required":true,"transform":{"type":"scalar"},"locs":[{"a":279,"b":292}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":323,"b":329}]}],"statement":"SELECT key, version, value::text AS \"valueJson\", encoding, key_id AS \"keyId\", write_id AS \"writeId\",\n       created_at AS \"createdAt\"\nFROM secret_versions\nWHERE value IS NOT NULL\n  AND (encoding <> :activeEncoding! OR key_id <> :activeKeyId!)\n  AND (key, version) > (:afterKey!, :afterVersion!)\nORDER BY key, version\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, version, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId",
 *        created_at AS "createdAt"
 * FROM secret_versions
 * WHERE value IS NOT NULL
 *   AND (encoding <> :activeEncoding! OR key_id <> :activeKeyId!)
 *   AND (key, version) > (:afterKey!, :afterVersion!)
 * ORDER BY key, version
 * LIMIT :limit!
 * ```
 */
export const listVersionsToRotate = new PreparedQuery<IListVersionsToRotateParams,IListVersionsToRotateResult>(listVersionsToRotateIR);


/** 'ReencryptVersion' parameters type */
export interface IReencryptVersionParams {
  actor?: string | null | void;
  at: DateOrString;
  auditId: string;
  encoding: string;
  fromEncoding: string;
  fromKeyId?: string | null | void;
  key: string;
  keyId?: string | null | void;
  mac: string;
  macKeyId?: string | null | void;
  valueJson: string;
  version: number;
  writeId?: string | null | void;
}

/** 'ReencryptVersion' return type */
export interface IReencryptVersionResult {
  key: string;
}

/** 'ReencryptVersion' query type */
export interface IReencryptVersionQuery {
  params: IReencryptVersionParams;
  result: IReencryptVersionResult;
}

const reencryptVersionIR: any = {"usedParamSet":{"valueJson":true,"encoding":true,"keyId":true,"key":true,"version":true,"writeId":true,"fromEncoding":true,"fromKeyId":true,"auditId":true,"actor":true,"at":true,"macKeyId":true,"mac":true},"params":[{"name":"valueJson","required":true,"transform":{"type":"scalar"},"locs":[{"a":60,"b":70},{"a":405,"b":415}]},{"name":"encoding","required":true,"transform":{"type":"scalar"},"locs":[{"a":98,"b":107},{"a":443,"b":452}]},{"name":"keyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":119,"b":124},{"a":464,"b":469}]},{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":140,"b":144}]},{"name":"version","required":true,"transform":{"type":"scalar"},"locs":[{"a":160,"b":168}]},{"name":"writeId","required":false,"transform":{"type":"scalar"},"locs":[{"a":230,"b":237},{"a":716,"b":723}]},{"name":"fromEncoding","required":true,"transform":{"type":"scalar"},"locs":[{"a":254,"b":267}]},{"name":"fromKeyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":305,"b":314}]},{"name":"auditId","required":true,"transform":{"type":"scalar"},"locs":[{"a":690,"b":698}]},{"name":"actor","required":false,"transform":{"type":"scalar"},"locs":[{"a":726,"b":731}]},{"name":"at","required":true,"transform":{"type":"scalar"},"locs":[{"a":734,"b":737}]},{"name":"macKeyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":740,"b":748}]},{"name":"mac","required":true,"transform":{"type":"scalar"},"locs":[{"a":751,"b":755}]}],"statement":"WITH rewritten AS (\n  UPDATE secret_versions\n  SET value = (:valueJson!::text)::jsonb, encoding = :encoding!, key_id = :keyId\n  WHERE key = :key! AND version = :version! AND value IS NOT NULL\n    AND write_id IS NOT DISTINCT FROM :writeId AND encoding = :fromEncoding!\n    AND key_id IS NOT DISTINCT FROM :fromKeyId\n  RETURNING key, version\n), current_value AS (\n  UPDATE secret_store AS s\n  SET value = (:valueJson!::text)::jsonb, encoding = :encoding!, key_id = :keyId\n  FROM rewritten AS r\n  WHERE s.key = r.key AND s.version = r.version AND s.value IS NOT NULL\n), audited AS (\n  INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)\n  SELECT :auditId!, 'rotate', key, :writeId, :actor, :at!, :macKeyId, :mac!, ARRAY[version] FROM rewritten\n)\nSELECT key FROM rewritten"};

/**
 * Query generated from SQL:
 * ```
 * WITH rewritten AS (
 *   UPDATE secret_versions
 *   SET value = (:valueJson!::text)::jsonb, encoding = :encoding!, key_id = :keyId
 *   WHERE key = :key! AND version = :version! AND value IS NOT NULL
 *     AND write_id IS NOT DISTINCT FROM :writeId AND encoding = :fromEncoding!
 *     AND key_id IS NOT DISTINCT FROM :fromKeyId
 *   RETURNING key, version
 * ), current_value AS (
 *   UPDATE secret_store AS s
 *   SET value = (:valueJson!::text)::jsonb, encoding = :encoding!, key_id = :keyId
 *   FROM rewritten AS r
 *   WHERE s.key = r.key AND s.version = r.version AND s.value IS NOT NULL
 * ), audited AS (
 *   INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions)
 *   SELECT :auditId!, 'rotate', key, :writeId, :actor, :at!, :macKeyId, :mac!, ARRAY[version] FROM rewritten
 * )
 * SELECT key FROM rewritten
 * ```
 */
export const reencryptVersion = new PreparedQuery<IReencryptVersionParams,IReencryptVersionResult>(reencryptVersionIR);


/** 'CountSecretsByEncryption' parameters type */
export type ICountSecretsByEncryptionParams = void;

/** 'CountSecretsByEncryption' return type */
export interface ICountSecretsByEncryptionResult {
  encoding: string;
  keyId: string | null;
  secrets: number | null;
}

/** 'CountSecretsByEncryption' query type */
export interface ICountSecretsByEncryptionQuery {
  params: ICountSecretsByEncryptionParams;
  result: ICountSecretsByEncryptionResult;
}

const countSecretsByEncryptionIR: any = {"usedParamSet":{},"params":[],"statement":"SELECT encoding, key_id AS \"keyId\", count(*)::int AS secrets\nFROM secret_versions\nWHERE value IS NOT NULL\nGROUP BY encoding, key_id\nORDER BY encoding, key_id"};

/**
 * Query generated from SQL:
 * ```
 * SELECT encoding, key_id AS "keyId", count(*)::int AS secrets
 * FROM secret_versions
 * WHERE value IS NOT NULL
 * GROUP BY encoding, key_id
 * ORDER BY encoding, key_id
 * ```
 */
export const countSecretsByEncryption = new PreparedQuery<ICountSecretsByEncryptionParams,ICountSecretsByEncryptionResult>(countSecretsByEncryptionIR);


/** 'GetKeyFingerprints' parameters type */
export type IGetKeyFingerprintsParams = void;

/** 'GetKeyFingerprints' return type */
export interface IGetKeyFingerprintsResult {
  fingerprint: string;
  keyId: string;
}

/** 'GetKeyFingerprints' query type */
export interface IGetKeyFingerprintsQuery {
  params: IGetKeyFingerprintsParams;
  result: IGetKeyFingerprintsResult;
}

const getKeyFingerprintsIR: any = {"usedParamSet":{},"params":[],"statement":"SELECT key_id AS \"keyId\", fingerprint\nFROM secret_store_key_fingerprints\nORDER BY key_id"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key_id AS "keyId", fingerprint
 * FROM secret_store_key_fingerprints
 * ORDER BY key_id
 * ```
 */
export const getKeyFingerprints = new PreparedQuery<IGetKeyFingerprintsParams,IGetKeyFingerprintsResult>(getKeyFingerprintsIR);


/** 'RecordKeyFingerprint' parameters type */
export interface IRecordKeyFingerprintParams {
  fingerprint: string;
  keyId: string;
}

/** 'RecordKeyFingerprint' return type */
export interface IRecordKeyFingerprintResult {
  fingerprint: string;
}

/** 'RecordKeyFingerprint' query type */
export interface IRecordKeyFingerprintQuery {
  params: IRecordKeyFingerprintParams;
  result: IRecordKeyFingerprintResult;
}

const recordKeyFingerprintIR: any = {"usedParamSet":{"keyId":true,"fingerprint":true},"params":[{"name":"keyId","required":true,"transform":{"type":"scalar"},"locs":[{"a":72,"b":78}]},{"name":"fingerprint","required":true,"transform":{"type":"scalar"},"locs":[{"a":81,"b":93}]}],"statement":"INSERT INTO secret_store_key_fingerprints (key_id, fingerprint)\nVALUES (:keyId!, :fingerprint!)\nON CONFLICT (key_id) DO UPDATE SET key_id = EXCLUDED.key_id\nRETURNING fingerprint"};

/**
 * Query generated from SQL:
 * ```
 * INSERT INTO secret_store_key_fingerprints (key_id, fingerprint)
 * VALUES (:keyId!, :fingerprint!)
 * ON CONFLICT (key_id) DO UPDATE SET key_id = EXCLUDED.key_id
 * RETURNING fingerprint
 * ```
 */
export const recordKeyFingerprint = new PreparedQuery<IRecordKeyFingerprintParams,IRecordKeyFingerprintResult>(recordKeyFingerprintIR);


/** 'AppendAuditRecord' parameters type */
export interface IAppendAuditRecordParams {
  actor?: string | null | void;
  at: DateOrString;
  auditId: string;
  key?: string | null | void;
  keys: stringArray;
  mac: string;
  macKeyId?: string | null | void;
  operation: string;
  versions: numberArray;
  writeId?: string | null | void;
}

/** 'AppendAuditRecord' return type */
export type IAppendAuditRecordResult = void;

/** 'AppendAuditRecord' query type */
export interface IAppendAuditRecordQuery {
  params: IAppendAuditRecordParams;
  result: IAppendAuditRecordResult;
}

const appendAuditRecordIR: any = {"usedParamSet":{"auditId":true,"operation":true,"key":true,"writeId":true,"actor":true,"at":true,"macKeyId":true,"mac":true,"versions":true,"keys":true},"params":[{"name":"auditId","required":true,"transform":{"type":"scalar"},"locs":[{"a":112,"b":120}]},{"name":"operation","required":true,"transform":{"type":"scalar"},"locs":[{"a":123,"b":133}]},{"name":"key","required":false,"transform":{"type":"scalar"},"locs":[{"a":136,"b":139}]},{"name":"writeId","required":false,"transform":{"type":"scalar"},"locs":[{"a":142,"b":149}]},{"name":"actor","required":false,"transform":{"type":"scalar"},"locs":[{"a":152,"b":157}]},{"name":"at","required":true,"transform":{"type":"scalar"},"locs":[{"a":160,"b":163}]},{"name":"macKeyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":166,"b":174}]},{"name":"mac","required":true,"transform":{"type":"scalar"},"locs":[{"a":177,"b":181}]},{"name":"versions","required":true,"transform":{"type":"scalar"},"locs":[{"a":184,"b":193}]},{"name":"keys","required":true,"transform":{"type":"scalar"},"locs":[{"a":207,"b":212}]}],"statement":"INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions, keys)\nVALUES (:auditId!, :operation!, :key, :writeId, :actor, :at!, :macKeyId, :mac!, :versions!::integer[], :keys!::text[])"};

/**
 * Query generated from SQL:
 * ```
 * INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions, keys)
 * VALUES (:auditId!, :operation!, :key, :writeId, :actor, :at!, :macKeyId, :mac!, :versions!::integer[], :keys!::text[])
 * ```
 */
export const appendAuditRecord = new PreparedQuery<IAppendAuditRecordParams,IAppendAuditRecordResult>(appendAuditRecordIR);


/** 'ReadAuditRecords' parameters type */
export interface IReadAuditRecordsParams {
  afterSeq: string;
  key?: string | null | void;
  limit: NumberOrString;
}

/** 'ReadAuditRecords' return type */
export interface IReadAuditRecordsResult {
  actor: string | null;
  at: Date;
  id: string;
  key: string | null;
  keys: stringArray;
  mac: string;
  macKeyId: string | null;
  operation: string;
  recordedAt: Date;
  sealedByText: string | null;
  seqText: string | null;
  versions: numberArray;
  writeId: string | null;
}

/** 'ReadAuditRecords' query type */
export interface IReadAuditRecordsQuery {
  params: IReadAuditRecordsParams;
  result: IReadAuditRecordsResult;
}

const readAuditRecordsIR: any = {"usedParamSet":{"afterSeq":true,"key":true,"limit":true},"params":[{"name":"afterSeq","required":true,"transform":{"type":"scalar"},"locs":[{"a":237,"b":246}]},{"name":"key","required":false,"transform":{"type":"scalar"},"locs":[{"a":269,"b":272},{"a":298,"b":301}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":323,"b":329}]}],"statement":"SELECT seq::text AS \"seqText\", id, operation, key, write_id AS \"writeId\", actor, at, mac_key_id AS \"macKeyId\", mac,\n       versions, keys, recorded_at AS \"recordedAt\", sealed_by::text AS \"sealedByText\"\nFROM secret_audit_log\nWHERE seq > (:afterSeq!::text)::bigint AND ((:key::text) IS NULL OR key = :key)\nORDER BY seq\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT seq::text AS "seqText", id, operation, key, write_id AS "writeId", actor, at, mac_key_id AS "macKeyId", mac,
 *        versions, keys, recorded_at AS "recordedAt", sealed_by::text AS "sealedByText"
 * FROM secret_audit_log
 * WHERE seq > (:afterSeq!::text)::bigint AND ((:key::text) IS NULL OR key = :key)
 * ORDER BY seq
 * LIMIT :limit!
 * ```
 */
export const readAuditRecords = new PreparedQuery<IReadAuditRecordsParams,IReadAuditRecordsResult>(readAuditRecordsIR);


/** 'FindAuditRecords' parameters type */
export interface IFindAuditRecordsParams {
  ids: stringArray;
}

/** 'FindAuditRecords' return type */
export interface IFindAuditRecordsResult {
  actor: string | null;
  at: Date;
  id: string;
  key: string | null;
  keys: stringArray;
  mac: string;
  macKeyId: string | null;
  operation: string;
  recordedAt: Date;
  sealedByText: string | null;
  seqText: string | null;
  versions: numberArray;
  writeId: string | null;
}

/** 'FindAuditRecords' query type */
export interface IFindAuditRecordsQuery {
  params: IFindAuditRecordsParams;
  result: IFindAuditRecordsResult;
}

const findAuditRecordsIR: any = {"usedParamSet":{"ids":true},"params":[{"name":"ids","required":true,"transform":{"type":"scalar"},"locs":[{"a":239,"b":243}]}],"statement":"SELECT seq::text AS \"seqText\", id, operation, key, write_id AS \"writeId\", actor, at, mac_key_id AS \"macKeyId\", mac,\n       versions, keys, recorded_at AS \"recordedAt\", sealed_by::text AS \"sealedByText\"\nFROM secret_audit_log\nWHERE id = ANY(:ids!::text[])\nORDER BY seq"};

/**
 * Query generated from SQL:
 * ```
 * SELECT seq::text AS "seqText", id, operation, key, write_id AS "writeId", actor, at, mac_key_id AS "macKeyId", mac,
 *        versions, keys, recorded_at AS "recordedAt", sealed_by::text AS "sealedByText"
 * FROM secret_audit_log
 * WHERE id = ANY(:ids!::text[])
 * ORDER BY seq
 * ```
 */
export const findAuditRecords = new PreparedQuery<IFindAuditRecordsParams,IFindAuditRecordsResult>(findAuditRecordsIR);


/** 'ReadUnsealedAuditRecords' parameters type */
export interface IReadUnsealedAuditRecordsParams {
  afterSeq: string;
  limit: NumberOrString;
}

/** 'ReadUnsealedAuditRecords' return type */
export interface IReadUnsealedAuditRecordsResult {
  actor: string | null;
  at: Date;
  id: string;
  key: string | null;
  keys: stringArray;
  mac: string;
  macKeyId: string | null;
  operation: string;
  recordedAt: Date;
  sealedByText: string | null;
  seqText: string | null;
  versions: numberArray;
  writeId: string | null;
}

/** 'ReadUnsealedAuditRecords' query type */
export interface IReadUnsealedAuditRecordsQuery {
  params: IReadUnsealedAuditRecordsParams;
  result: IReadUnsealedAuditRecordsResult;
}

const readUnsealedAuditRecordsIR: any = {"usedParamSet":{"afterSeq":true,"limit":true},"params":[{"name":"afterSeq","required":true,"transform":{"type":"scalar"},"locs":[{"a":259,"b":268}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":304,"b":310}]}],"statement":"SELECT seq::text AS \"seqText\", id, operation, key, write_id AS \"writeId\", actor, at, mac_key_id AS \"macKeyId\", mac,\n       versions, keys, recorded_at AS \"recordedAt\", sealed_by::text AS \"sealedByText\"\nFROM secret_audit_log\nWHERE sealed_by IS NULL AND seq > (:afterSeq!::text)::bigint\nORDER BY seq\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT seq::text AS "seqText", id, operation, key, write_id AS "writeId", actor, at, mac_key_id AS "macKeyId", mac,
 *        versions, keys, recorded_at AS "recordedAt", sealed_by::text AS "sealedByText"
 * FROM secret_audit_log
 * WHERE sealed_by IS NULL AND seq > (:afterSeq!::text)::bigint
 * ORDER BY seq
 * LIMIT :limit!
 * ```
 */
export const readUnsealedAuditRecords = new PreparedQuery<IReadUnsealedAuditRecordsParams,IReadUnsealedAuditRecordsResult>(readUnsealedAuditRecordsIR);


/** 'ReadSealedAuditRecords' parameters type */
export interface IReadSealedAuditRecordsParams {
  afterSeq: string;
  checkpoint: string;
  limit: NumberOrString;
}

/** 'ReadSealedAuditRecords' return type */
export interface IReadSealedAuditRecordsResult {
  actor: string | null;
  at: Date;
  id: string;
  key: string | null;
  keys: stringArray;
  mac: string;
  macKeyId: string | null;
  operation: string;
  recordedAt: Date;
  sealedByText: string | null;
  seqText: string | null;
  versions: numberArray;
  writeId: string | null;
}

/** 'ReadSealedAuditRecords' query type */
export interface IReadSealedAuditRecordsQuery {
  params: IReadSealedAuditRecordsParams;
  result: IReadSealedAuditRecordsResult;
}

const readSealedAuditRecordsIR: any = {"usedParamSet":{"checkpoint":true,"afterSeq":true,"limit":true},"params":[{"name":"checkpoint","required":true,"transform":{"type":"scalar"},"locs":[{"a":243,"b":254}]},{"name":"afterSeq","required":true,"transform":{"type":"scalar"},"locs":[{"a":282,"b":291}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":327,"b":333}]}],"statement":"SELECT seq::text AS \"seqText\", id, operation, key, write_id AS \"writeId\", actor, at, mac_key_id AS \"macKeyId\", mac,\n       versions, keys, recorded_at AS \"recordedAt\", sealed_by::text AS \"sealedByText\"\nFROM secret_audit_log\nWHERE sealed_by = (:checkpoint!::text)::bigint AND seq > (:afterSeq!::text)::bigint\nORDER BY seq\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT seq::text AS "seqText", id, operation, key, write_id AS "writeId", actor, at, mac_key_id AS "macKeyId", mac,
 *        versions, keys, recorded_at AS "recordedAt", sealed_by::text AS "sealedByText"
 * FROM secret_audit_log
 * WHERE sealed_by = (:checkpoint!::text)::bigint AND seq > (:afterSeq!::text)::bigint
 * ORDER BY seq
 * LIMIT :limit!
 * ```
 */
export const readSealedAuditRecords = new PreparedQuery<IReadSealedAuditRecordsParams,IReadSealedAuditRecordsResult>(readSealedAuditRecordsIR);


/** 'ListAuditCheckpoints' parameters type */
export type IListAuditCheckpointsParams = void;

/** 'ListAuditCheckpoints' return type */
export interface IListAuditCheckpointsResult {
  createdAt: Date;
  digest: string;
  mac: string;
  macKeyId: string | null;
  previousMac: string;
  records: number;
  seqText: string | null;
}

/** 'ListAuditCheckpoints' query type */
export interface IListAuditCheckpointsQuery {
  params: IListAuditCheckpointsParams;
  result: IListAuditCheckpointsResult;
}

const listAuditCheckpointsIR: any = {"usedParamSet":{},"params":[],"statement":"SELECT seq::text AS \"seqText\", records, digest, previous_mac AS \"previousMac\", mac_key_id AS \"macKeyId\", mac,\n       created_at AS \"createdAt\"\nFROM secret_audit_checkpoints\nORDER BY seq"};

/**
 * Query generated from SQL:
 * ```
 * SELECT seq::text AS "seqText", records, digest, previous_mac AS "previousMac", mac_key_id AS "macKeyId", mac,
 *        created_at AS "createdAt"
 * FROM secret_audit_checkpoints
 * ORDER BY seq
 * ```
 */
export const listAuditCheckpoints = new PreparedQuery<IListAuditCheckpointsParams,IListAuditCheckpointsResult>(listAuditCheckpointsIR);


/** 'InsertAuditCheckpoint' parameters type */
export interface IInsertAuditCheckpointParams {
  digest: string;
  mac: string;
  macKeyId?: string | null | void;
  previousMac: string;
  records: number;
}

/** 'InsertAuditCheckpoint' return type */
export interface IInsertAuditCheckpointResult {
  createdAt: Date;
  seqText: string | null;
}

/** 'InsertAuditCheckpoint' query type */
export interface IInsertAuditCheckpointQuery {
  params: IInsertAuditCheckpointParams;
  result: IInsertAuditCheckpointResult;
}

const insertAuditCheckpointIR: any = {"usedParamSet":{"records":true,"digest":true,"previousMac":true,"macKeyId":true,"mac":true},"params":[{"name":"records","required":true,"transform":{"type":"scalar"},"locs":[{"a":94,"b":102}]},{"name":"digest","required":true,"transform":{"type":"scalar"},"locs":[{"a":105,"b":112}]},{"name":"previousMac","required":true,"transform":{"type":"scalar"},"locs":[{"a":115,"b":127}]},{"name":"macKeyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":130,"b":138}]},{"name":"mac","required":true,"transform":{"type":"scalar"},"locs":[{"a":141,"b":145}]}],"statement":"INSERT INTO secret_audit_checkpoints (records, digest, previous_mac, mac_key_id, mac)\nVALUES (:records!, :digest!, :previousMac!, :macKeyId, :mac!)\nRETURNING seq::text AS \"seqText\", created_at AS \"createdAt\""};

/**
 * Query generated from SQL:
 * ```
 * INSERT INTO secret_audit_checkpoints (records, digest, previous_mac, mac_key_id, mac)
 * VALUES (:records!, :digest!, :previousMac!, :macKeyId, :mac!)
 * RETURNING seq::text AS "seqText", created_at AS "createdAt"
 * ```
 */
export const insertAuditCheckpoint = new PreparedQuery<IInsertAuditCheckpointParams,IInsertAuditCheckpointResult>(insertAuditCheckpointIR);


/** 'SealAuditRecords' parameters type */
export interface ISealAuditRecordsParams {
  checkpoint: string;
  seqs: stringArray;
}

/** 'SealAuditRecords' return type */
export interface ISealAuditRecordsResult {
  seq: string;
}

/** 'SealAuditRecords' query type */
export interface ISealAuditRecordsQuery {
  params: ISealAuditRecordsParams;
  result: ISealAuditRecordsResult;
}

const sealAuditRecordsIR: any = {"usedParamSet":{"checkpoint":true,"seqs":true},"params":[{"name":"checkpoint","required":true,"transform":{"type":"scalar"},"locs":[{"a":41,"b":52}]},{"name":"seqs","required":true,"transform":{"type":"scalar"},"locs":[{"a":86,"b":91}]}],"statement":"UPDATE secret_audit_log\nSET sealed_by = (:checkpoint!::text)::bigint\nWHERE seq = ANY((:seqs!::text[])::bigint[]) AND sealed_by IS NULL\nRETURNING seq"};

/**
 * Query generated from SQL:
 * ```
 * UPDATE secret_audit_log
 * SET sealed_by = (:checkpoint!::text)::bigint
 * WHERE seq = ANY((:seqs!::text[])::bigint[]) AND sealed_by IS NULL
 * RETURNING seq
 * ```
 */
export const sealAuditRecords = new PreparedQuery<ISealAuditRecordsParams,ISealAuditRecordsResult>(sealAuditRecordsIR);


/** 'ResealAuditCheckpoint' parameters type */
export interface IResealAuditCheckpointParams {
  checkpoint: string;
  mac: string;
  macKeyId?: string | null | void;
  previousMac: string;
}

/** 'ResealAuditCheckpoint' return type */
export interface IResealAuditCheckpointResult {
  seq: string;
}

/** 'ResealAuditCheckpoint' query type */
export interface IResealAuditCheckpointQuery {
  params: IResealAuditCheckpointParams;
  result: IResealAuditCheckpointResult;
}

const resealAuditCheckpointIR: any = {"usedParamSet":{"previousMac":true,"macKeyId":true,"mac":true,"checkpoint":true},"params":[{"name":"previousMac","required":true,"transform":{"type":"scalar"},"locs":[{"a":51,"b":63}]},{"name":"macKeyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":79,"b":87}]},{"name":"mac","required":true,"transform":{"type":"scalar"},"locs":[{"a":96,"b":100}]},{"name":"checkpoint","required":true,"transform":{"type":"scalar"},"locs":[{"a":115,"b":126}]}],"statement":"UPDATE secret_audit_checkpoints\nSET previous_mac = :previousMac!, mac_key_id = :macKeyId, mac = :mac!\nWHERE seq = (:checkpoint!::text)::bigint\nRETURNING seq"};

/**
 * Query generated from SQL:
 * ```
 * UPDATE secret_audit_checkpoints
 * SET previous_mac = :previousMac!, mac_key_id = :macKeyId, mac = :mac!
 * WHERE seq = (:checkpoint!::text)::bigint
 * RETURNING seq
 * ```
 */
export const resealAuditCheckpoint = new PreparedQuery<IResealAuditCheckpointParams,IResealAuditCheckpointResult>(resealAuditCheckpointIR);


/** 'ListCurrentWrites' parameters type */
export interface IListCurrentWritesParams {
  afterKey: string;
  limit: NumberOrString;
}

/** 'ListCurrentWrites' return type */
export interface IListCurrentWritesResult {
  auditedSeqText: string | null;
  auditedWriteId: string | null;
  key: string;
  version: number;
  writeId: string | null;
}

/** 'ListCurrentWrites' query type */
export interface IListCurrentWritesQuery {
  params: IListCurrentWritesParams;
  result: IListCurrentWritesResult;
}

const listCurrentWritesIR: any = {"usedParamSet":{"afterKey":true,"limit":true},"params":[{"name":"afterKey","required":true,"transform":{"type":"scalar"},"locs":[{"a":391,"b":400}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":423,"b":429}]}],"statement":"SELECT s.key, s.version, s.write_id AS \"writeId\", audited.write_id AS \"auditedWriteId\",\n       audited.seq::text AS \"auditedSeqText\"\nFROM secret_store AS s\nLEFT JOIN LATERAL (\n  SELECT l.write_id, l.seq FROM secret_audit_log AS l\n  WHERE l.key = s.key AND l.operation IN ('set', 'set-many', 'restore')\n  ORDER BY l.seq DESC LIMIT 1\n) AS audited ON true\nWHERE s.value IS NOT NULL AND s.key > :afterKey!\nORDER BY s.key\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT s.key, s.version, s.write_id AS "writeId", audited.write_id AS "auditedWriteId",
 *        audited.seq::text AS "auditedSeqText"
 * FROM secret_store AS s
 * LEFT JOIN LATERAL (
 *   SELECT l.write_id, l.seq FROM secret_audit_log AS l
 *   WHERE l.key = s.key AND l.operation IN ('set', 'set-many', 'restore')
 *   ORDER BY l.seq DESC LIMIT 1
 * ) AS audited ON true
 * WHERE s.value IS NOT NULL AND s.key > :afterKey!
 * ORDER BY s.key
 * LIMIT :limit!
 * ```
 */
export const listCurrentWrites = new PreparedQuery<IListCurrentWritesParams,IListCurrentWritesResult>(listCurrentWritesIR);


/** 'LockAuditTrail' parameters type */
export type ILockAuditTrailParams = void;

/** 'LockAuditTrail' return type */
export interface ILockAuditTrailResult {
  locked: undefined | null;
}

/** 'LockAuditTrail' query type */
export interface ILockAuditTrailQuery {
  params: ILockAuditTrailParams;
  result: ILockAuditTrailResult;
}

const lockAuditTrailIR: any = {"usedParamSet":{},"params":[],"statement":"SELECT pg_advisory_xact_lock(8315144016483791989) AS locked"};

/**
 * Query generated from SQL:
 * ```
 * SELECT pg_advisory_xact_lock(8315144016483791989) AS locked
 * ```
 */
export const lockAuditTrail = new PreparedQuery<ILockAuditTrailParams,ILockAuditTrailResult>(lockAuditTrailIR);


