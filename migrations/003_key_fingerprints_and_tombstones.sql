-- Two records that outlive the rows they describe.

-- The last version a deleted secret had: a key created again continues from it, so that a version of a key
-- never stands for two different values (a compare-and-set or a rotation that read the old secret must
-- not match the new one). Kept by a trigger, so that every delete counts, including one made by hand.
CREATE TABLE secret_store_tombstones (
    key          TEXT COLLATE "C" PRIMARY KEY,
    last_version INTEGER NOT NULL
);

CREATE FUNCTION secret_store_record_tombstone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO secret_store_tombstones (key, last_version)
    VALUES (OLD.key, OLD.version)
    ON CONFLICT (key) DO UPDATE
    SET last_version = GREATEST(secret_store_tombstones.last_version, EXCLUDED.last_version);
    RETURN OLD;
END;
$$;

CREATE TRIGGER secret_store_tombstone
AFTER DELETE ON secret_store
FOR EACH ROW EXECUTE FUNCTION secret_store_record_tombstone();

-- A fingerprint of every encryption key that has written a value, by key id: an HMAC-SHA-256 of a fixed
-- label under the key, which reveals nothing of the key. A keyring whose key under a known id has another
-- fingerprint is refused before it writes, so that one key id never stands for two keys.
CREATE TABLE secret_store_key_fingerprints (
    key_id      TEXT PRIMARY KEY,
    fingerprint TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
