// KeyStore over SQLite: tables gw_keys, gw_ledger and gw_charge_blocks in the same database
// file as the chart store (WAL). The ledger is gw_ledger's rows (grants; charges stored
// by older versions) together with the charges packed in gw_charge_blocks (store/
// charge_block.h; one row per AppendCharges group, or per move of the charge log below):
// every entry has its own seq, and ForEachLedgerEntry returns them merged in seq order.
//
// Charge log (KeyStoreOptions::charge_log, for the serving process): AppendCharges then
// stages each group as one record of `<db>-charges`, a ChargeJournal (store/
// charge_journal.h): one write(2) per group, with an fdatasync when synchronous is FULL, so
// a staged charge survives what a committed transaction survives. Acceptance is decided in
// memory against the stored balances (the journal's lock means no other process charges
// meanwhile; grants by other processes only add). The staged charges move into
// gw_charge_blocks and gw_keys in one transaction (balances and seqs assigned then)
// every KeyStoreOptions::apply_after_charges charges or apply_interval, before any read or
// admin change through this store, on Flush and on close; gw_charge_log_applied records
// the last journal record moved, so a crash between that commit and the journal's Clear
// moves nothing twice. Other processes see staged charges once moved; opening the store
// moves what a killed process left staged (unless a running process holds the journal).
// Charge lanes (KeyStoreOptions::charge_lanes, for a serving process whose event loops
// answer right after a charge is durable against kill -9): ChargeLaneFor(i) gives loop i
// its own ChargeLane (store/charge_lane.h), segment files `<db>-charges.<i>.<n>` written
// through a shared memory mapping, with no lock and no system call per charge. The lanes'
// charges move into the tables with the charge log's (same moments, same transaction),
// decided again in ledger order (the callers reserved them against the balance first);
// gw_charge_log_applied holds each lane's moved-up-to position ('lane-<i>'), so a crash
// between that commit and the deletion of the segments moves nothing twice. Lanes need the
// charge log's lock (they take it), and opening the store moves what a killed process left
// in lanes, as for the journal.
// A committed change (grant, charge) has been
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

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/charge_block.h"
#include "store/charge_journal.h"
#include "store/charge_lane.h"
#include "store/key_store.h"
#include "store/sqlite/sqlite_db.h"

