// KeyStore: durable storage of API keys and their credit ledger (SPEC §6). SQLite now
// (store/sqlite/sqlite_key_store.h), other databases later.
//
// Contracts:
// - A key is stored only as the hex SHA-256 of its text, never in clear.
// - The balance of a key is never negative (enforced by the store itself, not only by its
//   callers): a charge that would make it negative is refused.
// - The ledger is append-only. Every change of a balance writes exactly one ledger entry
//   carrying the balance after it, in the same transaction as the balance.
// - Grants are idempotent: a grant id is recorded once in the whole store; applying it
//   again changes nothing.
// - AppendCharges stores a whole group in ONE group commit (a transaction, or one record of
//   a staging journal; one fsync with synchronous=FULL): on return with OK every accepted
//   charge is durable.
// Implementations are safe to call from one thread at a time unless they say otherwise.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace soundtrend::store {

class ChargeLane;  // store/charge_lane.h

struct KeyRecord {
  std::string key_id;    // public id, "key_" + 12 base62 characters
  std::string key_hash;  // lowercase hex SHA-256 of the key text (64 characters)
  std::string name;
  int64_t qps_limit = 10;  // requests per second, >= 1
  int64_t burst = 10;      // requests allowed back to back, >= 1
  // Allowed endpoints (paths). Empty: every customer endpoint.
  std::vector<std::string> endpoints;
  int64_t created_micros = 0;
  std::optional<int64_t> expires_micros;  // the key is refused from this instant on
  std::optional<int64_t> revoked_micros;  // set once revoked
  int64_t balance = 0;                    // credits, durable balance
  // Usage totals, maintained by AppendCharges in the same transaction as the balance.
  int64_t charged_requests = 0;
  int64_t charged_credits = 0;
  int64_t last_charge_micros = 0;  // 0 when never charged
};

enum class LedgerKind { kGrant, kCharge, kRefund };
inline std::string_view LedgerKindName(LedgerKind kind) {
  switch (kind) {
    case LedgerKind::kGrant:
      return "grant";
    case LedgerKind::kCharge:
      return "charge";
    case LedgerKind::kRefund:
      return "refund";
  }
  return "unknown";
}

struct LedgerEntry {
  int64_t seq = 0;  // assigned by the store, increasing in append order
  std::string key_id;
  LedgerKind kind = LedgerKind::kCharge;
  int64_t time_micros = 0;
  // Charge / refund: the request id. Grant: the grant id.
  std::string reference;
  std::string endpoint;  // charges and refunds; empty for grants
  int64_t amount = 0;    // signed: a charge is negative, grants and refunds positive
  int64_t balance_after = 0;
};

struct GrantResult {
  bool applied = false;  // false: this grant id was applied before, nothing changed
  int64_t balance_after = 0;
};

// A consistent picture of all keys, read in one transaction: the balances include every
// ledger entry up to `last_seq` and no later one.
struct KeySnapshot {
  std::vector<KeyRecord> keys;
  int64_t last_seq = 0;
  // Grants with seq > the `grants_after` passed to Snapshot, in seq order.
  std::vector<LedgerEntry> new_grants;
};

struct ChargeRequest {
  std::string key_id;
  std::string request_id;
  std::string endpoint;
  int64_t cost = 0;  // > 0
  int64_t time_micros = 0;
};

// The largest balance a key can hold, and so the largest grant: 2^53 - 1, exact as a JSON
// number in every client. Bounding every balance bounds every running sum of the ledger
// (each is a balance), so neither can overflow int64 (issue 12, defect 8).
inline constexpr int64_t kMaxCredits = (int64_t{1} << 53) - 1;

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // Adds a key. AlreadyExists when its id or hash is taken. The record's balance must be
  // 0: credits are added with ApplyGrant so that the ledger explains every credit.
  virtual Status CreateKey(const KeyRecord& key) = 0;
  // NotFound when unknown.
  virtual Result<KeyRecord> GetKey(std::string_view key_id) = 0;
  // All keys, in creation order.
  virtual Result<std::vector<KeyRecord>> ListKeys() = 0;
  // Marks the key revoked at `time_micros`. NotFound when unknown; revoking a revoked key
  // keeps the first time and is OK.
  virtual Status RevokeKey(std::string_view key_id, int64_t time_micros) = 0;

  // Adds `amount` (> 0) credits under `grant_id`. NotFound for an unknown key;
  // InvalidArgument for amount <= 0 or > kMaxCredits; FailedPrecondition (nothing changed)
  // when the balance would pass kMaxCredits; when `grant_id` was applied before with the
  // same key and amount: {applied=false}; with another key or amount: AlreadyExists.
  virtual Result<GrantResult> ApplyGrant(std::string_view key_id, std::string_view grant_id,
                                         int64_t amount, int64_t time_micros) = 0;

  // Stores a group of charges in one transaction. On OK, `outcomes` has one Status per
  // charge: OK (charged, in the ledger), NotFound (unknown key) or ResourceExhausted
  // (balance below the cost; nothing charged). A non-OK return means nothing was stored.
  virtual Status AppendCharges(std::span<const ChargeRequest> charges,
                               std::vector<Status>* outcomes) = 0;

  // Reads every key and, for reloading, the grants appended after `grants_after`.
  virtual Result<KeySnapshot> Snapshot(int64_t grants_after) = 0;

  // A cheap change detector for reloading: a value that differs from the previous call's
  // when another connection or process may have changed the stored data since then (it
  // need not change for this store's own writes). SQLite: PRAGMA data_version. The
  // default (-1, "unknown") makes callers reload every time.
  virtual Result<int64_t> ChangeCounter() { return int64_t{-1}; }

  // Ledger entries in seq order; all keys when `key_id` is empty. `fn` may stop the scan
  // by returning a non-OK status, which is returned.
  virtual Status ForEachLedgerEntry(std::string_view key_id,
                                    const std::function<Status(const LedgerEntry&)>& fn) = 0;

  // A store may keep accepted charges durable in a staging area first (see the SQLite
  // store's charge log); its own readers always see them. Flush moves them to where other
  // processes reading the same database see them too. Default: nothing staged.
  virtual Status Flush() { return Status::Ok(); }

  // Charge lane `index` (store/charge_lane.h), created at the first call: a log that one
  // thread appends charges to directly, without calling this store (no lock, no system
  // call), for a store that stages charges. The lane stays owned by the store; its charges
  // are moved into the ledger like other staged charges (Flush, before reads, at close),
  // decided again there in ledger order: the caller must only append charges it has
  // already reserved against the balance. FailedPrecondition when the store has no lanes.
  virtual Result<ChargeLane*> ChargeLaneFor(uint32_t index) {
    (void)index;
    return Status::FailedPrecondition("this key store has no charge lanes");
  }
  // Moves lane `index`'s charges (and what else is staged) into the ledger if that can be
  // done without waiting for another process (its lane's writer calls it, while the data is
  // still in its CPU's caches); OK without moving when the database is busy (Flush or a
  // later call moves them). Default: Flush.
  virtual Status TryFlushChargeLane(uint32_t index) {
    (void)index;
    return Flush();
  }
};

}  // namespace soundtrend::store
