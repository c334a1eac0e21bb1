// BillingGateway: the gateway of the running server (gateway::Gateway for the request path,
// KeyAdmin for the admin API). docs/api.md §2 and §6.
//
// Request path (no global lock, no disk except Commit):
// - Keys live in an immutable table (hash -> account) published through one atomic
//   pointer; Admit hashes the presented key (SHA-256) and looks the hash up, so only an
//   exact key matches. A rotated key's previous secret (KeyRecord::previous_key_hash) is
//   in a second map, matched only until its grace period ends. A table is replaced, never
//   modified, when keys change.
// - Each key has its own atomics: the balance (Reserve is a CAS loop that never lets it go
//   below zero) and the GCRA rate limiter.
// - Commit makes the charge durable in the ledger (ledger/ledger.h) before `done` runs: on
//   an event loop with options.current_lane, in the loop's own charge lane, and `done` runs
//   at once (see the option); from any other thread, through one ledger writer thread that
//   appends everything queued as one journal group (group commit), then calls `done`. The
//   ledger moves the charges into the store in blocks; the store refuses any block that
//   would make a durable balance negative.
// - Durability (docs/api.md §6) is the ledger's: a charge whose response was sent is in the OS's
//   hands (a charge lane's shared mapping or the charge journal) and survives a crash of
//   the process (kill -9) (`serve --ledger-sync normal`, the default); with `--ledger-sync
//   full` the journal groups are also fsynced, so they survive power loss, at the cost of
//   one fdatasync (a few ms here) per group.
//
// Balances: the in-memory balance = the durable balance - reservations not yet committed.
// It is loaded from the store at Open. Grants made through this object, and grants or key
// changes made by other processes on the same database (the CLI), are picked up by Reload:
// it runs after every admin change made here, and ReloadIfChanged runs every
// `reload_interval_millis` (default 1 s) on a background thread, off the request path: it
// asks the store's cheap change counter (KeyStore::ChangeCounter) and re-reads keys and
// new grants only when another connection or process committed since the last look (with
// options.key_changes it also looks as soon as a change is signalled: other nodes); the
// same thread moves the ledger's charges into the store (Ledger::MoveAll), which every
// admin read and change through this object also does first. So a
// key created, updated, rotated, revoked or credited with `soundtrend keys|credits` while the
// server runs is seen within about a second; a revocation through this object (admin API) is
// immediate. Every grant reaches the in-memory balance exactly once (ledger sequence watermark).
//
// Charging switch (options.charging = false, `serve --no-charging`): keys, expiry,
// permissions and rate limits work exactly as with charging on, but a successful request
// costs 0: Reserve always succeeds without touching the balance, Release does nothing, and
// Commit calls `done(OK)` at once (on the calling thread) without writing to the ledger
// (the gateway then needs no ledger).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/log_throttle.h"
#include "common/random.h"
#include "gateway/gateway.h"
#include "gateway/key_admin.h"
#include "gateway/lease_keeper.h"
#include "gateway/rate_limiter.h"
#include "ledger/ledger.h"
#include "store/change_feed.h"
#include "store/key_store.h"

namespace soundtrend::gateway {

// State of a key that outlives table versions: balance, limiter, usage counters.
// The usage totals sit beside the balance: a charge updates them right after its
// reservation took the balance's cache line.
struct AccountState {
  // Without leases: the durable balance minus the reservations not yet committed. With
  // leases (options.leases): what this node holds of its lease on the key, unspent.
  std::atomic<int64_t> balance{0};
  // With leases: the key's free credits in the store (not leased to any node), as this
  // node's last lease saw them; shown with `balance` as the key's balance.
  std::atomic<int64_t> shared_free{0};
  std::atomic<int64_t> charged_requests{0};
  std::atomic<int64_t> charged_credits{0};
  std::atomic<int64_t> last_charge_micros{0};
  GcraLimiter limiter;

  // Adds charged requests and credits to the usage totals; last_charge_micros becomes
  // `time_micros` if that is later. Totals for display: relaxed.
  void AddUsage(int64_t requests, int64_t credits, int64_t time_micros) {
    charged_requests.fetch_add(requests, std::memory_order_relaxed);
    charged_credits.fetch_add(credits, std::memory_order_relaxed);
    int64_t last = last_charge_micros.load(std::memory_order_relaxed);
    while (last < time_micros &&
           !last_charge_micros.compare_exchange_weak(last, time_micros, std::memory_order_relaxed,
                                                     std::memory_order_relaxed)) {
    }
  }
};

// One key as the request path sees it: immutable policy + shared mutable state.
class KeyAccount {
 public:
  KeyAccount(const store::KeyRecord& record, std::shared_ptr<AccountState> state);

