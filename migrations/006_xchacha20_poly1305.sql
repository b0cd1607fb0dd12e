-- A second encrypted encoding: XChaCha20-Poly1305 (libsodium's IETF construction, through the optional peer
-- dependency sodium-native), in the same envelope as aes-256-gcm's, under a key derived from the keyring's.
-- Opt-in (encryption.algorithm); rotation moves rows to whichever the keyring writes.

ALTER TABLE secret_store DROP CONSTRAINT secret_store_encoding_check;
ALTER TABLE secret_store DROP CONSTRAINT secret_store_key_id_check;
ALTER TABLE secret_store ADD CONSTRAINT secret_store_encoding_check
    CHECK (encoding IN ('plain', 'aes-256-gcm', 'xchacha20-poly1305', 'triggerdev-v2'));
ALTER TABLE secret_store ADD CONSTRAINT secret_store_key_id_check
    CHECK (value IS NULL OR (encoding IN ('aes-256-gcm', 'xchacha20-poly1305')) = (key_id IS NOT NULL));

-- secret_versions' checks were declared inline (004), so their names are the server's: found by what they say.
DO $$
DECLARE
    found record;
BEGIN
    FOR found IN
        SELECT conname FROM pg_constraint
        WHERE conrelid = 'secret_versions'::regclass AND contype = 'c'
          AND (pg_get_constraintdef(oid) LIKE '%triggerdev-v2%' OR pg_get_constraintdef(oid) LIKE '%key_id IS NOT NULL%')
    LOOP
        EXECUTE format('ALTER TABLE secret_versions DROP CONSTRAINT %I', found.conname);
    END LOOP;
END
$$;
ALTER TABLE secret_versions ADD CONSTRAINT secret_versions_encoding_check
    CHECK (encoding IN ('plain', 'aes-256-gcm', 'xchacha20-poly1305', 'triggerdev-v2'));
ALTER TABLE secret_versions ADD CONSTRAINT secret_versions_key_id_check
    CHECK (value IS NULL OR (encoding IN ('aes-256-gcm', 'xchacha20-poly1305')) = (key_id IS NOT NULL));
