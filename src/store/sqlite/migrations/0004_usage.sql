-- Baseline (IF NOT EXISTS, see 0001_keys.sql).
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
