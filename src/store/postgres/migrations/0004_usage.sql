-- The dashboard's usage counters (store/usage_store.h), PostgreSQL: as
-- store/sqlite/migrations/0004_usage.sql. Every node adds its own counts.
CREATE TABLE usage_daily(
  key_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  ok BIGINT NOT NULL,
  payment_required BIGINT NOT NULL,
  rate_limited BIGINT NOT NULL,
  other_client_errors BIGINT NOT NULL,
  server_errors BIGINT NOT NULL,
  credits BIGINT NOT NULL,
  PRIMARY KEY (key_id, day)
);
CREATE TABLE usage_recent(
  key_id TEXT NOT NULL,
  time_micros BIGINT NOT NULL,
  request_id TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  status INTEGER NOT NULL,
  cost BIGINT NOT NULL,
  PRIMARY KEY (key_id, time_micros, request_id)
);
