// KeyStore over SQLite: tables gw_keys, gw_ledger, gw_charge_blocks and
// gw_charge_log_applied (migrations/0001_keys.sql) in the same database file as the chart
// store (WAL). The ledger is
// gw_ledger's rows (grants; charges stored by older versions) together with the charges
// packed in gw_charge_blocks (store/charge_block.h; one row per ApplyChargeBlock): every
// entry has its own seq, and ForEachLedgerEntry returns them merged in seq order.
// gw_charge_log_applied holds the log markers ApplyChargeBlock sets (the ledger's journal
// 'charges' and lanes 'lane-<i>', ledger/ledger.h), in the same transaction as the block.
//
// A committed change (grant, charge block) has been written to the WAL file before the
// commit returns, so it survives kill -9 of the process; with OpenOptions::synchronous_full
// (the default here) the WAL is also fsynced at each commit, so it survives power loss too.
// `serve` uses synchronous=NORMAL by default (`--ledger-sync normal`): its charges are
// durable in the ledger's own logs before they get here.
//
// WAL checkpoints: the connection's automatic checkpoint is off. When a commit leaves at
// least kCheckpointPages pages in the WAL, a background thread (own connection) runs a
// PASSIVE checkpoint, so the committing thread (an event loop) does not copy the pages.
// Racing a busy writer, those checkpoints never leave the WAL fully copied, so it cannot
// restart from its beginning: at kInlineCheckpointPages the committing thread checkpoints
// once itself (when the background thread is idle: only the pages committed since its last
// run are left), as SQLite's auto-checkpoint would, and the next write restarts the WAL. Durability
// is unchanged: a commit is in the WAL before it returns, whoever copies it later.
//
// Thread-safety: every method takes the store's mutex (one SQLite connection);
// ApplyChargeBlock with wait = false only tries it, and runs with a busy timeout of 0.
// Several processes may open the same file: SQLite serializes their writes (busy timeout
// from OpenOptions).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/charge_block.h"
#include "store/key_store.h"
#include "store/sqlite/sqlite_db.h"

namespace soundtrend::store::sqlite {

class SqliteKeyStore final : public KeyStore {
 public:
  // Opens `path`, creating the file and bringing its schema up to date (sqlite_schema.h:
  // a newer or older database is refused).
  static Result<std::unique_ptr<SqliteKeyStore>> Open(const std::string& path,
                                                      OpenOptions options = {});

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
  // PRAGMA data_version: changes when another connection (this process or another) commits.
  Result<int64_t> ChangeCounter() override;
  Status ForEachLedgerEntry(std::string_view key_id,
                            const std::function<Status(const LedgerEntry&)>& fn) override;

  static constexpr int kCheckpointPages = 1000;
  static constexpr int kInlineCheckpointPages = 8000;

  ~SqliteKeyStore() override;
  // Checkpoints run by the background thread so far (for tests).
  int64_t BackgroundCheckpoints() const;

 private:
  class Checkpointer;
  SqliteKeyStore(std::unique_ptr<Database> db, std::unique_ptr<Checkpointer> checkpointer);
  // One key when `key_id` is set, else all keys.
  Result<std::vector<KeyRecord>> ReadKeys(std::optional<std::string_view> key_id);
  // ApplyChargeBlock's work inside its transaction.
  Status WriteChargeBlock(std::span<const ChargeView> charges, std::span<const LogMarker> markers);
  Status PrepareChargeStatements();
  // gw_keys.balance of `key_id`; nullopt for an unknown key.
  Result<std::optional<int64_t>> StoredBalance(std::string_view key_id);
  // The seq the next ledger entry takes: one past the largest in gw_ledger and
  // gw_charge_blocks. Call inside the write transaction that uses it.
  Result<int64_t> NextSeq();

  // Declared before db_: outlives the connection whose WAL hook points at it.
  std::unique_ptr<Checkpointer> checkpointer_;
  std::mutex mutex_;  // every use of db_ and the fields below
  std::unique_ptr<Database> db_;
  // ApplyChargeBlock's statements, prepared once (finalized before db_ closes: declared after).
  std::optional<Statement> select_balance_;
  std::optional<Statement> update_key_;
  std::optional<Statement> insert_block_;
  std::optional<Statement> max_seq_;
  std::optional<Statement> set_log_marker_;
  ChargeBlockEncoder encoder_;  // ApplyChargeBlock's block
  std::string block_;
  int busy_timeout_ms_ = 0;  // OpenOptions::busy_timeout_ms, restored after a no-wait apply
};

}  // namespace soundtrend::store::sqlite
