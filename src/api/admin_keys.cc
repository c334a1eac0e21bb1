#include "api/admin_keys.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <utility>
#include <vector>

#include "api/account.h"
#include "common/day.h"
#include "common/json_writer.h"
#include "gateway/api_key.h"
#include "http/error.h"

namespace soundtrend::api {
namespace {

constexpr std::string_view kAdminUnauthorized = "admin token is invalid";
constexpr int64_t kDefaultLedgerLimit = 100;
constexpr int64_t kMaxLedgerLimit = 10000;
// Credit amounts (store::kMaxCredits = 2^53 - 1).
constexpr std::string_view kAmountRule = "must be an integer from 1 to 9007199254740991";
constexpr std::string_view kCreditsRule = "must be an integer from 0 to 9007199254740991";
static_assert(store::kMaxCredits == 9007199254740991);

int HttpStatusOf(const Status& st) {
  switch (st.code()) {
    case Status::Code::kInvalidArgument:
      return 400;
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kAlreadyExists:
    case Status::Code::kFailedPrecondition:  // e.g. a grant that would pass the largest balance
      return 409;
    default:
      return 500;
  }
}

// The error response for a failed management call; 500s keep their details in the log.
http::Response StatusResponse(const Status& st, std::string_view request_id) {
  const int code = HttpStatusOf(st);
  if (code == 500) {
    spdlog::error("admin request {} failed: {}", request_id, st.ToString());
    return http::ErrorResponse(500, http::kInternalErrorMessage, request_id);
  }
  std::string message = code == 400 ? "Invalid parameter: " + st.message() : st.message();
  return http::ErrorResponse(code, message, request_id);
}

http::Response BadParameter(std::string_view name, std::string_view rule,
                            std::string_view request_id) {
  std::string message = "Invalid parameter: ";
  message += name;
  message += ' ';
  message += rule;
  return http::ErrorResponse(400, message, request_id);
}

void AppendTime(std::string& out, int64_t micros) {
  json::AppendString(out, gateway::FormatTimeMicros(micros));
}

void AppendOptionalTime(std::string& out, const std::optional<int64_t>& micros) {
  if (micros) {
    AppendTime(out, *micros);
  } else {
    out += "null";
  }
}

void AppendStringArray(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    json::AppendString(out, items[i]);
  }
  out += ']';
}

// A key as the admin API shows it: never the hash, never the key.
void AppendKeyJsonImpl(std::string& out, const store::KeyRecord& k) {
  out += "{\"key_id\":";
  json::AppendString(out, k.key_id);
  out += ",\"name\":";
  json::AppendString(out, k.name);
  out += ",\"qps\":";
  json::AppendInt(out, k.qps_limit);
  out += ",\"burst\":";
  json::AppendInt(out, k.burst);
  out += ",\"endpoints\":";
  AppendStringArray(out, k.endpoints);
  out += ",\"balance\":";
  json::AppendInt(out, k.balance);
  out += ",\"created_at\":";
  AppendTime(out, k.created_micros);
  out += ",\"expires_at\":";
  AppendOptionalTime(out, k.expires_micros);
  out += ",\"revoked_at\":";
  AppendOptionalTime(out, k.revoked_micros);
  out += ",\"charged_requests\":";
  json::AppendInt(out, k.charged_requests);
  out += ",\"credits_used\":";
  json::AppendInt(out, k.charged_credits);
  out += ",\"previous_key_expires_at\":";
  AppendOptionalTime(out,
                     k.previous_key_hash.empty() ? std::nullopt : k.previous_hash_expires_micros);
  out += '}';
}

void AppendLedgerJsonImpl(std::string& out, const store::LedgerEntry& e) {
  out += "{\"seq\":";
  json::AppendInt(out, e.seq);
  out += ",\"time\":";
  AppendTime(out, e.time_micros);
  out += ",\"key_id\":";
  json::AppendString(out, e.key_id);
  out += ",\"kind\":";
  json::AppendString(out, store::LedgerKindName(e.kind));
  out += ",\"reference\":";
  json::AppendString(out, e.reference);
  out += ",\"endpoint\":";
  json::AppendString(out, e.endpoint);
  out += ",\"amount\":";
  json::AppendInt(out, e.amount);
  out += ",\"balance_after\":";
  json::AppendInt(out, e.balance_after);
  out += '}';
}

// Parses a JSON object body; nullopt when it is not one (*number_out_of_range set when the
// reason is a number simdjson cannot hold, e.g. an amount past 2^64).
std::optional<simdjson::dom::object> ParseObject(simdjson::dom::parser& parser,
                                                 std::string_view body,
                                                 bool* number_out_of_range = nullptr) {
  simdjson::dom::element doc;
  if (const simdjson::error_code e = parser.parse(body.data(), body.size()).get(doc)) {
    if (number_out_of_range != nullptr) {
      *number_out_of_range = e == simdjson::NUMBER_ERROR || e == simdjson::NUMBER_OUT_OF_RANGE;
    }
    return std::nullopt;
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) return std::nullopt;
  return obj;
}

// Field helpers: each returns false when the field is present with the wrong type.
bool GetString(const simdjson::dom::object& obj, std::string_view name,
               std::optional<std::string>* out) {
  simdjson::dom::element v;
  if (obj.at_key(name).get(v)) return true;  // absent
  std::string_view s;
  if (v.get_string().get(s)) return false;
  *out = std::string(s);
  return true;
}

bool GetInt(const simdjson::dom::object& obj, std::string_view name, std::optional<int64_t>* out) {
  simdjson::dom::element v;
  if (obj.at_key(name).get(v)) return true;
  int64_t i;
  if (v.get_int64().get(i)) return false;
  *out = i;
  return true;
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// "YYYY-MM-DD" (00:00 UTC that day) or unix seconds.
std::optional<int64_t> ParseExpiry(std::string_view s) {
  if (std::optional<Day> day = ParseDay(s)) return DayStartUnixSeconds(*day) * 1'000'000;
  int64_t seconds;
  if (ParseInt(s, &seconds) && seconds > 0 && seconds < 253402300800) return seconds * 1'000'000;
  return std::nullopt;
}

// A field of `obj` that is not in `known`, or one given twice: the first such, or nullopt.
// Misspelled fields are refused rather than ignored ({"credit":20} would otherwise make a
// key with 0 credits), and so are repeated ones (checks and use could each read a
// different copy: {"credits":-15,"credits":"1"}).
std::optional<http::Response> UnknownField(const simdjson::dom::object& obj,
                                           std::initializer_list<std::string_view> known,
                                           std::string_view request_id) {
  std::vector<std::string_view> seen;
  for (auto [name, value] : obj) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      return BadParameter(name, "is given twice", request_id);
    }
    seen.push_back(name);
    bool found = false;
    for (std::string_view k : known) found |= k == name;
    if (found) continue;
    std::string list;
    for (std::string_view k : known) {
      if (!list.empty()) list += ", ";
      list += k;
    }
    return BadParameter(name, "is not a known field (known: " + list + ")", request_id);
  }
  return std::nullopt;
}

