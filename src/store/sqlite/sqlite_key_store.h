// KeyStore over SQLite: tables gw_keys, gw_ledger and gw_charge_blocks in the same database
// file as the chart store (WAL). The ledger is gw_ledger's rows (grants; charges stored
// by older versions) together with the charges packed in gw_charge_blocks, one row per
// AppendCharges group (store/charge_block.h): every entry has its own seq, and
// ForEachLedgerEntry returns them merged in seq order. A committed change (grant, charge) has been
// written to the WAL file before the commit returns, so it survives kill -9 of the process; with
// OpenOptions::synchronous_full (the default here; `serve --ledger-sync full`) the WAL is
// also fsynced at each commit, so it survives power loss too. `serve` uses
// synchronous=NORMAL by default (`--ledger-sync normal`).
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
// Thread-safety: one thread at a time (it owns one SQLite connection). Several processes
// may open the same file: SQLite serializes their writes (busy timeout from OpenOptions).
#pragma once

#include <memory>
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
  // Opens `path` (creating the file and the gw_ tables when missing).
  static Result<std::unique_ptr<SqliteKeyStore>> Open(const std::string& path,
                                                      OpenOptions options = {});

  Status CreateKey(const KeyRecord& key) override;
  Result<KeyRecord> GetKey(std::string_view key_id) override;
  Result<std::vector<KeyRecord>> ListKeys() override;
  Status RevokeKey(std::string_view key_id, int64_t time_micros) override;
  Result<GrantResult> ApplyGrant(std::string_view key_id, std::string_view grant_id, int64_t amount,
                                 int64_t time_micros) override;
  Status AppendCharges(std::span<const ChargeRequest> charges,
                       std::vector<Status>* outcomes) override;
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
  Status CreateSchema();
  // One key when `key_id` is set, else all keys.
  Result<std::vector<KeyRecord>> ReadKeys(std::optional<std::string_view> key_id);
  // The seq the next ledger entry takes: one past the largest in gw_ledger and
  // gw_charge_blocks. Call inside the write transaction that uses it.
  Result<int64_t> NextSeq();

  // Declared before db_: outlives the connection whose WAL hook points at it.
  std::unique_ptr<Checkpointer> checkpointer_;
  std::unique_ptr<Database> db_;
  // AppendCharges' statements, prepared once (finalized before db_ closes: declared after).
  std::optional<Statement> select_balance_;
  std::optional<Statement> update_key_;
  std::optional<Statement> insert_block_;
  std::optional<Statement> max_seq_;
  std::vector<PackedCharge> packed_;  // AppendCharges' scratch
  std::string block_;
};

}  // namespace soundtrend::store::sqlite