  const std::string& key_id() const { return key_id_; }
  const std::string& name() const { return name_; }
  const RateLimit& rate_limit() const { return limit_; }
  const std::vector<std::string>& endpoints() const { return endpoints_; }  // empty = all
  std::optional<int64_t> expires_micros() const { return expires_micros_; }
  bool revoked() const { return revoked_; }
  int64_t created_micros() const { return created_micros_; }
  AccountState& state() const { return *state_; }
  const std::shared_ptr<AccountState>& shared_state() const { return state_; }
  // True when the key may call `endpoint`. "/v1/account" is always allowed.
  bool AllowsEndpoint(std::string_view endpoint) const;

 private:
  std::string key_id_;
  std::string name_;
  RateLimit limit_;
  std::vector<std::string> endpoints_;
  std::optional<int64_t> expires_micros_;
  bool revoked_ = false;
  int64_t created_micros_ = 0;
  std::shared_ptr<AccountState> state_;
};

// What GET /v1/account shows.
struct AccountView {
  std::string key_id;
  std::string name;
  int64_t balance = 0;
  RateLimit rate_limit;
  std::vector<std::string> endpoints;  // empty = all customer endpoints
  std::optional<int64_t> expires_micros;
  int64_t created_micros = 0;
  int64_t charged_requests = 0;
  int64_t charged_credits = 0;
  int64_t last_charge_micros = 0;  // 0 = never
};

struct BillingGatewayOptions {
  // Period of the background ReloadIfChanged; 0 disables the thread (tests call Reload or
  // ReloadIfChanged themselves).
  int64_t reload_interval_millis = 1000;
  // false: successful requests cost 0 and write no ledger entry (see above).
  bool charging = true;
  // Optional: the charge lane of the calling thread (serve passes http::CurrentLoopIndex:
  // the number of the event loop running it, nullopt on any other thread). When it names
  // one (below kMaxLanes) and the ledger gives out charge lanes (Ledger::Lane), Commit
  // appends the charge to that lane, durable against the death of the process once
  // appended, and calls `done` at once on the calling thread: no lock shared with other
  // loops, no system call, no answer waiting for a group commit. The ledger moves lane
  // charges into the store later (every reload interval, before admin reads). Only for
  // durability against kill -9: with --ledger-sync full leave it unset. Charges from other
  // threads go to the ledger thread. (CommitNow takes this path; Commit too.)
  std::function<std::optional<uint32_t>()> current_lane;
  // Where rate limits are decided; null: a LocalRateLimiter (this process alone).
  std::shared_ptr<RateLimiter> rate_limiter;
  // A loop moves its own lane into the store once it has appended this many charges since
  // its last move, right after answering (AfterAnswer), if the ledger and the store are free at
  // that moment (Ledger::TryMoveLane never waits): the charges are still in that CPU's caches, and
  // no loop ever waits for another. The reload thread moves whatever is left every reload interval.
  // 0: only that (a store behind a network round trip: the loops never wait on one).
  int64_t lane_move_after_charges = 1024;
  // The ledger thread moves its journal into the store once this many charges wait there.
  int64_t journal_move_after_charges = 4096;
  // Test hook (0: off): the process kills itself (SIGKILL) right after its Nth charge is
  // durable (in a lane or the journal) and before that request is answered, so that a test
  // can prove the charge is stored before the reply (serve takes it from the environment
  // variable SOUNDTREND_TEST_KILL_AFTER_CHARGES).
  int64_t kill_after_charges = 0;
  // Several nodes on one store (docs/api.md §10): this node's credit leases (the key store's
  // own, store/credit_leases.h; it must outlive the gateway). Set: a key's in-memory balance
  // is this node's unspent lease, Reserve answers kPending when it is too small and
  // FinishReserve takes a new lease (gateway/lease_keeper.h); Open first settles what a
  // killed process of this node left leased; a graceful stop gives the unspent back.
  store::CreditLeases* leases = nullptr;
  LeaseKeeperOptions lease_options;
  // Several nodes on one store (docs/api.md §10: keys, revocations and grants reach every
  // node within one second): a wake-up when any node commits a key change or a grant
  // (PostgreSQL: LISTEN soundtrend_keys; store/change_feed.h). Set (and the reload thread
  // on): the reload thread waits on it, so a change is seen within a round trip of its
  // commit; the counter poll every reload interval stays the safety net (a lost
  // connection, a missed signal). Used by the reload thread only.
  std::shared_ptr<store::ChangeFeed> key_changes;
};

class BillingGateway final : public Gateway, public KeyAdmin {
 public:
  // Loads every key and balance from `store` and starts the ledger writer. `ledger` (over
  // `store`) is required when options.charging; the gateway owns both from now on. All
  // references must outlive it.
  static Result<std::unique_ptr<BillingGateway>> Open(std::unique_ptr<store::KeyStore> store,
                                                      std::unique_ptr<ledger::Ledger> ledger,
                                                      const Clock& clock, RandomSource& random,
                                                      BillingGatewayOptions options = {});
  // Drains the ledger queue (every pending Commit completes), stops the threads, and
  // closes the ledger (moving its charges) before the store.
  ~BillingGateway() override;