using AdminFn = std::function<http::Response(const http::Request&)>;

// Wraps `fn` with the admin token check.
http::Handler Guarded(const gateway::AdminAuth& auth, AdminFn fn) {
  return [auth, fn = std::move(fn)](const http::Request& request, http::Respond respond) {
    if (!auth.IsAuthorized(request.header("Authorization"))) {
      respond(http::ErrorResponse(401, kAdminUnauthorized, request.request_id));
      return;
    }
    respond(fn(request));
  };
}

http::Response CreateKey(gateway::KeyAdmin& admin, const http::Request& request) {
  simdjson::dom::parser parser;
  bool out_of_range = false;
  std::optional<simdjson::dom::object> obj = ParseObject(parser, request.body, &out_of_range);
  if (!obj && out_of_range) {
    return BadParameter("body", "has a number out of range (credits: 0 to 9007199254740991)",
                        request.request_id);
  }
  if (!obj) return BadParameter("body", "must be a JSON object", request.request_id);
  if (auto unknown = UnknownField(*obj, {"name", "credits", "qps", "burst", "expires", "endpoints"},
                                  request.request_id)) {
    return std::move(*unknown);
  }
  gateway::NewKeySpec spec;
  std::optional<std::string> name, expires;
  std::optional<int64_t> qps, burst, credits;
  if (!GetString(*obj, "name", &name) || !name) {
    return BadParameter("name", "is required and must be a string", request.request_id);
  }
  spec.name = *name;
  if (!GetInt(*obj, "qps", &qps))
    return BadParameter("qps", "must be an integer", request.request_id);
  if (qps) spec.qps_limit = *qps;
  if (!GetInt(*obj, "burst", &burst)) {
    return BadParameter("burst", "must be an integer", request.request_id);
  }
  spec.burst = burst;
  if (!GetInt(*obj, "credits", &credits) ||
      (credits && (*credits < 0 || *credits > store::kMaxCredits))) {
    return BadParameter("credits", kCreditsRule, request.request_id);
  }
  spec.credits = credits.value_or(0);
  std::optional<int64_t> expires_seconds;
  if (GetInt(*obj, "expires", &expires_seconds) && expires_seconds) {
    expires = std::to_string(*expires_seconds);
  } else if (!GetString(*obj, "expires", &expires)) {
    return BadParameter("expires", "must be YYYY-MM-DD or unix seconds", request.request_id);
  }
  if (expires) {
    spec.expires_micros = ParseExpiry(*expires);
    if (!spec.expires_micros) {
      return BadParameter("expires", "must be YYYY-MM-DD or unix seconds", request.request_id);
    }
  }
  simdjson::dom::element endpoints;
  if (!obj->at_key("endpoints").get(endpoints)) {
    simdjson::dom::array list;
    if (endpoints.get_array().get(list)) {
      return BadParameter("endpoints", "must be an array of paths", request.request_id);
    }
    for (simdjson::dom::element e : list) {
      std::string_view path;
      if (e.get_string().get(path)) {
        return BadParameter("endpoints", "must be an array of paths", request.request_id);
      }
      spec.endpoints.emplace_back(path);
    }
  }
  Result<gateway::CreatedKey> created = admin.CreateKey(spec);
  if (!created.ok()) return StatusResponse(created.status(), request.request_id);
  std::string data = "{\"key\":";
  json::AppendString(data, created->api_key);
  data += ",\"key_id\":";
  json::AppendString(data, created->record.key_id);
  data += ",\"details\":";
  AppendKeyJsonImpl(data, created->record);
  data += '}';
  return GatewaySuccessResponse(std::move(data), request.request_id);
}

