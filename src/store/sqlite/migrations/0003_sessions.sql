-- Baseline (IF NOT EXISTS, see 0001_keys.sql).
-- The dashboard's sessions (store/session_store.h): one row per signed-in browser.
-- id_hash is a digest of the browser's token and sealed the secret encrypted under a key
-- derived from that token: neither the token nor the key or admin token is stored.
CREATE TABLE IF NOT EXISTS dash_sessions(
  id_hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('customer', 'operator')),
  key_id TEXT NOT NULL,
  sealed BLOB NOT NULL,
  created_micros INTEGER NOT NULL,
  expires_micros INTEGER NOT NULL,
  revoked_micros INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dash_sessions_by_expiry ON dash_sessions(expires_micros);
