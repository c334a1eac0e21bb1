-- Credit leases (store/credit_leases.h): the part of a key's balance each node may spend.
-- leased = the sum of the key's gw_leases amounts, never above the balance: balance - leased
-- is free for any node to lease. lease_taken: the amount the latest TakeLease moved (it
-- returns it in the same statement).
ALTER TABLE gw_keys ADD COLUMN leased BIGINT NOT NULL DEFAULT 0;
ALTER TABLE gw_keys ADD COLUMN lease_taken BIGINT NOT NULL DEFAULT 0;
ALTER TABLE gw_keys ADD CONSTRAINT gw_keys_leased_within_balance
  CHECK (leased >= 0 AND leased <= balance);
CREATE TABLE gw_leases(
  key_id TEXT NOT NULL REFERENCES gw_keys(key_id),
  node_id TEXT NOT NULL,
  amount BIGINT NOT NULL CHECK (amount >= 0),
  PRIMARY KEY (key_id, node_id)
);
CREATE INDEX gw_leases_by_node ON gw_leases(node_id);