http::Response ListKeys(gateway::KeyAdmin& admin, const http::Request& request) {
  Result<std::vector<store::KeyRecord>> keys = admin.ListKeys();
  if (!keys.ok()) return StatusResponse(keys.status(), request.request_id);
  std::string data = "{\"keys\":[";
  for (size_t i = 0; i < keys->size(); ++i) {
    if (i) data += ',';
    AppendKeyJsonImpl(data, (*keys)[i]);
  }
  data += "]}";
  return GatewaySuccessResponse(std::move(data), request.request_id);
}

// key_id from the JSON body or, failing that, the query string.
std::optional<std::string> KeyIdOf(const std::optional<simdjson::dom::object>& obj,
                                   const http::Request& request) {
  std::optional<std::string> key_id;
  if (obj) GetString(*obj, "key_id", &key_id);
  if (!key_id) key_id = FindQueryValue(request.query, "key_id");
  return key_id;
}

http::Response RevokeKey(gateway::KeyAdmin& admin, const http::Request& request) {
  simdjson::dom::parser parser;
  std::optional<simdjson::dom::object> obj = ParseObject(parser, request.body);
  if (obj) {
    if (auto unknown = UnknownField(*obj, {"key_id"}, request.request_id))
      return std::move(*unknown);
  }
  std::optional<std::string> key_id = KeyIdOf(obj, request);
  if (!key_id || !gateway::IsValidKeyId(*key_id)) {
    return BadParameter("key_id", "must be a key id (key_ + 12 characters)", request.request_id);
  }
  Status st = admin.RevokeKey(*key_id);
  if (!st.ok()) return StatusResponse(st, request.request_id);
  std::string data = "{\"key_id\":";
  json::AppendString(data, *key_id);
  data += ",\"revoked\":true}";
  return GatewaySuccessResponse(std::move(data), request.request_id);
}

