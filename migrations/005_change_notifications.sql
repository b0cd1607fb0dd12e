-- Every committed change of a secret is announced on the channel secretstore_changes: its key, the version
-- it now has (or had, when its row is removed) and what happened. Never a value, nor metadata. Stores with a
-- cache LISTEN to drop what they hold of a changed key; store.watch() hands the changes to applications.
-- PostgreSQL delivers a notification only when its transaction commits, and never one of a rollback.
--
-- One trigger call per statement, not per row: a bulk write of 10,000 secrets sends a few dozen notifications
-- (each payload a JSON array of [key, version, operation], packed up to 7,000 bytes; the limit is 8,000), not
-- 10,000, since every notifying commit takes one lock in turn. A row changed in a way a reader cannot see
-- (a statement that sets nothing new) is not announced. Each payload starts with a random id: PostgreSQL
-- delivers identical payloads of one transaction once, which would lose the last of a delete, an undelete and
-- a delete made in one transaction. A TRUNCATE is announced as "truncate": every listener starts afresh.
--
-- Operations: set (a new version, or a new row), delete (soft), undelete, destroy (the current value erased,
-- or the row removed while not deleted), purge (a deleted row removed: by a purge, or a destroy of a deleted
-- secret), metadata, reencrypt (the same version stored anew, as rotation does).
CREATE FUNCTION secret_store_change_operation(old_row secret_store, new_row secret_store) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN old_row.key IS NULL THEN 'set'
        WHEN new_row.key IS NULL THEN CASE WHEN old_row.deleted_at IS NULL THEN 'destroy' ELSE 'purge' END
        WHEN new_row.version <> old_row.version THEN 'set'
        WHEN old_row.deleted_at IS NULL AND new_row.deleted_at IS NOT NULL THEN 'delete'
        WHEN old_row.deleted_at IS NOT NULL AND new_row.deleted_at IS NULL THEN 'undelete'
        WHEN old_row.value IS NOT NULL AND new_row.value IS NULL THEN 'destroy'
        WHEN new_row.value IS DISTINCT FROM old_row.value
          OR new_row.encoding IS DISTINCT FROM old_row.encoding
          OR new_row.key_id IS DISTINCT FROM old_row.key_id THEN 'reencrypt'
        WHEN new_row.description IS DISTINCT FROM old_row.description
          OR new_row.tags IS DISTINCT FROM old_row.tags
          OR new_row.expires_at IS DISTINCT FROM old_row.expires_at
          OR new_row.rotate_after IS DISTINCT FROM old_row.rotate_after
          OR new_row.max_versions IS DISTINCT FROM old_row.max_versions THEN 'metadata'
    END
$$;

CREATE FUNCTION secret_store_notify_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changes text[];
    change  text;
    payload text := '';
    head    text := to_json(md5(random()::text || clock_timestamp()::text))::text;
BEGIN
    -- Each branch names only the transition tables its trigger has.
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(json_build_array(n.key, n.version, 'set')::text ORDER BY n.key)
        INTO changes FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(json_build_array(o.key, o.version, secret_store_change_operation(o, NULL))::text
                         ORDER BY o.key)
        INTO changes FROM old_rows o;
    ELSE
        -- A full join: an update that changes a key removes one and makes another.
        SELECT array_agg(json_build_array(c.key, c.version, c.operation)::text ORDER BY c.key)
        INTO changes
        FROM (
            SELECT coalesce(n.key, o.key) AS key, coalesce(n.version, o.version) AS version,
                   secret_store_change_operation(o, n) AS operation
            FROM new_rows n FULL JOIN old_rows o ON o.key = n.key
        ) c
        WHERE c.operation IS NOT NULL;
    END IF;
    FOREACH change IN ARRAY coalesce(changes, '{}') LOOP
        IF payload <> '' AND octet_length(payload) + octet_length(change) > 7000 THEN
            PERFORM pg_notify('secretstore_changes', '[' || head || ',' || payload || ']');
            payload := '';
        END IF;
        payload := CASE WHEN payload = '' THEN change ELSE payload || ',' || change END;
    END LOOP;
    IF payload <> '' THEN
        PERFORM pg_notify('secretstore_changes', '[' || head || ',' || payload || ']');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER secret_store_notify_inserts AFTER INSERT ON secret_store
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION secret_store_notify_changes();

CREATE TRIGGER secret_store_notify_updates AFTER UPDATE ON secret_store
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION secret_store_notify_changes();

CREATE TRIGGER secret_store_notify_deletes AFTER DELETE ON secret_store
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION secret_store_notify_changes();

CREATE FUNCTION secret_store_notify_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('secretstore_changes', 'truncate');
    RETURN NULL;
END
$$;

CREATE TRIGGER secret_store_notify_truncates AFTER TRUNCATE ON secret_store
    FOR EACH STATEMENT EXECUTE FUNCTION secret_store_notify_truncate();