  // gateway::Gateway
  Admission Admit(std::string_view authorization, std::string_view endpoint) override;
  void FinishAdmit(Admission pending, std::function<void(Admission)> done) override;
  ReserveOutcome Reserve(KeyAccount& account, int64_t cost) override;
  void FinishReserve(std::shared_ptr<KeyAccount> account, int64_t cost,
                     std::function<void(ReserveOutcome)> done) override;
  void Release(KeyAccount& account, int64_t cost) override;
  std::optional<Status> CommitNow(KeyAccount& account, const ChargeRef& charge) override;
  void Commit(std::shared_ptr<KeyAccount> account, ChargeInfo charge,
              std::function<void(Status)> done) override;
  int64_t Balance(const KeyAccount& account) const override;
  // Moves this loop's charge lane into the store when it is due (lane_move_after_charges)
  // and the ledger and the store are free. Never waits.
  void AfterAnswer() override;

  AccountView Describe(const KeyAccount& account) const;

  // KeyAdmin: each change is stored, then Reload runs, before returning.
  Result<CreatedKey> CreateKey(const NewKeySpec& spec) override;
  Result<std::vector<store::KeyRecord>> ListKeys() override;
  Result<store::KeyRecord> GetKey(std::string_view key_id) override;
  Status RevokeKey(std::string_view key_id) override;
  Result<store::KeyRecord> UpdateKey(std::string_view key_id,
                                     const store::KeyChanges& changes) override;
  Result<CreatedKey> RotateKey(std::string_view key_id, int64_t grace_seconds) override;
  Result<store::GrantResult> GrantCredits(std::string_view key_id, std::string_view grant_id,
                                          int64_t amount) override;
  Status ForEachLedgerEntry(std::string_view key_id,
                            const std::function<Status(const store::LedgerEntry&)>& fn) override;

  // Re-reads keys and new grants from the store (changes made by other processes).
  Status Reload();
  // Reload only when the store's change counter moved since the last (re)load; sets
  // `*reloaded` (when not null) to whether it did. Cheap when nothing changed (one PRAGMA).
  Status ReloadIfChanged(bool* reloaded = nullptr);
  // Number of reloads that re-read the store (Open's included), for tests and metrics.
  int64_t reloads() const { return reloads_.load(); }

  // The lease keeper (null without options.leases), for tests and metrics.
  LeaseKeeper* lease_keeper() { return keeper_.get(); }

  // Number of groups the ledger writer thread has appended (for tests and benchmarks).
  int64_t ledger_transactions() const { return ledger_transactions_.load(); }
  // Key tables not yet freed: the current one and those some thread's cache still holds
  // (for tests: bounded by threads + 1, not by the number of key changes).
  int64_t key_tables_alive() const { return tables_alive_->load(); }

 private:
  // A rotated key's previous secret, accepted until `until_micros` (KeyRecord).
  struct PreviousSecret {
    std::shared_ptr<KeyAccount> account;
    int64_t until_micros = 0;
  };
  struct KeyTable {
    explicit KeyTable(std::shared_ptr<std::atomic<int64_t>> alive) : alive(std::move(alive)) {
      this->alive->fetch_add(1);
    }
    ~KeyTable() { alive->fetch_sub(1); }
    std::unordered_map<std::string, std::shared_ptr<KeyAccount>> by_hash;
    std::unordered_map<std::string, PreviousSecret> by_previous_hash;
    std::shared_ptr<std::atomic<int64_t>> alive;  // key_tables_alive()'s count
  };
  // The calling thread's copy of the published table, refreshed when table_version_ moved.
  const KeyTable& CurrentTable() const;
  // A loop's charge lane (lanes_ below).
  struct alignas(64) LaneSlot {
    std::atomic<ledger::ChargeLane*> lane{nullptr};
    int64_t since_move = 0;  // charges appended since this loop last moved its lane (its own)
    // The lane could not be made or appended to (a full disk): until retry_after_nanos
    // (the clock's MonotonicNanos) this loop's charges go to the ledger thread, then the
    // lane is tried again; only this loop is affected. Its own, like since_move.
    bool failing = false;
    int64_t retry_after_nanos = 0;
    bool move_due = false;  // set by a charge, done by AfterAnswer (this loop's own)
  };
  struct PendingCharge {
    std::shared_ptr<KeyAccount> account;
    ChargeInfo charge;
    int64_t time_micros = 0;
    std::function<void(Status)> done;
  };

