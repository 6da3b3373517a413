-- The rejection journal: every upload transaction papyrus refused, kept so nothing a
-- client sent is lost. `batch` is the request body as received, cut at a size cap.
CREATE TABLE IF NOT EXISTS sync_rejections (
    rejection_id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    code varchar(32) NOT NULL,
    message text NOT NULL,
    details jsonb NOT NULL,
    cross_user boolean NOT NULL DEFAULT false,
    batch text NOT NULL,
    batch_bytes integer NOT NULL,
    batch_truncated boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS ix_sync_rejections_user_id_created_at
    ON sync_rejections (user_id, created_at);
CREATE INDEX IF NOT EXISTS ix_sync_rejections_created_at ON sync_rejections (created_at);
