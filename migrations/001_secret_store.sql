-- Secrets: one row per key, the value as JSONB.
-- key uses the "C" collation so that a prefix scan is a plain range scan on the primary key index.
CREATE TABLE secret_store (
    key        TEXT COLLATE "C" PRIMARY KEY,
    value      JSONB       NOT NULL,
    -- Write counter: 1 on insert, +1 on every update.
    version    INTEGER     NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
