// KeyStore on PostgreSQL (store/key_store.h; passes store/key_store_suite.h): keys, grants
// and the ledger shared by every node. Schema: migrations/0001_keys.sql.
//
// Every write that appends to the ledger first updates the one row of gw_ledger_head
// (UPDATE ... RETURNING), which hands out its seqs and holds that row's lock until the
// commit: ledger appends of all nodes are serialized and committed in seq order. A charge
// block is one transaction: the head, each key's balance locked (FOR UPDATE) and checked,
// the keys' totals, one gw_charge_blocks row (store/charge_block.h), the markers.
// ChangeCounter = last_seq + key_changes: it moves with every grant, charge block, key
// creation or revocation by any node; key changes and grants also NOTIFY soundtrend_keys.
// One connection, calls serialized by a mutex. A lost connection is Unavailable (and
// reconnected at the next call).
// With a node id (PgOpenOptions::node_id) that connection's session holds the node id lock
// (NodeLockKey) for the store's life, so that two live processes never charge, lease or
// settle as the same node. A lost session loses the lock (PostgreSQL drops it with the
// session), and in that gap another process may take the id; so a reconnected session takes
// it again before it runs any statement (PgConnection::SetSessionSetup). When it cannot (a
// process with this id started meanwhile, or the old session is not yet gone), every call is
// Unavailable and says so, and the next one tries again: nothing is leased, settled or
// charged as this node until the lock is back. What the node had leased in memory before the
// loss it may still spend while it cannot reach the store, as in any outage; a process that
// took the id meanwhile and settled it (a restart elsewhere with the same id) makes that
// spending unsafe: give every node its own id.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "store/charge_block.h"
#include "store/credit_leases.h"
#include "store/key_store.h"
#include "store/postgres/pg_db.h"

namespace soundtrend::store::postgres {

struct PgOpenOptions {
  // Apply the migrations a database lacks (soundtrend migrate). An empty database is
  // always migrated; an older one is refused without this.
  bool migrate = false;
  // PgKeyStore: the node this store object charges for (serve --node-id). Set: it is also
  // that node's CreditLeases (leases()), and its charge blocks reduce the node's leases.
  // One live store per node id on a database: Open takes the node id's lock (below) and
  // holds it for the store's life; while another session holds it (a running node with
  // that id, or a `ledger settle` of it), Open fails with AlreadyExists naming the id and
  // the PostgreSQL backend pid that holds it.
  std::string node_id;
};

// The node id lock: a session-level advisory lock on the two-int4 key (the high and the low
// 32 bits of the 64-bit FNV-1a hash of the node id). PostgreSQL keeps the two-key space
// apart from the one-bigint space in which every other soundtrend advisory lock lives
// (pg_change_feed.h kPublisherLockKey, the migrations' and the chart batch writers'), so no
// node id meets those; two different ids meet with a probability of 2^-64. Advisory locks
// are per database: nodes on other databases of the same server do not see each other.
struct NodeLockKey {
  uint32_t high = 0;
  uint32_t low = 0;
};
NodeLockKey NodeLockKeyOf(std::string_view node_id);
// Open (and a settle of another node) waits this long for the lock: the session of a node
// killed a moment ago ends as soon as PostgreSQL sees its socket closed, so a restart right
// after a kill -9 is not refused for a session about to end.
inline constexpr int kNodeLockWaitMillis = 1000;

class PgKeyStore final : public KeyStore, public CreditLeases {
 public:
  static Result<std::unique_ptr<PgKeyStore>> Open(const std::string& url,
                                                  PgOpenOptions options = {});

  Status CreateKey(const KeyRecord& key) override;
  Result<KeyRecord> GetKey(std::string_view key_id) override;
  Result<std::vector<KeyRecord>> ListKeys() override;
  Status RevokeKey(std::string_view key_id, int64_t time_micros) override;
  Result<KeyRecord> UpdateKey(std::string_view key_id, const KeyChanges& changes) override;
  Result<KeyRecord> RotateKey(std::string_view key_id, std::string_view new_hash,
                              std::optional<int64_t> previous_valid_until) override;
  Result<GrantResult> ApplyGrant(std::string_view key_id, std::string_view grant_id, int64_t amount,
                                 int64_t time_micros) override;
  Status ApplyChargeBlock(std::span<const ChargeView> charges, std::span<const LogMarker> markers,
                          const ApplyOptions& options = {}) override;
  Result<std::vector<LogMarker>> LogMarkers(std::string_view prefix) override;
  Result<KeySnapshot> Snapshot(int64_t grants_after) override;
  Result<int64_t> ChangeCounter() override;
  Status ForEachLedgerEntry(std::string_view key_id,
                            const std::function<Status(const LedgerEntry&)>& fn) override;

  // This node's leases; null without PgOpenOptions::node_id.
  CreditLeases* leases() { return node_id_.empty() ? nullptr : this; }
  // CreditLeases (node_id() empty: SettleLeases only).
  const std::string& node_id() const override { return node_id_; }
  Result<LeaseGrant> TakeLease(std::string_view key_id, int64_t want, int64_t min,
                               int64_t share) override;
  Status ReturnLease(std::string_view key_id, int64_t amount) override;
  // Another node's (node_id != this store's): AlreadyExists while a session holds that
  // node's id (it is running: what it leased is not unspent); its lock is held meanwhile.
  Result<int64_t> SettleLeases(std::string_view node_id) override;
  Result<std::vector<NodeLease>> Leases() override;
  Result<std::vector<std::string>> OtherHolders(std::string_view key_id) override;
  // NOTIFY / LISTEN on channel soundtrend_leases; Receive uses a second connection of its own.
  Status Send(const LeaseSignal& signal) override;
  Result<std::vector<LeaseSignal>> Receive(int timeout_millis) override;

 private:
  PgKeyStore(std::unique_ptr<PgConnection> db, std::string node_id, std::string url)
      : db_(std::move(db)), node_id_(std::move(node_id)), url_(std::move(url)) {}
  Result<std::vector<KeyRecord>> ReadKeys(std::optional<std::string_view> key_id);
  // Counts a change to the keys (the change counter other nodes poll); in the caller's
  // transaction.
  // Also NOTIFYs it (NotifyKeyChange).
  Status CountKeyChange();
  // NOTIFY on kKeyChangeChannel (store/postgres/pg_change_feed.h), in the caller's
  // transaction: other nodes reload within a round trip of the commit.
  Status NotifyKeyChange();
  // After an update of `key_id` in `tx`: counts the change, reads the key back, commits.
  Result<KeyRecord> CommitKeyChange(PgTransaction& tx, std::string_view key_id);
  Status WriteChargeBlock(std::span<const ChargeView> charges, std::span<const LogMarker> markers);
  // Takes this store's node id lock on db_'s session (Open), and again on every new
  // session after a reconnect (PgConnection::SetSessionSetup).
  Status HoldNodeLock(bool reconnected);

  std::mutex mutex_;
  std::unique_ptr<PgConnection> db_;
  const std::string node_id_;
  std::string url_;
  std::mutex listen_mutex_;
  std::unique_ptr<PgConnection> listener_;  // Receive's, opened at its first call
  ChargeBlockEncoder encoder_;
  std::string block_;
};

}  // namespace soundtrend::store::postgres
