-- The key store (store/key_store.h), SQLite: keys, grants and the credit ledger
-- (sqlite_key_store.h). Migrations 0001-0004 are the baseline, the schema of every database
-- made before versions existed: they say IF NOT EXISTS so that adopting such a database
-- (sqlite_schema.h) runs them over the tables it has. Later migrations need not.
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
