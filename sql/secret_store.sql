/*
  @name GetSecret
*/
SELECT key, value::text AS "valueJson!", version, created_at AS "createdAt", updated_at AS "updatedAt"
FROM secret_store
WHERE key = :key!;

/*
  @name GetSecretsByKeys
*/
SELECT key, value::text AS "valueJson!", version, created_at AS "createdAt", updated_at AS "updatedAt"
FROM secret_store
WHERE key = ANY(:keys!::text[])
ORDER BY key;

/*
  @name ListSecretsInRange
*/
SELECT key, value::text AS "valueJson!", version, created_at AS "createdAt", updated_at AS "updatedAt"
FROM secret_store
WHERE key >= :lowerBound! AND key < :upperBound!
ORDER BY key;

/*
  @name ListSecretsFrom
*/
SELECT key, value::text AS "valueJson!", version, created_at AS "createdAt", updated_at AS "updatedAt"
FROM secret_store
WHERE key >= :lowerBound!
ORDER BY key;

/*
  @name UpsertSecret
*/
INSERT INTO secret_store (key, value)
VALUES (:key!, (:valueJson!::text)::jsonb)
ON CONFLICT (key) DO UPDATE
SET value = EXCLUDED.value,
    version = secret_store.version + 1,
    updated_at = now()
RETURNING key, value::text AS "valueJson!", version, created_at AS "createdAt", updated_at AS "updatedAt";

/*
  @name DeleteSecret
*/
DELETE FROM secret_store
WHERE key = :key!
RETURNING key;
