// KeyStore: durable storage of API keys, grants and the credit ledger (docs/api.md §6). Every
// implementation passes store/key_store_suite.h. Implementations live side by side under
// store/sqlite/, store/postgres/; only app/ names one.
//
// Contracts:
// - A key is stored only as the hex SHA-256 of its text, never in clear.
// - The balance of a key is never negative (enforced by the store itself, not only by its
//   callers): a block of charges that would make one negative is refused whole.
// - The ledger is append-only. Every change of a balance writes exactly one ledger entry
//   carrying the balance after it, in the same transaction as the balance.
// - Grants are idempotent: a grant id is recorded once in the whole store; applying it
//   again changes nothing.
// - ApplyChargeBlock is the one way charges get in: a block of charges, in order, with the
//   log markers of whoever moved them there (ledger/ledger.h), all in one transaction.
//   Charges are decided before they get here (the gateway reserves them in memory and the
//   ledger makes them durable in its own logs first): the store only orders them, assigns
//   seqs and balances, and refuses a block that would break the balance rule.
// Implementations are safe to call from several threads (they serialize calls).
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
  // Usage totals, maintained by ApplyChargeBlock in the same transaction as the balance.
  int64_t charged_requests = 0;
  int64_t charged_credits = 0;
  int64_t last_charge_micros = 0;  // 0 when never charged
  // After a rotation with a grace period (RotateKey): the previous secret's hash, still
  // accepted until previous_hash_expires_micros. Empty / nullopt: none.
  std::string previous_key_hash;
  std::optional<int64_t> previous_hash_expires_micros;
};

// The settings UpdateKey changes; a field left unset is kept.
struct KeyChanges {
  std::optional<std::string> name;
  std::optional<int64_t> qps_limit;
  std::optional<int64_t> burst;
  std::optional<std::vector<std::string>> endpoints;  // an empty list: every endpoint
  // Replaces the expiry when set; the inner nullopt: the key never expires.
  std::optional<std::optional<int64_t>> expires_micros;
  bool empty() const { return !name && !qps_limit && !burst && !endpoints && !expires_micros; }
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

// One charge to apply: views, valid during the call that takes it.
struct ChargeView {
  std::string_view key_id;
  std::string_view request_id;
  std::string_view endpoint;
  int64_t time_micros = 0;
  int64_t cost = 0;  // > 0
};

// How far a log of charges (a ledger's journal or one of its lanes, ledger/ledger.h) has
// been moved into the store: an id its owner chooses and a position in its own terms.
struct LogMarker {
  std::string log_id;
  int64_t position = 0;
};

struct ApplyOptions {
  // false: when the block cannot be applied at once (the store is busy with another writer,
  // another process holds the database), Unavailable with nothing applied, never a wait.
  bool wait = true;
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
  // Applies `changes` to key `key_id` (one transaction) and returns the record after.
  // NotFound when unknown. A revoked key may be changed (it stays revoked). The caller
  // validates the values (gateway::ValidateKeyChanges).
  virtual Result<KeyRecord> UpdateKey(std::string_view key_id, const KeyChanges& changes) = 0;
  // A new secret for the same key: key_hash becomes `new_hash`. With
  // `previous_valid_until` the old key_hash becomes previous_key_hash, accepted until then;
  // without, previous_key_hash and previous_hash_expires_micros are cleared (the old secret
  // is refused at once). A previous hash left by an earlier rotation is replaced either way.
  // NotFound when unknown; AlreadyExists (nothing changed) when `new_hash` is another key's
  // key_hash. Returns the record after.
  virtual Result<KeyRecord> RotateKey(std::string_view key_id, std::string_view new_hash,
                                      std::optional<int64_t> previous_valid_until) = 0;

  // Adds `amount` (> 0) credits under `grant_id`. NotFound for an unknown key;
  // InvalidArgument for amount <= 0 or > kMaxCredits; FailedPrecondition (nothing changed)
  // when the balance would pass kMaxCredits; when `grant_id` was applied before with the
  // same key and amount: {applied=false}; with another key or amount: AlreadyExists.
  virtual Result<GrantResult> ApplyGrant(std::string_view key_id, std::string_view grant_id,
                                         int64_t amount, int64_t time_micros) = 0;

  // Applies `charges` in order, in ONE transaction together with `markers` (each set to
  // its position, replacing an earlier one of the same id): every charge takes the next
  // seq, its balance_after is its key's balance right after it, and the key's balance and
  // usage totals (charged_requests, charged_credits, last_charge_micros = the latest time)
  // change with it. All or nothing: FailedPrecondition, with nothing written, when a
  // charge names an unknown key, has a cost <= 0 or would take a balance below zero. An
  // empty `charges` only sets the markers. Unavailable (nothing written) only with
  // options.wait = false, when it would have to wait.
  virtual Status ApplyChargeBlock(std::span<const ChargeView> charges,
                                  std::span<const LogMarker> markers,
                                  const ApplyOptions& options = {}) = 0;
  // Every marker whose log id starts with `prefix`, in log id order.
  virtual Result<std::vector<LogMarker>> LogMarkers(std::string_view prefix) = 0;

  // Reads every key and, for reloading, the grants appended after `grants_after`.
  virtual Result<KeySnapshot> Snapshot(int64_t grants_after) = 0;

  // A cheap change detector for reloading: a value that differs from the previous call's
  // when another connection or process may have changed the stored data (UpdateKey and
  // RotateKey included) since then (it
  // need not change for this store's own writes). The default (-1, "unknown") makes
  // callers reload every time.
  virtual Result<int64_t> ChangeCounter() { return int64_t{-1}; }

  // Ledger entries in seq order; all keys when `key_id` is empty. `fn` may stop the scan
  // by returning a non-OK status, which is returned. `fn` must not call the store.
  virtual Status ForEachLedgerEntry(std::string_view key_id,
                                    const std::function<Status(const LedgerEntry&)>& fn) = 0;
};

}  // namespace soundtrend::store
