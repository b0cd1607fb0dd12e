/** Types generated for queries found in "sql/secret_store.sql" */
import { PreparedQuery } from '@pgtyped/runtime';

export type stringArray = (string)[];

/** 'GetSecret' parameters type */
export interface IGetSecretParams {
  key: string;
}

/** 'GetSecret' return type */
export interface IGetSecretResult {
  createdAt: Date;
  key: string;
  updatedAt: Date;
  valueJson: string;
  version: number;
}

/** 'GetSecret' query type */
export interface IGetSecretQuery {
  params: IGetSecretParams;
  result: IGetSecretResult;
}

const getSecretIR: any = {"usedParamSet":{"key":true},"params":[{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":133,"b":137}]}],"statement":"SELECT key, value::text AS \"valueJson!\", version, created_at AS \"createdAt\", updated_at AS \"updatedAt\"\nFROM secret_store\nWHERE key = :key!"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, value::text AS "valueJson!", version, created_at AS "createdAt", updated_at AS "updatedAt"
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
  key: string;
  updatedAt: Date;
  valueJson: string;
  version: number;
}

/** 'GetSecretsByKeys' query type */
export interface IGetSecretsByKeysQuery {
  params: IGetSecretsByKeysParams;
  result: IGetSecretsByKeysResult;
}

const getSecretsByKeysIR: any = {"usedParamSet":{"keys":true},"params":[{"name":"keys","required":true,"transform":{"type":"scalar"},"locs":[{"a":137,"b":142}]}],"statement":"SELECT key, value::text AS \"valueJson!\", version, created_at AS \"createdAt\", updated_at AS \"updatedAt\"\nFROM secret_store\nWHERE key = ANY(:keys!::text[])\nORDER BY key"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, value::text AS "valueJson!", version, created_at AS "createdAt", updated_at AS "updatedAt"
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
  key: string;
  updatedAt: Date;
  valueJson: string;
  version: number;
}

/** 'ListSecretsInRange' query type */
export interface IListSecretsInRangeQuery {
  params: IListSecretsInRangeParams;
  result: IListSecretsInRangeResult;
}

const listSecretsInRangeIR: any = {"usedParamSet":{"lowerBound":true,"upperBound":true},"params":[{"name":"lowerBound","required":true,"transform":{"type":"scalar"},"locs":[{"a":134,"b":145}]},{"name":"upperBound","required":true,"transform":{"type":"scalar"},"locs":[{"a":157,"b":168}]}],"statement":"SELECT key, value::text AS \"valueJson!\", version, created_at AS \"createdAt\", updated_at AS \"updatedAt\"\nFROM secret_store\nWHERE key >= :lowerBound! AND key < :upperBound!\nORDER BY key"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, value::text AS "valueJson!", version, created_at AS "createdAt", updated_at AS "updatedAt"
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
  key: string;
  updatedAt: Date;
  valueJson: string;
  version: number;
}

/** 'ListSecretsFrom' query type */
export interface IListSecretsFromQuery {
  params: IListSecretsFromParams;
  result: IListSecretsFromResult;
}

const listSecretsFromIR: any = {"usedParamSet":{"lowerBound":true},"params":[{"name":"lowerBound","required":true,"transform":{"type":"scalar"},"locs":[{"a":134,"b":145}]}],"statement":"SELECT key, value::text AS \"valueJson!\", version, created_at AS \"createdAt\", updated_at AS \"updatedAt\"\nFROM secret_store\nWHERE key >= :lowerBound!\nORDER BY key"};

/**
 * Query generated from SQL:
 * ```
 * SELECT key, value::text AS "valueJson!", version, created_at AS "createdAt", updated_at AS "updatedAt"
 * FROM secret_store
 * WHERE key >= :lowerBound!
 * ORDER BY key
 * ```
 */
export const listSecretsFrom = new PreparedQuery<IListSecretsFromParams,IListSecretsFromResult>(listSecretsFromIR);


/** 'UpsertSecret' parameters type */
export interface IUpsertSecretParams {
  key: string;
  valueJson: string;
}

/** 'UpsertSecret' return type */
export interface IUpsertSecretResult {
  createdAt: Date;
  key: string;
  updatedAt: Date;
  valueJson: string;
  version: number;
}

/** 'UpsertSecret' query type */
export interface IUpsertSecretQuery {
  params: IUpsertSecretParams;
  result: IUpsertSecretResult;
}

const upsertSecretIR: any = {"usedParamSet":{"key":true,"valueJson":true},"params":[{"name":"key","required":true,"transform":{"type":"scalar"},"locs":[{"a":46,"b":50}]},{"name":"valueJson","required":true,"transform":{"type":"scalar"},"locs":[{"a":54,"b":64}]}],"statement":"INSERT INTO secret_store (key, value)\nVALUES (:key!, (:valueJson!::text)::jsonb)\nON CONFLICT (key) DO UPDATE\nSET value = EXCLUDED.value,\n    version = secret_store.version + 1,\n    updated_at = now()\nRETURNING key, value::text AS \"valueJson!\", version, created_at AS \"createdAt\", updated_at AS \"updatedAt\""};

/**
 * Query generated from SQL:
 * ```
 * INSERT INTO secret_store (key, value)
 * VALUES (:key!, (:valueJson!::text)::jsonb)
 * ON CONFLICT (key) DO UPDATE
 * SET value = EXCLUDED.value,
 *     version = secret_store.version + 1,
 *     updated_at = now()
 * RETURNING key, value::text AS "valueJson!", version, created_at AS "createdAt", updated_at AS "updatedAt"
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


