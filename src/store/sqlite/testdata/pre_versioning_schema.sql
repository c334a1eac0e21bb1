-- The SQLite schema of soundtrend before schema versions (main 78c45fe, the last such), copied
-- verbatim from what each store ran when it opened a file: sqlite_key_store.cc kSchema,
-- sqlite_chart_store.cc kSchema and kSeqIndexes, sqlite/schema/sessions.sql and usage.sql.
-- Test data for SqliteSchemaTest (a database made before versioning is adopted): never edit.
-- sqlite_key_store.cc kSchema
CREATE TABLE IF NOT EXISTS gw_keys(
  key_id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  qps_limit INTEGER NOT NULL CHECK(qps_limit >= 1),
  burst INTEGER NOT NULL CHECK(burst >= 1),
  endpoints TEXT NOT NULL,
  created_micros INTEGER NOT NULL,
  expires_micros INTEGER,
  revoked_micros INTEGER,
  balance INTEGER NOT NULL CHECK(balance >= 0),
  charged_requests INTEGER NOT NULL DEFAULT 0,
  charged_credits INTEGER NOT NULL DEFAULT 0,
  last_charge_micros INTEGER NOT NULL DEFAULT 0,
  previous_key_hash TEXT NOT NULL DEFAULT '',
  previous_hash_expires_micros INTEGER
);
CREATE TABLE IF NOT EXISTS gw_ledger(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  key_id TEXT NOT NULL REFERENCES gw_keys(key_id),
  kind TEXT NOT NULL CHECK(kind IN ('grant', 'charge', 'refund')),
  time_micros INTEGER NOT NULL,
  reference TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  amount INTEGER NOT NULL,
  balance_after INTEGER NOT NULL CHECK(balance_after >= 0)
);
CREATE TABLE IF NOT EXISTS gw_charge_blocks(
  last_seq INTEGER PRIMARY KEY,
  first_seq INTEGER NOT NULL,
  entries BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS gw_charge_log_applied(
  log_id TEXT PRIMARY KEY,    -- a ledger log: 'charges' (its journal) or 'lane-<i>' (ledger/ledger.h)
  applied_id INTEGER NOT NULL  -- how far that log has moved into the tables (its position)
);
CREATE UNIQUE INDEX IF NOT EXISTS gw_ledger_grant_id ON gw_ledger(reference) WHERE kind = 'grant';
CREATE INDEX IF NOT EXISTS gw_ledger_by_key ON gw_ledger(key_id, seq);
-- sqlite_chart_store.cc kSchema
CREATE TABLE IF NOT EXISTS sounds(
  clip_id INTEGER PRIMARY KEY,
  song_id INTEGER NOT NULL,
  title TEXT NOT NULL,
  author TEXT NOT NULL,
  cover TEXT NOT NULL,
  duration INTEGER NOT NULL,
  commercial INTEGER NOT NULL,
  promoted INTEGER NOT NULL,
  music_url TEXT NOT NULL DEFAULT '',
  seq INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS cell_segments(
  id INTEGER PRIMARY KEY,
  day INTEGER NOT NULL,
  region TEXT NOT NULL,
  cells INTEGER NOT NULL,
  data BLOB NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS cell_segments_by_key ON cell_segments(day, region, id);
CREATE TABLE IF NOT EXISTS video_segments(
  id INTEGER PRIMARY KEY,
  day INTEGER NOT NULL,
  region TEXT NOT NULL,
  videos INTEGER NOT NULL,
  data BLOB NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS video_segments_by_key ON video_segments(day, region, id);
-- A batch's seq is its rowid: max + 1 at insertion, inside the writing transaction, so seqs
-- increase in commit order (SQLite has one writer at a time). `seq` columns above: the
-- batch that last wrote the row (0: written before seqs were kept).
CREATE TABLE IF NOT EXISTS batches(
  id TEXT PRIMARY KEY,
  applied_micros INTEGER NOT NULL,
  sounds INTEGER NOT NULL,
  cells INTEGER NOT NULL,
  videos INTEGER NOT NULL,
  source_records INTEGER NOT NULL);
-- The chart history, a cache of what the engine computes (see chart_store.h). kind: 0
-- popular, 1 surging; clip_ids: the top list's ids in rank order, 8 bytes each, little
-- endian (empty: no chart that day); data_seq: the batch sequence the edition reflects.
CREATE TABLE IF NOT EXISTS chart_editions(
  kind INTEGER NOT NULL,
  region TEXT NOT NULL,
  period INTEGER NOT NULL,
  day INTEGER NOT NULL,
  data_seq INTEGER NOT NULL,
  clip_ids BLOB NOT NULL,
  PRIMARY KEY(kind, region, period, day)) WITHOUT ROWID;
-- Stores of earlier versions kept the popular history in `editions`, as published (never
-- corrected by late data): a stale cache, dropped (the engine computes it again).
DROP TABLE IF EXISTS editions;
-- sqlite_chart_store.cc kSeqIndexes
CREATE INDEX IF NOT EXISTS sounds_by_seq ON sounds(seq);
CREATE INDEX IF NOT EXISTS cell_segments_by_seq ON cell_segments(seq);
CREATE INDEX IF NOT EXISTS video_segments_by_seq ON video_segments(seq);
-- sqlite/schema/sessions.sql
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
-- sqlite/schema/usage.sql
-- Per-key, per-day request counters and the latest requests of every key
-- (store/usage_store.h), for the dashboard. Every serving node adds its own counts.
CREATE TABLE IF NOT EXISTS usage_daily(
  key_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  payment_required INTEGER NOT NULL,
  rate_limited INTEGER NOT NULL,
  other_client_errors INTEGER NOT NULL,
  server_errors INTEGER NOT NULL,
  credits INTEGER NOT NULL,
  PRIMARY KEY (key_id, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_recent(
  key_id TEXT NOT NULL,
  time_micros INTEGER NOT NULL,
  request_id TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  status INTEGER NOT NULL,
  cost INTEGER NOT NULL,
  PRIMARY KEY (key_id, time_micros, request_id)
) WITHOUT ROWID;
