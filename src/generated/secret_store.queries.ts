/** Types generated for queries found in "sql/secret_store.sql" */
import { PreparedQuery } from '@pgtyped/runtime';

export type NumberOrString = number | string;

export type stringArray = (string)[];

/** 'GetSecret' parameters type */
export interface IGetSecretParams {
  key: string;
}

/** 'GetSecret' return type */
export interface IGetSecretResult {
  createdAt: Date;
  encoding: string;
  key: string;
  keyId: string | null;
  updatedAt: Date;
  valueJson: string | null;
  version: number;
}

/** 'GetSecret' query type */
export interface IGetSecretQuery {
  params: IGetSecretParams;
  result: IGetSecretResult;
}

const getSecretIR: any = {"usedParamSet":{"key":true},"params":[{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":161,"b":165}]}],"statement":"SELECT key, value::text AS \"valueJson\", encoding, key_id AS \"keyId\", version, created_at AS \"createdAt\", updated_at AS \"updatedAt\"\nFROM secret_store\nWHERE key = :key!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version, created_at AS "createdAt", updated_at AS "updatedAt"
 * FROM secret_store
 * WHERE key = :key!
 * ```
 */
export const getSecret = new PreparedQuery<IGetSecretParams,IGetSecretResult>(getSecretIR);


/** 'GetSecretsByKeys' parameters type */
export interface IGetSecretsByKeysParams {
  keys: stringArray;
}

/** 'GetSecretsByKeys' return type */
export interface IGetSecretsByKeysResult {
  createdAt: Date;
  encoding: string;
  key: string;
  keyId: string | null;
  updatedAt: Date;
  valueJson: string | null;
  version: number;
}

/** 'GetSecretsByKeys' query type */
export interface IGetSecretsByKeysQuery {
  params: IGetSecretsByKeysParams;
  result: IGetSecretsByKeysResult;
}

const getSecretsByKeysIR: any = {"usedParamSet":{"keys":true},"params":[{"name":"keys","required":true,"transform":{"type":"scalar"},"locs":[{"a":165,"b":170}]}],"statement":"SELECT key, value::text AS \"valueJson\", encoding, key_id AS \"keyId\", version, created_at AS \"createdAt\", updated_at AS \"updatedAt\"\nFROM secret_store\nWHERE key = ANY(:keys!::text[])\nORDER BY key"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version, created_at AS "createdAt", updated_at AS "updatedAt"
 * FROM secret_store
 * WHERE key = ANY(:keys!::text[])
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
  createdAt: Date;
  encoding: string;
  key: string;
  keyId: string | null;
  updatedAt: Date;
  valueJson: string | null;
  version: number;
}

/** 'ListSecretsInRange' query type */
export interface IListSecretsInRangeQuery {
  params: IListSecretsInRangeParams;
  result: IListSecretsInRangeResult;
}

const listSecretsInRangeIR: any = {"usedParamSet":{"lowerBound":true,"upperBound":true},"params":[{"name":"lowerBound","required":true,"transform":{"type":"scalar"},"locs":[{"a":162,"b":173}]},{"name":"upperBound","required":true,"transform":{"type":"scalar"},"locs":[{"a":185,"b":196}]}],"statement":"SELECT key, value::text AS \"valueJson\", encoding, key_id AS \"keyId\", version, created_at AS \"createdAt\", updated_at AS \"updatedAt\"\nFROM secret_store\nWHERE key >= :lowerBound! AND key < :upperBound!\nORDER BY key"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version, created_at AS "createdAt", updated_at AS "updatedAt"
 * FROM secret_store
 * WHERE key >= :lowerBound! AND key < :upperBound!
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
  createdAt: Date;
  encoding: string;
  key: string;
  keyId: string | null;
  updatedAt: Date;
  valueJson: string | null;
  version: number;
}

/** 'ListSecretsFrom' query type */
export interface IListSecretsFromQuery {
  params: IListSecretsFromParams;
  result: IListSecretsFromResult;
}

const listSecretsFromIR: any = {"usedParamSet":{"lowerBound":true},"params":[{"name":"lowerBound","required":true,"transform":{"type":"scalar"},"locs":[{"a":162,"b":173}]}],"statement":"SELECT key, value::text AS \"valueJson\", encoding, key_id AS \"keyId\", version, created_at AS \"createdAt\", updated_at AS \"updatedAt\"\nFROM secret_store\nWHERE key >= :lowerBound!\nORDER BY key"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version, created_at AS "createdAt", updated_at AS "updatedAt"
 * FROM secret_store
 * WHERE key >= :lowerBound!
 * ORDER BY key
 * ```
 */
export const listSecretsFrom = new PreparedQuery<IListSecretsFromParams,IListSecretsFromResult>(listSecretsFromIR);


/** 'UpsertSecret' parameters type */
export interface IUpsertSecretParams {
  encoding: string;
  key: string;
  keyId?: string | null | void;
  valueJson: string;
}

/** 'UpsertSecret' return type */
export interface IUpsertSecretResult {
  version: number;
}

/** 'UpsertSecret' query type */
export interface IUpsertSecretQuery {
  params: IUpsertSecretParams;
  result: IUpsertSecretResult;
}

const upsertSecretIR: any = {"usedParamSet":{"key":true,"valueJson":true,"encoding":true,"keyId":true},"params":[{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":78,"b":82},{"a":208,"b":212}]},{"name":"valueJson","required":true,"transform":{"type":"scalar"},"locs":[{"a":86,"b":96}]},{"name":"encoding","required":true,"transform":{"type":"scalar"},"locs":[{"a":113,"b":122}]},{"name":"keyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":125,"b":130}]}],"statement":"INSERT INTO secret_store (key, value, encoding, key_id, version)\nVALUES (\n    :key!, (:valueJson!::text)::jsonb, :encoding!, :keyId,\n    COALESCE((SELECT last_version FROM secret_store_tombstones WHERE key = :key!), 0) + 1\n)\nON CONFLICT (key) DO UPDATE\nSET value = EXCLUDED.value,\n    encoding = EXCLUDED.encoding,\n    key_id = EXCLUDED.key_id,\n    version = secret_store.version + 1,\n    updated_at = now()\nRETURNING version"};

/**
 * Query generated from SQL:
 * ```
 * INSERT INTO secret_store (key, value, encoding, key_id, version)
 * VALUES (
 *     :key!, (:valueJson!::text)::jsonb, :encoding!, :keyId,
 *     COALESCE((SELECT last_version FROM secret_store_tombstones WHERE key = :key!), 0) + 1
 * )
 * ON CONFLICT (key) DO UPDATE
 * SET value = EXCLUDED.value,
 *     encoding = EXCLUDED.encoding,
 *     key_id = EXCLUDED.key_id,
 *     version = secret_store.version + 1,
 *     updated_at = now()
 * RETURNING version
 * ```
 */
export const upsertSecret = new PreparedQuery<IUpsertSecretParams,IUpsertSecretResult>(upsertSecretIR);


/** 'DeleteSecret' parameters type */
export interface IDeleteSecretParams {
  key: string;
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

const deleteSecretIR: any = {"usedParamSet":{"key":true},"params":[{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":37,"b":41}]}],"statement":"DELETE FROM secret_store\nWHERE key = :key!\nRETURNING key"};

/**
 * Query generated from SQL:
 * ```
 * DELETE FROM secret_store
 * WHERE key = :key!
 * RETURNING key
 * ```
 */
export const deleteSecret = new PreparedQuery<IDeleteSecretParams,IDeleteSecretResult>(deleteSecretIR);


/** 'ListSecretsToRotate' parameters type */
export interface IListSecretsToRotateParams {
  activeKeyId: string;
  afterKey: string;
  limit: NumberOrString;
}

/** 'ListSecretsToRotate' return type */
export interface IListSecretsToRotateResult {
  createdAt: Date;
  encoding: string;
  key: string;
  keyId: string | null;
  updatedAt: Date;
  valueJson: string | null;
  version: number;
}

/** 'ListSecretsToRotate' query type */
export interface IListSecretsToRotateQuery {
  params: IListSecretsToRotateParams;
  result: IListSecretsToRotateResult;
}

const listSecretsToRotateIR: any = {"usedParamSet":{"afterKey":true,"activeKeyId":true,"limit":true},"params":[{"name":"afterKey","required":true,"transform":{"type":"scalar"},"locs":[{"a":161,"b":170}]},{"name":"activeKeyId","required":true,"transform":{"type":"scalar"},"locs":[{"a":218,"b":230}]},{"name":"limit","required":true,"transform":{"type":"scalar"},"locs":[{"a":252,"b":258}]}],"statement":"SELECT key, value::text AS \"valueJson\", encoding, key_id AS \"keyId\", version, created_at AS \"createdAt\", updated_at AS \"updatedAt\"\nFROM secret_store\nWHERE key > :afterKey!\n  AND (encoding <> 'aes-256-gcm' OR key_id <> :activeKeyId!)\nORDER BY key\nLIMIT :limit!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, value::text AS "valueJson", encoding, key_id AS "keyId", version, created_at AS "createdAt", updated_at AS "updatedAt"
 * FROM secret_store
 * WHERE key > :afterKey!
 *   AND (encoding <> 'aes-256-gcm' OR key_id <> :activeKeyId!)
 * ORDER BY key
 * LIMIT :limit!
 * ```
 */
export const listSecretsToRotate = new PreparedQuery<IListSecretsToRotateParams,IListSecretsToRotateResult>(listSecretsToRotateIR);


/** 'ReencryptSecret' parameters type */
export interface IReencryptSecretParams {
  encoding: string;
  key: string;
  keyId?: string | null | void;
  valueJson: string;
  version: number;
}

/** 'ReencryptSecret' return type */
export interface IReencryptSecretResult {
  key: string;
}

/** 'ReencryptSecret' query type */
export interface IReencryptSecretQuery {
  params: IReencryptSecretParams;
  result: IReencryptSecretResult;
}

const reencryptSecretIR: any = {"usedParamSet":{"valueJson":true,"encoding":true,"keyId":true,"key":true,"version":true},"params":[{"name":"valueJson","required":true,"transform":{"type":"scalar"},"locs":[{"a":33,"b":43}]},{"name":"encoding","required":true,"transform":{"type":"scalar"},"locs":[{"a":75,"b":84}]},{"name":"keyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":100,"b":105}]},{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":119,"b":123}]},{"name":"version","required":true,"transform":{"type":"scalar"},"locs":[{"a":139,"b":147}]}],"statement":"UPDATE secret_store\nSET value = (:valueJson!::text)::jsonb,\n    encoding = :encoding!,\n    key_id = :keyId\nWHERE key = :key! AND version = :version!\nRETURNING key"};

/**
 * Query generated from SQL:
 * ```
 * UPDATE secret_store
 * SET value = (:valueJson!::text)::jsonb,
 *     encoding = :encoding!,
 *     key_id = :keyId
 * WHERE key = :key! AND version = :version!
 * RETURNING key
 * ```
 */
export const reencryptSecret = new PreparedQuery<IReencryptSecretParams,IReencryptSecretResult>(reencryptSecretIR);


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

const countSecretsByEncryptionIR: any = {"usedParamSet":{},"params":[],"statement":"SELECT encoding, key_id AS \"keyId\", count(*)::int AS secrets\nFROM secret_store\nGROUP BY encoding, key_id\nORDER BY encoding, key_id"};

/**
 * Query generated from SQL:
 * ```
 * SELECT encoding, key_id AS "keyId", count(*)::int AS secrets
 * FROM secret_store
 * GROUP BY encoding, key_id
 * ORDER BY encoding, key_id
 * ```
 */
export const countSecretsByEncryption = new PreparedQuery<ICountSecretsByEncryptionParams,ICountSecretsByEncryptionResult>(countSecretsByEncryptionIR);


/** 'InsertSecretIfAbsent' parameters type */
export interface IInsertSecretIfAbsentParams {
  encoding: string;
  key: string;
  keyId?: string | null | void;
  valueJson: string;
}

/** 'InsertSecretIfAbsent' return type */
export interface IInsertSecretIfAbsentResult {
  version: number;
}

/** 'InsertSecretIfAbsent' query type */
export interface IInsertSecretIfAbsentQuery {
  params: IInsertSecretIfAbsentParams;
  result: IInsertSecretIfAbsentResult;
}

const insertSecretIfAbsentIR: any = {"usedParamSet":{"key":true,"valueJson":true,"encoding":true,"keyId":true},"params":[{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":78,"b":82},{"a":208,"b":212}]},{"name":"valueJson","required":true,"transform":{"type":"scalar"},"locs":[{"a":86,"b":96}]},{"name":"encoding","required":true,"transform":{"type":"scalar"},"locs":[{"a":113,"b":122}]},{"name":"keyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":125,"b":130}]}],"statement":"INSERT INTO secret_store (key, value, encoding, key_id, version)\nVALUES (\n    :key!, (:valueJson!::text)::jsonb, :encoding!, :keyId,\n    COALESCE((SELECT last_version FROM secret_store_tombstones WHERE key = :key!), 0) + 1\n)\nON CONFLICT (key) DO NOTHING\nRETURNING version"};

/**
 * Query generated from SQL:
 * ```
 * INSERT INTO secret_store (key, value, encoding, key_id, version)
 * VALUES (
 *     :key!, (:valueJson!::text)::jsonb, :encoding!, :keyId,
 *     COALESCE((SELECT last_version FROM secret_store_tombstones WHERE key = :key!), 0) + 1
 * )
 * ON CONFLICT (key) DO NOTHING
 * RETURNING version
 * ```
 */
export const insertSecretIfAbsent = new PreparedQuery<IInsertSecretIfAbsentParams,IInsertSecretIfAbsentResult>(insertSecretIfAbsentIR);


/** 'UpdateSecretIfVersion' parameters type */
export interface IUpdateSecretIfVersionParams {
  encoding: string;
  ifVersion: number;
  key: string;
  keyId?: string | null | void;
  valueJson: string;
}

/** 'UpdateSecretIfVersion' return type */
export interface IUpdateSecretIfVersionResult {
  version: number;
}

/** 'UpdateSecretIfVersion' query type */
export interface IUpdateSecretIfVersionQuery {
  params: IUpdateSecretIfVersionParams;
  result: IUpdateSecretIfVersionResult;
}

const updateSecretIfVersionIR: any = {"usedParamSet":{"valueJson":true,"encoding":true,"keyId":true,"key":true,"ifVersion":true},"params":[{"name":"valueJson","required":true,"transform":{"type":"scalar"},"locs":[{"a":33,"b":43}]},{"name":"encoding","required":true,"transform":{"type":"scalar"},"locs":[{"a":75,"b":84}]},{"name":"keyId","required":false,"transform":{"type":"scalar"},"locs":[{"a":100,"b":105}]},{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":170,"b":174}]},{"name":"ifVersion","required":true,"transform":{"type":"scalar"},"locs":[{"a":190,"b":200}]}],"statement":"UPDATE secret_store\nSET value = (:valueJson!::text)::jsonb,\n    encoding = :encoding!,\n    key_id = :keyId,\n    version = version + 1,\n    updated_at = now()\nWHERE key = :key! AND version = :ifVersion!\nRETURNING version"};

/**
 * Query generated from SQL:
 * ```
 * UPDATE secret_store
 * SET value = (:valueJson!::text)::jsonb,
 *     encoding = :encoding!,
 *     key_id = :keyId,
 *     version = version + 1,
 *     updated_at = now()
 * WHERE key = :key! AND version = :ifVersion!
 * RETURNING version
 * ```
 */
export const updateSecretIfVersion = new PreparedQuery<IUpdateSecretIfVersionParams,IUpdateSecretIfVersionResult>(updateSecretIfVersionIR);


/** 'UpsertSecrets' parameters type */
export interface IUpsertSecretsParams {
  entries: string;
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

const upsertSecretsIR: any = {"usedParamSet":{"entries":true},"params":[{"name":"entries","required":true,"transform":{"type":"scalar"},"locs":[{"a":191,"b":199}]}],"statement":"INSERT INTO secret_store (key, value, encoding, key_id, version)\nSELECT entry.key, entry.value, entry.encoding, entry.key_id, COALESCE(tombstone.last_version, 0) + 1\nFROM jsonb_to_recordset((:entries!::text)::jsonb) AS entry (key text, value jsonb, encoding text, key_id text)\nLEFT JOIN secret_store_tombstones AS tombstone ON tombstone.key = entry.key\nORDER BY entry.key COLLATE \"C\"\nON CONFLICT (key) DO UPDATE\nSET value = EXCLUDED.value,\n    encoding = EXCLUDED.encoding,\n    key_id = EXCLUDED.key_id,\n    version = secret_store.version + 1,\n    updated_at = now()\nRETURNING key, version"};

/**
 * Query generated from SQL:
 * ```
 * INSERT INTO secret_store (key, value, encoding, key_id, version)
 * SELECT entry.key, entry.value, entry.encoding, entry.key_id, COALESCE(tombstone.last_version, 0) + 1
 * FROM jsonb_to_recordset((:entries!::text)::jsonb) AS entry (key text, value jsonb, encoding text, key_id text)
 * LEFT JOIN secret_store_tombstones AS tombstone ON tombstone.key = entry.key
 * ORDER BY entry.key COLLATE "C"
 * ON CONFLICT (key) DO UPDATE
 * SET value = EXCLUDED.value,
 *     encoding = EXCLUDED.encoding,
 *     key_id = EXCLUDED.key_id,
 *     version = secret_store.version + 1,
 *     updated_at = now()
 * RETURNING key, version
 * ```
 */
export const upsertSecrets = new PreparedQuery<IUpsertSecretsParams,IUpsertSecretsResult>(upsertSecretsIR);


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