http::Response GrantCredits(gateway::KeyAdmin& admin, const http::Request& request) {
  simdjson::dom::parser parser;
  bool out_of_range = false;
  std::optional<simdjson::dom::object> obj = ParseObject(parser, request.body, &out_of_range);
  if (!obj && out_of_range) return BadParameter("amount", kAmountRule, request.request_id);
  if (!obj) return BadParameter("body", "must be a JSON object", request.request_id);
  if (auto unknown = UnknownField(*obj, {"key_id", "amount", "grant_id"}, request.request_id)) {
    return std::move(*unknown);
  }
  std::optional<std::string> key_id, grant_id;
  std::optional<int64_t> amount;
  if (!GetString(*obj, "key_id", &key_id) || !key_id || !gateway::IsValidKeyId(*key_id)) {
    return BadParameter("key_id", "must be a key id (key_ + 12 characters)", request.request_id);
  }
  if (!GetString(*obj, "grant_id", &grant_id) || !grant_id || grant_id->empty() ||
      grant_id->size() > 200) {
    return BadParameter("grant_id", "is required (1 to 200 characters)", request.request_id);
  }
  if (!GetInt(*obj, "amount", &amount) || !amount || *amount <= 0 || *amount > store::kMaxCredits) {
    return BadParameter("amount", kAmountRule, request.request_id);
  }
  Result<store::GrantResult> grant = admin.GrantCredits(*key_id, *grant_id, *amount);
  if (!grant.ok()) return StatusResponse(grant.status(), request.request_id);
  std::string data = "{\"key_id\":";
  json::AppendString(data, *key_id);
  data += ",\"grant_id\":";
  json::AppendString(data, *grant_id);
  data += ",\"applied\":";
  json::AppendBool(data, grant->applied);
  data += ",\"balance\":";
  json::AppendInt(data, grant->balance_after);
  data += '}';
  return GatewaySuccessResponse(std::move(data), request.request_id);
}

http::Response Ledger(gateway::KeyAdmin& admin, const http::Request& request) {
  std::optional<std::string> key_id = FindQueryValue(request.query, "key_id");
  if (!key_id || !gateway::IsValidKeyId(*key_id)) {
    return BadParameter("key_id", "must be a key id (key_ + 12 characters)", request.request_id);
  }
  int64_t limit = kDefaultLedgerLimit;
  if (std::optional<std::string> l = FindQueryValue(request.query, "limit")) {
    if (!ParseInt(*l, &limit) || limit < 1 || limit > kMaxLedgerLimit) {
      return BadParameter("limit", "must be an integer between 1 and 10000", request.request_id);
    }
  }
  std::deque<store::LedgerEntry> latest;
  int64_t total = 0;
  Status st = admin.ForEachLedgerEntry(*key_id, [&](const store::LedgerEntry& e) {
    ++total;
    latest.push_back(e);
    if (static_cast<int64_t>(latest.size()) > limit) latest.pop_front();
    return Status::Ok();
  });
  if (!st.ok()) return StatusResponse(st, request.request_id);
  std::string data = "{\"key_id\":";
  json::AppendString(data, *key_id);
  data += ",\"total\":";
  json::AppendInt(data, total);
  data += ",\"entries\":[";
  bool first = true;
  for (const auto& e : latest) {
    if (!first) data += ',';
    first = false;
    AppendLedgerJsonImpl(data, e);
  }
  data += "]}";
  return GatewaySuccessResponse(std::move(data), request.request_id);
}

