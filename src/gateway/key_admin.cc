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

Status ValidateNewKeySpec(const NewKeySpec& spec, std::optional<int64_t> now_micros) {
  if (spec.name.empty() || spec.name.size() > kMaxNameBytes) {
    return Status::InvalidArgument("name must be 1 to 200 bytes");
  }
  if (spec.qps_limit < 1 || spec.qps_limit > kMaxQps) {
    return Status::InvalidArgument("qps must be between 1 and 100000");
  }
  if (spec.burst && (*spec.burst < 1 || *spec.burst > kMaxQps * 60)) {
    return Status::InvalidArgument("burst must be between 1 and 6000000");
  }
  if (spec.credits < 0 || spec.credits > store::kMaxCredits) {
    return Status::InvalidArgument("credits must be between 0 and " +
                                   std::to_string(store::kMaxCredits));
  }
  for (const auto& e : spec.endpoints) {
    if (!IsCustomerEndpoint(e)) {
      return Status::InvalidArgument("endpoints: " + e + " is not a customer endpoint (one of " +
                                     CustomerEndpointList() + ")");
    }
  }
  if (now_micros && spec.expires_micros && *spec.expires_micros <= *now_micros) {
    return Status::InvalidArgument("expires " + FormatTimeMicros(*spec.expires_micros) +
                                   " is not in the future (the key would be refused at once)");
  }
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
