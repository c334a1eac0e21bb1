-- The dashboard's sessions (store/session_store.h), PostgreSQL: as
-- store/sqlite/migrations/0003_sessions.sql.
CREATE TABLE dash_sessions(
  id_hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('customer', 'operator')),
  key_id TEXT NOT NULL,
  sealed BYTEA NOT NULL,
  created_micros BIGINT NOT NULL,
  expires_micros BIGINT NOT NULL,
  revoked_micros BIGINT
);
CREATE INDEX dash_sessions_by_expiry ON dash_sessions(expires_micros);