http::Response LedgerCsv(gateway::KeyAdmin& admin, const http::Request& request) {
  std::optional<std::string> key_id = FindQueryValue(request.query, "key_id");
  if (key_id && !gateway::IsValidKeyId(*key_id)) {
    return BadParameter("key_id", "must be a key id (key_ + 12 characters)", request.request_id);
  }
  std::string csv = gateway::LedgerCsvHeader();
  Status st = admin.ForEachLedgerEntry(key_id.value_or(""), [&](const store::LedgerEntry& e) {
    gateway::AppendLedgerCsvRow(csv, e);
    return Status::Ok();
  });
  if (!st.ok()) return StatusResponse(st, request.request_id);
  http::Response r;
  r.status = 200;
  r.content_type = "text/csv; charset=utf-8";
  r.body = std::move(csv);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"ledger.csv\"");
  return r;
}

constexpr std::string_view kKeysPrefix = "/admin/v1/keys/";
constexpr std::string_view kRotateSuffix = "/rotate";

// The key id of "/admin/v1/keys/ID" (suffix "") or "/admin/v1/keys/ID/rotate" (suffix
// "/rotate"); nullopt when the path has another shape.
std::optional<std::string_view> KeyIdInPath(std::string_view path, std::string_view suffix) {
  if (!path.starts_with(kKeysPrefix)) return std::nullopt;
  path.remove_prefix(kKeysPrefix.size());
  if (!path.ends_with(suffix)) return std::nullopt;
  path.remove_suffix(suffix.size());
  if (path.empty() || path.find('/') != std::string_view::npos) return std::nullopt;
  return path;
}