namespace soundtrend::store::sqlite {

struct KeyStoreOptions {
  // Stage charges in the charge log (see above). For the one serving process.
  bool charge_log = false;
  // Staged charges move into the ledger tables at the first AppendCharges once this many
  // are staged or this long after the last move; before every read and admin change of
  // this store; on Flush; and when the store closes.
  int64_t apply_after_charges = 4096;
  std::chrono::milliseconds apply_interval{1000};
  // Give out charge lanes (see above); implies charge_log.
  bool charge_lanes = false;
  uint32_t lane_segment_bytes = ChargeLane::Options{}.segment_bytes;
};

class SqliteKeyStore final : public KeyStore {
 public:
  // Opens `path` (creating the file and the gw_ tables when missing). Moves charges left
  // staged in its charge log by a process that was killed, unless a running process holds
  // the log. With store_options.charge_log, takes the log for itself: FailedPrecondition
  // when another process holds it.
  static Result<std::unique_ptr<SqliteKeyStore>> Open(const std::string& path,
                                                      OpenOptions options = {},
                                                      KeyStoreOptions store_options = {});
  // The charge log's file for the database at `db_path`.
  static std::string ChargeLogPath(const std::string& db_path);

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
  // Moves staged charges (charge log and lanes) into the ledger tables.
  Status Flush() override;
  // Requires KeyStoreOptions::charge_lanes.
  Result<ChargeLane*> ChargeLaneFor(uint32_t index) override;
  // With a busy timeout of 0 for its transaction: SQLITE_BUSY is OK, nothing moved.
  Status TryFlushChargeLane(uint32_t index) override;
  // The prefix of the charge lanes' segment files for the database at `db_path`.
  static std::string ChargeLanePrefix(const std::string& db_path);

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
  // AppendCharges without a charge log, inside the caller's transaction.
  Status WriteCharges(std::span<const ChargeRequest> charges, std::vector<Status>* outcomes);
  // AppendCharges with a charge log.
  Status StageCharges(std::span<const ChargeRequest> charges, std::vector<Status>* outcomes);
  Status OpenChargeLog(const std::string& log_path, OpenOptions options);
  void CloseChargeLog();
  // Moves every staged charge (journal and lanes) into gw_charge_blocks and gw_keys (one
  // transaction), then clears the journal and releases the lanes' moved segments.
  // `only_lane`: move that lane's charges only (and the journal's).
  Status ApplyChargeLog(std::optional<uint32_t> only_lane = std::nullopt);
  // ApplyChargeLog's part for the lanes (inside its transaction): the charges of each lane
  // from its moved position to lane_ends_, decided again in order, and the markers.
  Status MoveLaneCharges();
  // At open, with the log's lock held: moves what lanes of a stopped process hold beyond
  // their markers, deletes their files and notes where new lanes' segments start.
  Status RecoverLanes();
  // gw_charge_log_applied's 'lane-<i>' rows: lane -> moved-up-to position.
  Result<std::map<uint32_t, LanePosition>> LaneMarkers();
  // gw_charge_log_applied: `log_id` ('charges', 'lane-<i>') has moved up to `applied`.
  Status SetLogMarker(std::string_view log_id, int64_t applied);
  // Inside a write transaction, with PrepareChargeStatements done: gw_keys' balance and
  // usage totals of a key after charges; one gw_charge_blocks row for `block` (`count`
  // charges, the next seqs).
  Status UpdateKeyTotals(std::string_view key_id, int64_t balance, int64_t requests,
                         int64_t credits, int64_t last_micros);
  Status InsertChargeBlock(int64_t count, std::string_view block);
  struct StagedKey {
    bool loaded = false;
    bool known = false;
    int64_t stored_balance = 0;  // gw_keys.balance when read
    int64_t staged = 0;          // credits staged since
    int64_t requests = 0;        // charges staged since
    int64_t last_micros = 0;     // latest time of those
    uint64_t refreshed_in_call = 0;
  };
  Status LoadStagedKey(const std::string& key_id, StagedKey& key);
  // Takes back what StageCharges counted for packed_ when the group is not stored after all.
  void UnstagePacked();
  Status PrepareChargeStatements();
  // gw_keys.balance of `key_id`; nullopt for an unknown key.
  Result<std::optional<int64_t>> StoredBalance(std::string_view key_id);
  // ApplyChargeLog's fast path (inside its transaction): inserts the staged groups as they
  // are, as one block, when their balance_after values still hold; false (nothing written)
  // otherwise.
  Result<bool> MoveStagedBlocksAsIs(uint64_t applied_id);
  // ApplyChargeLog's general path (inside its transaction): every staged charge after
  // `applied_id` decided again against the stored balances, in order (WriteCharges).
  Status MoveStagedChargesDecidedAgain(int64_t applied_id);
  // The id of the last journal record moved into the tables (0: none).
  Result<int64_t> AppliedJournalId();
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
  std::optional<Statement> set_log_marker_;
  KeyStoreOptions store_options_;
  // The charge log (null without one).
  std::unique_ptr<ChargeJournal> journal_;
  int64_t staged_charges_ = 0;
  // The staged blocks' balance_after values are final (see MoveStagedBlocksAsIs).
  bool staged_as_is_ = true;
  std::chrono::steady_clock::time_point last_apply_;
  std::chrono::steady_clock::time_point next_apply_attempt_;  // after a failed move
  std::unordered_map<std::string, StagedKey> staged_keys_;
  std::vector<ChargeRequest> apply_requests_;  // ApplyChargeLog's scratch
  // Copies a charge into apply_requests_[count++] (its strings keep their capacity).
  void AddApplyRequest(size_t& count, std::string_view key_id, std::string_view request_id,
                       std::string_view endpoint, int64_t cost, int64_t time_micros);
  std::string moved_blocks_;  // MoveStagedBlocksAsIs' scratch
  uint64_t stage_calls_ = 0;
  std::vector<PackedCharge> packed_;  // AppendCharges' scratch
  std::string block_;
  // Charge lanes (charge_lanes): each lane and the position up to which its charges are
  // in the tables.
  struct LaneState {
    std::unique_ptr<ChargeLane> lane;
    LanePosition moved = 0;
    LanePosition end = 0;  // ApplyChargeLog's snapshot of lane->end()
  };
  std::map<uint32_t, LaneState> lanes_;
  std::map<uint32_t, uint32_t> next_lane_segment_;  // lane -> first segment a new lane takes
  ChargeBlockEncoder lane_encoder_;                 // MoveLaneCharges' block
  std::string db_path_;
  int busy_timeout_ms_ = 0;  // OpenOptions::busy_timeout_ms, restored after TryFlushChargeLane
};

}  // namespace soundtrend::store::sqlite
