#include "gateway/key_admin.h"

#include <cstdio>

#include "common/day.h"
#include "gateway/api_key.h"

namespace soundtrend::gateway {
namespace {

constexpr int64_t kMaxQps = 100000;
constexpr size_t kMaxNameBytes = 200;

bool IsCustomerEndpoint(std::string_view e) {
  for (std::string_view known : kCustomerEndpoints)
    if (e == known) return true;
  return false;
}

std::string CustomerEndpointList() {
  std::string out;
  for (std::string_view known : kCustomerEndpoints) {
    if (!out.empty()) out += ", ";
    out += known;
  }
  return out;
}

void AppendCsvField(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

namespace {

Status ValidateName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) {
    return Status::InvalidArgument("name must be 1 to 200 bytes");
  }
  return Status::Ok();
}

Status ValidateQps(int64_t qps) {
  if (qps < 1 || qps > kMaxQps) return Status::InvalidArgument("qps must be between 1 and 100000");
  return Status::Ok();
}

Status ValidateBurst(int64_t burst) {
  if (burst < 1 || burst > kMaxQps * 60) {
    return Status::InvalidArgument("burst must be between 1 and 6000000");
  }
  return Status::Ok();
}

Status ValidateEndpoints(const std::vector<std::string>& endpoints) {
  for (const auto& e : endpoints) {
    if (!IsCustomerEndpoint(e)) {
      return Status::InvalidArgument("endpoints: " + e + " is not a customer endpoint (one of " +
                                     CustomerEndpointList() + ")");
    }
  }
  return Status::Ok();
}

Status ValidateExpiry(std::optional<int64_t> expires_micros, std::optional<int64_t> now_micros) {
  if (now_micros && expires_micros && *expires_micros <= *now_micros) {
    return Status::InvalidArgument("expires " + FormatTimeMicros(*expires_micros) +
                                   " is not in the future (the key would be refused at once)");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateNewKeySpec(const NewKeySpec& spec, std::optional<int64_t> now_micros) {
  ST_RETURN_IF_ERROR(ValidateName(spec.name));
  ST_RETURN_IF_ERROR(ValidateQps(spec.qps_limit));
  if (spec.burst) ST_RETURN_IF_ERROR(ValidateBurst(*spec.burst));
  if (spec.credits < 0 || spec.credits > store::kMaxCredits) {
    return Status::InvalidArgument("credits must be between 0 and " +
                                   std::to_string(store::kMaxCredits));
  }
  ST_RETURN_IF_ERROR(ValidateEndpoints(spec.endpoints));
  return ValidateExpiry(spec.expires_micros, now_micros);
}

Status ValidateKeyChanges(const store::KeyChanges& changes, std::optional<int64_t> now_micros) {
  if (changes.empty()) {
    return Status::InvalidArgument(
        "changes: nothing to change (set name, qps, burst, expires or endpoints)");
  }
  if (changes.name) ST_RETURN_IF_ERROR(ValidateName(*changes.name));
  if (changes.qps_limit) ST_RETURN_IF_ERROR(ValidateQps(*changes.qps_limit));
  if (changes.burst) ST_RETURN_IF_ERROR(ValidateBurst(*changes.burst));
  if (changes.endpoints) ST_RETURN_IF_ERROR(ValidateEndpoints(*changes.endpoints));
  if (changes.expires_micros)
    ST_RETURN_IF_ERROR(ValidateExpiry(*changes.expires_micros, now_micros));
  return Status::Ok();
}

Result<CreatedKey> KeyManager::CreateKey(const NewKeySpec& spec) {
  ST_RETURN_IF_ERROR(ValidateNewKeySpec(spec, clock_.NowMicros()));
  CreatedKey created;
  created.api_key = GenerateApiKey(random_);
  store::KeyRecord& r = created.record;
  r.key_id = GenerateKeyId(random_);
  r.key_hash = HashApiKey(created.api_key);
  r.name = spec.name;
  r.qps_limit = spec.qps_limit;
  r.burst = spec.burst.value_or(spec.qps_limit);
  r.endpoints = spec.endpoints;
  r.created_micros = clock_.NowMicros();
  r.expires_micros = spec.expires_micros;
  ST_RETURN_IF_ERROR(store_.CreateKey(r));
  if (spec.credits > 0) {
    Result<store::GrantResult> grant =
        store_.ApplyGrant(r.key_id, "initial:" + r.key_id, spec.credits, r.created_micros);
    if (!grant.ok()) return grant.status();
    r.balance = grant->balance_after;
  }
  return created;
}

Result<std::vector<store::KeyRecord>> KeyManager::ListKeys() { return store_.ListKeys(); }

Result<store::KeyRecord> KeyManager::GetKey(std::string_view key_id) {
  return store_.GetKey(key_id);
}

Status KeyManager::RevokeKey(std::string_view key_id) {
  return store_.RevokeKey(key_id, clock_.NowMicros());
}

Result<store::KeyRecord> KeyManager::UpdateKey(std::string_view key_id,
                                               const store::KeyChanges& changes) {
  ST_RETURN_IF_ERROR(ValidateKeyChanges(changes, clock_.NowMicros()));
  return store_.UpdateKey(key_id, changes);
}

Result<CreatedKey> KeyManager::RotateKey(std::string_view key_id, int64_t grace_seconds) {
  if (grace_seconds < 0 || grace_seconds > kMaxRotationGraceSeconds) {
    return Status::InvalidArgument("grace must be between 0 and " +
                                   std::to_string(kMaxRotationGraceSeconds) + " seconds");
  }
  Result<store::KeyRecord> key = store_.GetKey(key_id);
  if (!key.ok()) return key.status();
  if (key->revoked_micros) {
    return Status::FailedPrecondition("key " + std::string(key_id) +
                                      " is revoked; create a new key instead");
  }
  CreatedKey rotated;
  rotated.api_key = GenerateApiKey(random_);
  std::optional<int64_t> previous_valid_until;
  if (grace_seconds > 0) previous_valid_until = clock_.NowMicros() + grace_seconds * 1'000'000;
  Result<store::KeyRecord> after =
      store_.RotateKey(key_id, HashApiKey(rotated.api_key), previous_valid_until);
  if (!after.ok()) return after.status();
  rotated.record = std::move(after).value();
  return rotated;
}

Result<store::GrantResult> KeyManager::GrantCredits(std::string_view key_id,
                                                    std::string_view grant_id, int64_t amount) {
  if (grant_id.empty() || grant_id.size() > 200) {
    return Status::InvalidArgument("grant_id must be 1 to 200 bytes");
  }
  return store_.ApplyGrant(key_id, grant_id, amount, clock_.NowMicros());
}

Status KeyManager::ForEachLedgerEntry(std::string_view key_id,
                                      const std::function<Status(const store::LedgerEntry&)>& fn) {
  if (!key_id.empty()) {
    Result<store::KeyRecord> key = store_.GetKey(key_id);
    if (!key.ok()) return key.status();
  }
  return store_.ForEachLedgerEntry(key_id, fn);
}

std::string LedgerCsvHeader() {
  return "seq,time,key_id,kind,reference,endpoint,amount,balance_after\r\n";
}

void AppendLedgerCsvRow(std::string& out, const store::LedgerEntry& e) {
  out += std::to_string(e.seq);
  out += ',';
  out += FormatTimeMicros(e.time_micros);
  out += ',';
  AppendCsvField(out, e.key_id);
  out += ',';
  out += store::LedgerKindName(e.kind);
  out += ',';
  AppendCsvField(out, e.reference);
  out += ',';
  AppendCsvField(out, e.endpoint);
  out += ',';
  out += std::to_string(e.amount);
  out += ',';
  out += std::to_string(e.balance_after);
  out += "\r\n";
}

std::string FormatTimeMicros(int64_t micros) {
  int64_t seconds = micros >= 0 ? micros / 1000000 : -((-micros + 999999) / 1000000);
  const int64_t frac = micros - seconds * 1000000;
  const Day day = DayOfUnixSeconds(seconds);
  const int64_t in_day = seconds - DayStartUnixSeconds(day);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d.%06dZ", FormatDay(day).c_str(),
                static_cast<int>(in_day / 3600), static_cast<int>(in_day / 60 % 60),
                static_cast<int>(in_day % 60), static_cast<int>(frac));
  return buf;
}

}  // namespace soundtrend::gateway
