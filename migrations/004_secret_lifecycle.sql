-- A secret's lifecycle: every version kept (up to a limit), soft delete, destroy, metadata, and an audit trail.

-- The current version stays in secret_store, so that a read is still one row by its key. A deleted secret
-- keeps its row, marked; a destroyed current version keeps its row without a value.
ALTER TABLE secret_store
    ALTER COLUMN value DROP NOT NULL,
    ADD COLUMN write_id     TEXT,
    ADD COLUMN deleted_at   TIMESTAMPTZ,
    ADD COLUMN description  TEXT,
    ADD COLUMN tags         JSONB NOT NULL DEFAULT '{}',
    ADD COLUMN expires_at   TIMESTAMPTZ,
    ADD COLUMN rotate_after TIMESTAMPTZ,
    ADD COLUMN max_versions INTEGER CHECK (max_versions IS NULL OR max_versions BETWEEN 1 AND 1000);

ALTER TABLE secret_store DROP CONSTRAINT secret_store_key_id_check;
ALTER TABLE secret_store ADD CONSTRAINT secret_store_key_id_check
    CHECK (value IS NULL OR (encoding = 'aes-256-gcm') = (key_id IS NOT NULL));

-- Every kept version of every secret, the current one included, each as it was written: encrypted under the
-- key of its time, bound to its write (write_id). A destroyed version keeps its row, without its value.
CREATE TABLE secret_versions (
    key          TEXT COLLATE "C" NOT NULL,
    version      INTEGER     NOT NULL,
    value        JSONB,
    encoding     TEXT        NOT NULL CHECK (encoding IN ('plain', 'aes-256-gcm', 'triggerdev-v2')),
    key_id       TEXT,
    write_id     TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    destroyed_at TIMESTAMPTZ,
    PRIMARY KEY (key, version),
    CHECK ((value IS NULL) = (destroyed_at IS NOT NULL)),
    CHECK (value IS NULL OR (encoding = 'aes-256-gcm') = (key_id IS NOT NULL))
);

-- Existing secrets become their current version: nothing is lost, and rotation keeps working.
INSERT INTO secret_versions (key, version, value, encoding, key_id, write_id, created_at)
SELECT key, version, value, encoding, key_id, NULL, updated_at FROM secret_store;

-- A row written to secret_store by anything but this package (a hand-written import such as the one from
-- trigger.dev, or an older version of the package during a rolling upgrade) becomes a version too, so that
-- history, encryptionUsage() and rotation see every value (a value rotation missed would lock its readers
-- out once the old key is removed). The package's own writes set a new write_id and keep the version row
-- themselves: the WHEN clauses let them through without calling the function.
CREATE FUNCTION secret_store_keep_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO secret_versions (key, version, value, encoding, key_id, write_id, created_at)
    VALUES (NEW.key, NEW.version, NEW.value, NEW.encoding, NEW.key_id, NEW.write_id, NEW.updated_at)
    ON CONFLICT (key, version) DO UPDATE
    SET value = EXCLUDED.value, encoding = EXCLUDED.encoding, key_id = EXCLUDED.key_id,
        write_id = EXCLUDED.write_id, destroyed_at = NULL;
    RETURN NULL;
END
$$;

CREATE TRIGGER secret_store_inserted_by_hand AFTER INSERT ON secret_store
    FOR EACH ROW WHEN (NEW.value IS NOT NULL AND NEW.write_id IS NULL)
    EXECUTE FUNCTION secret_store_keep_version();

CREATE TRIGGER secret_store_updated_by_hand AFTER UPDATE ON secret_store
    FOR EACH ROW WHEN (NEW.value IS NOT NULL AND NEW.write_id IS NOT DISTINCT FROM OLD.write_id
                       AND (NEW.version <> OLD.version OR NEW.value IS DISTINCT FROM OLD.value))
    EXECUTE FUNCTION secret_store_keep_version();

CREATE INDEX secret_store_expires_at ON secret_store (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX secret_store_rotate_after ON secret_store (rotate_after) WHERE rotate_after IS NOT NULL;
CREATE INDEX secret_versions_to_rotate ON secret_versions (key_id, key, version) WHERE value IS NOT NULL;

-- The audit trail: one record per change (and per read, when reads are audited), never a value. The store
-- makes each record and its MAC; the database adds its position (seq), the versions and when it took it.
-- Checkpoints seal the records they cover with a MAC over all of them and over the checkpoint before.
CREATE TABLE secret_audit_checkpoints (
    seq          BIGSERIAL PRIMARY KEY,
    records      INTEGER     NOT NULL,
    digest       TEXT        NOT NULL,
    previous_mac TEXT        NOT NULL,
    mac_key_id   TEXT,
    mac          TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE secret_audit_log (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT        NOT NULL UNIQUE,
    operation   TEXT        NOT NULL,
    key         TEXT COLLATE "C",
    write_id    TEXT,
    actor       TEXT,
    at          TIMESTAMPTZ NOT NULL,
    mac_key_id  TEXT,
    mac         TEXT        NOT NULL,
    versions    INTEGER[]   NOT NULL DEFAULT '{}',
    keys        TEXT[]      NOT NULL DEFAULT '{}',
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sealed_by   BIGINT REFERENCES secret_audit_checkpoints (seq)
);

CREATE INDEX secret_audit_log_key ON secret_audit_log (key, seq);
CREATE INDEX secret_audit_log_unsealed ON secret_audit_log (seq) WHERE sealed_by IS NULL;
CREATE INDEX secret_audit_log_sealed_by ON secret_audit_log (sealed_by, seq);