// The shapes under /admin/v1/keys/ and the methods each answers.
http::Response NotAKeyRoute(const http::Request& request) {
  if (KeyIdInPath(request.path, kRotateSuffix)) {
    http::Response r = http::ErrorResponse(405, http::DefaultMessage(405), request.request_id);
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  if (KeyIdInPath(request.path, "")) {
    http::Response r = http::ErrorResponse(405, http::DefaultMessage(405), request.request_id);
    r.headers.emplace_back("Allow", "GET, HEAD, PATCH");
    return r;
  }
  return http::ErrorResponse(404, http::DefaultMessage(404), request.request_id);
}

// The key id of the path, checked; the error response otherwise.
std::optional<http::Response> CheckKeyId(std::string_view key_id, std::string_view request_id) {
  if (gateway::IsValidKeyId(key_id)) return std::nullopt;
  return BadParameter("key_id", "must be a key id (key_ + 12 characters)", request_id);
}

// GET /admin/v1/keys/ID
http::Response ShowKey(gateway::KeyAdmin& admin, const http::Request& request) {
  std::optional<std::string_view> key_id = KeyIdInPath(request.path, "");
  if (!key_id) return NotAKeyRoute(request);
  if (auto bad = CheckKeyId(*key_id, request.request_id)) return std::move(*bad);
  Result<store::KeyRecord> key = admin.GetKey(*key_id);
  if (!key.ok()) return StatusResponse(key.status(), request.request_id);
  std::string data;
  AppendKeyJsonImpl(data, *key);
  return GatewaySuccessResponse(std::move(data), request.request_id);
}

// PATCH /admin/v1/keys/ID
http::Response UpdateKey(gateway::KeyAdmin& admin, const http::Request& request) {
  std::optional<std::string_view> key_id = KeyIdInPath(request.path, "");
  if (!key_id) return NotAKeyRoute(request);
  if (auto bad = CheckKeyId(*key_id, request.request_id)) return std::move(*bad);
  simdjson::dom::parser parser;
  bool out_of_range = false;
  std::optional<simdjson::dom::object> obj = ParseObject(parser, request.body, &out_of_range);
  if (!obj && out_of_range) {
    return BadParameter("body", "has a number out of range", request.request_id);
  }
  if (!obj) return BadParameter("body", "must be a JSON object", request.request_id);
  if (auto unknown = UnknownField(*obj, {"name", "qps", "burst", "expires", "endpoints"},
                                  request.request_id)) {
    return std::move(*unknown);
  }
  store::KeyChanges changes;
  std::optional<std::string> name;
  std::optional<int64_t> qps, burst;
  if (!GetString(*obj, "name", &name)) {
    return BadParameter("name", "must be a string", request.request_id);
  }
  changes.name = std::move(name);
  if (!GetInt(*obj, "qps", &qps))
    return BadParameter("qps", "must be an integer", request.request_id);
  changes.qps_limit = qps;
  if (!GetInt(*obj, "burst", &burst)) {
    return BadParameter("burst", "must be an integer", request.request_id);
  }
  changes.burst = burst;
  simdjson::dom::element expires;
  if (!obj->at_key("expires").get(expires)) {
    if (expires.is_null()) {
      changes.expires_micros = std::optional<int64_t>();  // never
    } else {
      std::optional<std::string> text;
      int64_t seconds;
      std::string_view s;
      if (!expires.get_int64().get(seconds)) {
        text = std::to_string(seconds);
      } else if (!expires.get_string().get(s)) {
        text = std::string(s);
      }
      std::optional<int64_t> micros = text ? ParseExpiry(*text) : std::nullopt;
      if (!micros) {
        return BadParameter("expires", "must be YYYY-MM-DD, unix seconds or null (never)",
                            request.request_id);
      }
      changes.expires_micros = micros;
    }
  }
  simdjson::dom::element endpoints;
  if (!obj->at_key("endpoints").get(endpoints)) {
    simdjson::dom::array list;
    if (endpoints.get_array().get(list)) {
      return BadParameter("endpoints", "must be an array of paths", request.request_id);
    }
    std::vector<std::string> paths;
    for (simdjson::dom::element e : list) {
      std::string_view path;
      if (e.get_string().get(path)) {
        return BadParameter("endpoints", "must be an array of paths", request.request_id);
      }
      paths.emplace_back(path);
    }
    changes.endpoints = std::move(paths);
  }
  Result<store::KeyRecord> key = admin.UpdateKey(*key_id, changes);
  if (!key.ok()) return StatusResponse(key.status(), request.request_id);
  std::string data;
  AppendKeyJsonImpl(data, *key);
  return GatewaySuccessResponse(std::move(data), request.request_id);
}

// POST /admin/v1/keys/ID/rotate
http::Response RotateKey(gateway::KeyAdmin& admin, const http::Request& request) {
  std::optional<std::string_view> key_id = KeyIdInPath(request.path, kRotateSuffix);
  if (!key_id) return NotAKeyRoute(request);
  if (auto bad = CheckKeyId(*key_id, request.request_id)) return std::move(*bad);
  int64_t grace_seconds = 0;
  if (!request.body.empty()) {
    simdjson::dom::parser parser;
    std::optional<simdjson::dom::object> obj = ParseObject(parser, request.body);
    if (!obj) return BadParameter("body", "must be a JSON object", request.request_id);
    if (auto unknown = UnknownField(*obj, {"grace_seconds"}, request.request_id)) {
      return std::move(*unknown);
    }
    std::optional<int64_t> grace;
    if (!GetInt(*obj, "grace_seconds", &grace) ||
        (grace && (*grace < 0 || *grace > gateway::kMaxRotationGraceSeconds))) {
      return BadParameter("grace_seconds", "must be an integer from 0 to 2592000 (30 days)",
                          request.request_id);
    }
    grace_seconds = grace.value_or(0);
  }
  Result<gateway::CreatedKey> rotated = admin.RotateKey(*key_id, grace_seconds);
  if (!rotated.ok()) return StatusResponse(rotated.status(), request.request_id);
  std::string data = "{\"key\":";
  json::AppendString(data, rotated->api_key);
  data += ",\"key_id\":";
  json::AppendString(data, rotated->record.key_id);
  data += ",\"details\":";
  AppendKeyJsonImpl(data, rotated->record);
  data += '}';
  return GatewaySuccessResponse(std::move(data), request.request_id);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() + 0 && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

void AppendKeyJson(std::string& out, const store::KeyRecord& key) { AppendKeyJsonImpl(out, key); }

void AppendLedgerJson(std::string& out, const store::LedgerEntry& entry) {
  AppendLedgerJsonImpl(out, entry);
}

http::Response GatewaySuccessResponse(std::string data_json, std::string_view request_id) {
  http::Response r;
  r.status = 200;
  r.body.reserve(data_json.size() + 96);
  r.body += "{\"code\":0,\"message\":\"success\",\"data\":";
  r.body += data_json;
  r.body += ",\"requestId\":";
  json::AppendString(r.body, request_id);
  r.body += '}';
  return r;
}

std::optional<std::string> FindQueryValue(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (PercentDecode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::vector<GatewayRoute> AdminKeyRoutes(std::shared_ptr<gateway::KeyAdmin> admin,
                                         gateway::AdminAuth auth) {
  auto bind = [admin](http::Response (*fn)(gateway::KeyAdmin&, const http::Request&)) {
    return [admin, fn](const http::Request& request) { return fn(*admin, request); };
  };
  const http::RouteOptions options = AdminRouteOptions(auth, http::kDefaultBodyLimit);
  return {
      {"POST", "/admin/v1/keys", Guarded(auth, bind(&CreateKey)), options},
      {"GET", "/admin/v1/keys", Guarded(auth, bind(&ListKeys)), options},
      {"POST", "/admin/v1/keys/revoke", Guarded(auth, bind(&RevokeKey)), options},
      {"POST", "/admin/v1/credits/grant", Guarded(auth, bind(&GrantCredits)), options},
      {"GET", "/admin/v1/ledger", Guarded(auth, bind(&Ledger)), options},
      {"GET", "/admin/v1/ledger.csv", Guarded(auth, bind(&LedgerCsv)), options},
      // /admin/v1/keys/ID and /admin/v1/keys/ID/rotate (the exact routes above win).
      {"GET", std::string(kKeysPrefix), Guarded(auth, bind(&ShowKey)), options, true},
      {"PATCH", std::string(kKeysPrefix), Guarded(auth, bind(&UpdateKey)), options, true},
      {"POST", std::string(kKeysPrefix), Guarded(auth, bind(&RotateKey)), options, true},
  };
}

http::RouteOptions AdminRouteOptions(const gateway::AdminAuth& auth, size_t body_limit) {
  http::RouteOptions options;
  options.body_limit = body_limit;
  options.before_body = [auth](const http::Request& request) -> std::optional<http::Response> {
    if (auth.IsAuthorized(request.header("Authorization"))) return std::nullopt;
    return http::ErrorResponse(401, kAdminUnauthorized, request.request_id);
  };
  return options;
}

void AddGatewayRoutes(http::Router& router, std::shared_ptr<gateway::BillingGateway> gateway,
                      gateway::AdminAuth auth, OutcomeListener* outcomes) {
  router.Add("GET", std::string(kAccountPath), MakeAccountHandler(gateway, outcomes));
  for (GatewayRoute& r : AdminKeyRoutes(gateway, std::move(auth))) {
    if (r.prefix) {
      router.AddPrefix(std::move(r.method), std::move(r.path), std::move(r.handler),
                       std::move(r.options));
    } else {
      router.Add(std::move(r.method), std::move(r.path), std::move(r.handler),
                 std::move(r.options));
    }
  }
}

}  // namespace soundtrend::api
