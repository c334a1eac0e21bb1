-- Keys, grants and the credit ledger (store/key_store.h), PostgreSQL.
-- One row holds the ledger's head: every transaction that appends to the ledger updates it
-- first, which takes its row lock until commit, so ledger seqs are handed out and committed
-- in one order across every node (a reader that sees seq S sees every seq below it).
CREATE TABLE gw_ledger_head(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_seq BIGINT NOT NULL,
  key_changes BIGINT NOT NULL  -- bumped by key creation and revocation (ChangeCounter)
);
INSERT INTO gw_ledger_head(id, last_seq, key_changes) VALUES (1, 0, 0);

CREATE TABLE gw_keys(
  key_id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  qps_limit BIGINT NOT NULL CHECK (qps_limit >= 1),
  burst BIGINT NOT NULL CHECK (burst >= 1),
  endpoints TEXT NOT NULL,
  created_micros BIGINT NOT NULL,
  created_order BIGSERIAL NOT NULL,
  expires_micros BIGINT,
  revoked_micros BIGINT,
  balance BIGINT NOT NULL CHECK (balance >= 0),
  charged_requests BIGINT NOT NULL DEFAULT 0,
  charged_credits BIGINT NOT NULL DEFAULT 0,
  last_charge_micros BIGINT NOT NULL DEFAULT 0,
  -- After a rotation with a grace period: the previous secret's hash, accepted until then.
  previous_key_hash TEXT NOT NULL DEFAULT '',
  previous_hash_expires_micros BIGINT
);

-- Grants (and refunds): one row each.
CREATE TABLE gw_ledger(
  seq BIGINT PRIMARY KEY,
  key_id TEXT NOT NULL REFERENCES gw_keys(key_id),
  kind TEXT NOT NULL CHECK (kind IN ('grant', 'charge', 'refund')),
  time_micros BIGINT NOT NULL,
  reference TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  amount BIGINT NOT NULL,
  balance_after BIGINT NOT NULL CHECK (balance_after >= 0)
);
CREATE UNIQUE INDEX gw_ledger_grant_id ON gw_ledger(reference) WHERE kind = 'grant';
CREATE INDEX gw_ledger_by_key ON gw_ledger(key_id, seq);

-- Charges: one row per moved block (store/charge_block.h), seqs first_seq..last_seq.
CREATE TABLE gw_charge_blocks(
  last_seq BIGINT PRIMARY KEY,
  first_seq BIGINT NOT NULL,
  entries BYTEA NOT NULL
);

-- How far each ledger log (a node's journal or lanes, ledger/ledger.h) has been moved in.
CREATE TABLE gw_charge_log_applied(
  log_id TEXT PRIMARY KEY,
  applied_id BIGINT NOT NULL
);