  BillingGateway(std::unique_ptr<store::KeyStore> store, std::unique_ptr<ledger::Ledger> ledger,
                 const Clock& clock, RandomSource& random, BillingGatewayOptions options);
  Status ReloadLocked();  // store_mutex_ held
  void WriterLoop();
  // Appends `batch` to the ledger as one group and completes every charge (done called,
  // reservations released when it failed). Clears `batch`.
  void CommitBatch(std::vector<PendingCharge>& batch);
  // Moves the ledger's charges into the store before an admin read or change (no-op
  // without a ledger).
  Status MoveLedger();
  // The charge lane slot of the calling thread (options.current_lane) with its lane set;
  // null when it has none (the ledger thread then stores its charges).
  LaneSlot* LaneOfThisThread();
  // Appends a charge to the slot's lane (updating the usage totals). nullopt: the lane
  // cannot take it (LaneFailed called; the reservation stands and the charge is the ledger
  // thread's). Else the charge's status: an error refused the charge itself and released
  // its reservation.
  std::optional<Status> AppendToLane(LaneSlot& slot, KeyAccount& account, const ChargeRef& charge);
  // After a lane charge: moves the slot's lane if due and the ledger and store are free.
  void MaybeMoveLane(LaneSlot& slot);
  // The slot's lane failed with `st`: its loop falls back to the ledger thread for
  // kLaneRetryNanos (logged at most once per kErrorLogNanos over all loops).
  void LaneFailed(LaneSlot& slot, const Status& st);
  // options_.kill_after_charges: `n` more charges are durable, not answered yet.
  void MaybeKillAfter(int64_t n);
  RateSubject SubjectOf(const KeyAccount& account) const {
    return {account.key_id(), account.rate_limit(), account.state().limiter};
  }
  void ReloadLoop();
  void FillHeaders(const KeyAccount& account, const RateDecision& decision,
                   Admission& admission) const;

  std::unique_ptr<store::KeyStore> store_;
  std::unique_ptr<ledger::Ledger> ledger_;  // over store_; null when not charging
  const Clock& clock_;
  BillingGatewayOptions options_;  // options_.rate_limiter is never null

  // Serializes reloads and admin changes (the fields below it).
  std::mutex store_mutex_;
  KeyManager manager_;
  std::unordered_map<std::string, std::shared_ptr<AccountState>> states_;
  int64_t grant_watermark_ = 0;
  // The store's change counter read just before the last Snapshot; nullopt before any.
  std::optional<int64_t> change_counter_;
  std::atomic<int64_t> reloads_{0};
  std::string table_signature_;
  // The published key table (replaced, never changed, when keys change). Admit reads its
  // thread's cached copy (CurrentTable) and takes a new copy when table_version_ moved, so
  // an old table is freed once every thread that used it has moved on: beyond the current
  // one, at most one table per thread stays alive however often keys change, and the
  // request path touches only the version counter (no reference counting, no lock).
  std::atomic<std::shared_ptr<const KeyTable>> table_;
  std::atomic<uint64_t> table_version_{0};
  const uint64_t instance_id_;  // tells this gateway's cached tables from another's
  std::shared_ptr<std::atomic<int64_t>> tables_alive_ = std::make_shared<std::atomic<int64_t>>(0);

  // Ledger writer queue.
  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::vector<PendingCharge> queue_;
  bool stopping_ = false;
  std::atomic<int64_t> ledger_transactions_{0};
  std::thread writer_;

  // Charge lanes by loop number, from the ledger at a loop's first charge.
  static constexpr uint32_t kMaxLanes = 64;
  std::array<LaneSlot, kMaxLanes> lanes_{};
  std::atomic<bool> ledger_has_lanes_{true};  // false: the ledger gives out no lanes at all
  std::atomic<int64_t> durable_charges_{0};   // for options_.kill_after_charges
  std::unique_ptr<LeaseKeeper> keeper_;       // with options_.leases

 public:
  // A loop whose lane failed tries it again after this long (on the injected clock).
  static constexpr int64_t kLaneRetryNanos = 1'000'000'000;
  // Each recurring error (a lane failing, charges not stored, a move failing) is logged at
  // most once per this long, with the count of the occurrences left out (issue 12: a
  // failing disk wrote two lines per request, 737 MB of log in 20 s).
  static constexpr int64_t kErrorLogNanos = 1'000'000'000;

 private:
  LogThrottle lane_log_{kErrorLogNanos};
  LogThrottle store_log_{kErrorLogNanos};
  LogThrottle move_log_{kErrorLogNanos};

  std::mutex reload_mutex_;
  std::condition_variable reload_cv_;
  bool reload_stopping_ = false;
  std::thread reloader_;
};

}  // namespace soundtrend::gateway
