// Management of keys and credits (create, list, revoke, grant, ledger, CSV export), shared
// by the CLI (`soundtrend keys|credits|ledger ...`) and the admin HTTP API.
//
// KeyAdmin is the interface both front ends call. Two implementations:
// - KeyManager (below): directly over a KeyStore, for the CLI. One thread at a time.
// - BillingGateway (gateway/billing_gateway.h): the running server's; every change is
//   visible to the request path before the call returns. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "store/key_store.h"

namespace soundtrend::gateway {

// Endpoints a key may call when created without an explicit list (documented in the README).
inline constexpr std::string_view kCustomerEndpoints[] = {"/v1/tiktok/trending/music",
                                                          "/v1/tiktok/trending/music/detail",
                                                          "/v1/tiktok/regions", "/v1/account"};

struct NewKeySpec {
  std::string name;                       // required, <= 200 bytes
  int64_t qps_limit = 10;                 // 1 .. 100000
  std::optional<int64_t> burst;           // default: qps_limit (one second worth)
  int64_t credits = 0;                    // initial grant (0 .. store::kMaxCredits)
  std::optional<int64_t> expires_micros;  // refused from this instant on
  std::vector<std::string> endpoints;     // of kCustomerEndpoints; empty = all
};

struct CreatedKey {
  std::string api_key;  // the secret, shown once; never stored
  store::KeyRecord record;
};

// The longest grace period of a rotation (KeyAdmin::RotateKey): 30 days.
inline constexpr int64_t kMaxRotationGraceSeconds = 30 * 24 * 3600;

class KeyAdmin {
 public:
  virtual ~KeyAdmin() = default;
  // InvalidArgument for a bad spec. The initial credits are a grant with id
  // "initial:<key_id>".
  virtual Result<CreatedKey> CreateKey(const NewKeySpec& spec) = 0;
  virtual Result<std::vector<store::KeyRecord>> ListKeys() = 0;
  // NotFound when unknown.
  virtual Result<store::KeyRecord> GetKey(std::string_view key_id) = 0;
  // NotFound when unknown. Takes effect on the next request.
  virtual Status RevokeKey(std::string_view key_id) = 0;
  // Changes the settings in `changes` (ValidateKeyChanges' rules: InvalidArgument naming
  // the field; nothing to change is InvalidArgument too) and returns the key after.
  // NotFound when unknown. Takes effect on the next request.
  virtual Result<store::KeyRecord> UpdateKey(std::string_view key_id,
                                             const store::KeyChanges& changes) = 0;
  // A new secret for the same key (balance, limits, ledger unchanged): the old secret is
  // refused at once (grace_seconds 0) or from grace_seconds from now on. InvalidArgument
  // for a grace outside 0..kMaxRotationGraceSeconds; NotFound when unknown;
  // FailedPrecondition for a revoked key. The result's api_key is shown once.
  virtual Result<CreatedKey> RotateKey(std::string_view key_id, int64_t grace_seconds) = 0;
  // Idempotent by `grant_id` (see KeyStore::ApplyGrant).
  virtual Result<store::GrantResult> GrantCredits(std::string_view key_id,
                                                  std::string_view grant_id, int64_t amount) = 0;
  // Ledger entries in order; all keys when `key_id` is empty. NotFound for an unknown key.
  virtual Status ForEachLedgerEntry(std::string_view key_id,
                                    const std::function<Status(const store::LedgerEntry&)>& fn) = 0;
};

// Validates `spec`: OK or InvalidArgument naming the field and the rule ("endpoints:
// /v1/nope is not a customer endpoint (one of ...)"). With `now_micros`, an expiry at or
// before it is refused too (the key would be refused from the start).
Status ValidateNewKeySpec(const NewKeySpec& spec, std::optional<int64_t> now_micros = std::nullopt);
// The same rules for the fields `changes` sets (name, qps, burst, endpoints, expires); an
// empty `changes` is refused ("nothing to change").
Status ValidateKeyChanges(const store::KeyChanges& changes,
                          std::optional<int64_t> now_micros = std::nullopt);

class KeyManager final : public KeyAdmin {
 public:
  // `store`, `clock` and `random` must outlive the manager.
  KeyManager(store::KeyStore& store, const Clock& clock, RandomSource& random)
      : store_(store), clock_(clock), random_(random) {}

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

 private:
  store::KeyStore& store_;
  const Clock& clock_;
  RandomSource& random_;
};

// Ledger CSV (RFC 4180): header
// "seq,time,key_id,kind,reference,endpoint,amount,balance_after" with time in RFC 3339 UTC
// (microseconds) and amount signed (charges negative).
std::string LedgerCsvHeader();
void AppendLedgerCsvRow(std::string& out, const store::LedgerEntry& entry);
// RFC 3339 UTC with microseconds: "2026-02-01T12:34:56.000123Z".
std::string FormatTimeMicros(int64_t micros);

}  // namespace soundtrend::gateway
