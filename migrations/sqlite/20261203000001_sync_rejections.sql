-- The rejection journal: every upload transaction papyrus refused, kept so nothing a
-- client sent is lost. `batch` is the request body as received, cut at a size cap.
CREATE TABLE IF NOT EXISTS sync_rejections (
    rejection_id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    details TEXT NOT NULL,
    cross_user INTEGER NOT NULL DEFAULT 0,
    batch TEXT NOT NULL,
    batch_bytes INTEGER NOT NULL,
    batch_truncated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_sync_rejections_user_id_created_at
    ON sync_rejections (user_id, created_at);
CREATE INDEX IF NOT EXISTS ix_sync_rejections_created_at ON sync_rejections (created_at);
