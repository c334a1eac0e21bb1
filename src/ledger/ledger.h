// Ledger: charging's one home. A charge the gateway has reserved against a balance is made
// durable here first, in the ledger's own logs, and moved into the KeyStore (the ledger of
// record) later, in blocks, with KeyStore::ApplyChargeBlock.
//
// Logs (LedgerOptions::log_path = P):
// - Charge lanes (ledger/charge_lane.h), segment files `P.<lane>.<segment>`: one per event
//   loop, appended by that loop with no lock and no system call; a charge survives kill -9
//   of the process once appended (`serve --ledger-sync normal`).
// - The charge journal (ledger/charge_journal.h), file P: groups of charges from other
//   threads (the gateway's ledger thread), one write(2) per group, with an fdatasync per
//   group when LedgerOptions::sync (`--ledger-sync full`: survives power loss). Its flock
//   is the ledger's: one process at a time charges through the logs at P.
// Moves: MoveAll moves everything appended so far (journal first, then the lanes in lane
// order: that is the ledger order of those charges) as ONE ApplyChargeBlock, with a marker
// per log in the same transaction ('charges' = the last journal record id moved,
// 'lane-<i>' = the lane position moved up to, both under LedgerOptions::marker_prefix);
// then the journal is cleared and the lanes release their moved segments. A crash
// between the commit and the clearing therefore moves nothing twice: at Open the records
// and lane positions at or before the markers are skipped. TryMoveLane moves one lane
// when neither this ledger nor the store would have to wait (a loop moves its own lane
// while the charges are still in its caches).
// Recovery: Open takes the journal's lock and moves what a killed process left in the
// journal and in lane files beyond the markers (one block), deletes those lane files and
// starts new lanes past them. RecoverIfUnowned does the same for a process that does not
// charge (the CLI, a --no-charging server) when no process holds the logs.
//
// Without a log path (tests, databases in memory) there are no logs: AppendGroup applies
// each group to the store at once (one transaction) and there are no lanes.
//
// Thread-safety: a lane's Append from its one writer thread; every method here from any
// thread (they serialize on the ledger's mutex; TryMoveLane only tries it).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "ledger/charge_journal.h"
#include "ledger/charge_lane.h"
#include "store/key_store.h"

namespace soundtrend::ledger {

struct LedgerOptions {
  // The journal's file; lane segments are `<log_path>.<lane>.<segment>`. Empty: no logs.
  std::string log_path;
  // Prefix of this ledger's marker ids in the store (several ledgers may share a store).
  std::string marker_prefix;
  // fdatasync every journal group.
  bool sync = false;
  // Give out charge lanes.
  bool lanes = true;
  uint32_t lane_segment_bytes = ChargeLane::Options{}.segment_bytes;
};

class Ledger {
 public:
  // Opens the logs at options.log_path, taking the journal's lock (FailedPrecondition when
  // another process holds it), and moves what a killed process left in them into `store`.
  // `store` must outlive the ledger.
  static Result<std::unique_ptr<Ledger>> Open(store::KeyStore& store, LedgerOptions options);
  // Recovery for a process that does not charge: when the logs at options.log_path exist
  // and no process holds them, moves what they hold into `store`; OK doing nothing when a
  // process holds them (it moves its own charges) or there are none.
  static Status RecoverIfUnowned(store::KeyStore& store, const LedgerOptions& options);
  // Moves everything (best effort: what stays is moved at the next Open) and deletes the
  // files of lanes fully moved. Every lane's writer must be done.
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Lane `index`, created at the first call (its writer then appends to it from one
  // thread). FailedPrecondition without lanes; an I/O error when its file cannot be made.
  Result<ChargeLane*> Lane(uint32_t index);

  // Makes a group of reserved charges durable in the journal (one record; fdatasync with
  // options.sync); without logs, applies it to the store (one transaction). On OK every
  // charge of the group is durable and reaches the store by the next move at the latest.
  Status AppendGroup(std::span<const store::ChargeView> charges);

  // Moves every charge of the journal and the lanes appended so far into the store.
  Status MoveAll();
  // Moves lane `index`'s charges if neither this ledger nor the store is busy: OK without
  // moving when one is (MoveAll or a later call moves them). Never waits.
  Status TryMoveLane(uint32_t index);

  // Charges in the journal not moved yet.
  int64_t journal_charges() const;
  // ApplyChargeBlock calls that moved charges (for tests and benchmarks).
  int64_t moves() const;

 private:
  struct LaneState {
    std::unique_ptr<ChargeLane> lane;
    LanePosition moved = 0;
  };
  Ledger(store::KeyStore& store, LedgerOptions options);
  Status Recover();
  // Moves the journal (when `journal`) and lane `only_lane` or every lane. mutex_ held.
  Status MoveLocked(bool journal, std::optional<uint32_t> only_lane, bool wait);
  std::string MarkerId(std::string_view log) const {
    return options_.marker_prefix + std::string(log);
  }
  std::string LanePrefix() const { return options_.log_path + "."; }

  store::KeyStore& store_;
  const LedgerOptions options_;
  mutable std::mutex mutex_;
  std::unique_ptr<ChargeJournal> journal_;  // null without logs
  int64_t journal_charges_ = 0;
  std::map<uint32_t, LaneState> lanes_;
  std::map<uint32_t, uint32_t> next_lane_segment_;  // lane -> first segment a new lane takes
  int64_t moves_ = 0;
  // MoveLocked's scratch (kept: a steady flow of moves allocates nothing).
  std::vector<store::ChargeView> views_;
  std::deque<std::array<char, 36>> uuid_texts_;  // request ids views_ needs copied (stable)
  std::vector<store::LogMarker> markers_;
  std::vector<std::pair<uint32_t, LanePosition>> lane_ends_;
  std::string group_;  // AppendGroup's record
};

// The log path the SQLite backend uses beside its database file: "<db>-charges".
std::string LogPathBeside(const std::string& db_path);

}  // namespace soundtrend::ledger
