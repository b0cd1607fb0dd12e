-- How each row's value is encoded. This column, not the shape of the JSON, decides how a value is read:
-- a plaintext secret that happens to carry an envelope's field names is never taken for ciphertext.
--   plain          the value is the secret itself (rows written before encryption, or with encryption 'none')
--   aes-256-gcm    the value is this package's envelope, encrypted under the key named by key_id
--   triggerdev-v2  the value is trigger.dev's version-2 envelope, imported from a trigger.dev database
ALTER TABLE secret_store
    ADD COLUMN encoding TEXT NOT NULL DEFAULT 'plain',
    ADD COLUMN key_id TEXT,
    ADD CONSTRAINT secret_store_encoding_check
        CHECK (encoding IN ('plain', 'aes-256-gcm', 'triggerdev-v2')),
    ADD CONSTRAINT secret_store_key_id_check
        CHECK ((encoding = 'aes-256-gcm') = (key_id IS NOT NULL));

-- Existing rows are plaintext; from now on every write states its encoding.
ALTER TABLE secret_store ALTER COLUMN encoding DROP DEFAULT;
