// The admin API's JSON bodies (POST /admin/v1/keys, /keys/revoke, /credits/grant) and
// query strings, through the real handlers over an in-memory KeyAdmin. The first byte
// picks the route. Every answer is a JSON envelope in valid UTF-8 with its status in
// `code`; nothing the handlers accept passes the documented bounds.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "api/admin_keys.h"
#include "common/json_writer.h"
#include "gateway/admin_auth.h"
#include "gateway/key_admin.h"
#include "http/handler.h"
#include "store/key_store.h"

using namespace soundtrend;

namespace {

class MemoryKeyAdmin final : public gateway::KeyAdmin {
 public:
  Result<gateway::CreatedKey> CreateKey(const gateway::NewKeySpec& spec) override {
    if (spec.credits < 0 || spec.credits > store::kMaxCredits) std::abort();
    gateway::CreatedKey k;
    k.api_key = "sk_live_0123456789abcdefghijklmnopqrstuv";
    k.record.key_id = "key_000000000001";
    k.record.name = spec.name;
    k.record.balance = spec.credits;
    return k;
  }
  Result<std::vector<store::KeyRecord>> ListKeys() override {
    return std::vector<store::KeyRecord>(1);
  }
  Result<store::KeyRecord> GetKey(std::string_view) override { return store::KeyRecord{}; }
  Status RevokeKey(std::string_view key_id) override {
    return key_id == "key_000000000001" ? Status::Ok() : Status::NotFound("unknown key id");
  }
  Result<store::KeyRecord> UpdateKey(std::string_view key_id, const store::KeyChanges&) override {
    if (key_id != "key_000000000001") return Status::NotFound("unknown key id");
    return store::KeyRecord{};
  }
  Result<gateway::CreatedKey> RotateKey(std::string_view key_id, int64_t) override {
    if (key_id != "key_000000000001") return Status::NotFound("unknown key id");
    gateway::CreatedKey k;
    k.api_key = "sk_live_0123456789abcdefghijklmnopqrstuv";
    k.record.key_id = "key_000000000001";
    return k;
  }
  Result<store::GrantResult> GrantCredits(std::string_view, std::string_view grant_id,
                                          int64_t amount) override {
    if (amount <= 0 || amount > store::kMaxCredits || grant_id.empty()) std::abort();
    return store::GrantResult{true, amount};
  }
  Status ForEachLedgerEntry(std::string_view,
                            const std::function<Status(const store::LedgerEntry&)>& fn) override {
    store::LedgerEntry e;
    e.key_id = "key_000000000001";
    e.amount = 5;
    e.balance_after = 5;
    return fn(e);
  }
};

struct Routes {
  std::map<std::string, http::Handler> by_name;
  Routes() {
    auto admin = std::make_shared<MemoryKeyAdmin>();
    for (auto& r : api::AdminKeyRoutes(admin, gateway::AdminAuth("fuzz-token"))) {
      by_name[r.method + " " + r.path] = r.handler;
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Routes routes;
  static const char* kRoutes[] = {"POST /admin/v1/keys", "POST /admin/v1/keys/revoke",
                                  "POST /admin/v1/credits/grant", "GET /admin/v1/ledger",
                                  "GET /admin/v1/ledger.csv"};
  if (size == 0) return 0;
  const std::string name = kRoutes[data[0] % 5];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  // Body and query are split at the first NUL: "body\0query".
  const size_t nul = rest.find('\0');
  const std::string body(rest.substr(0, nul));
  const std::string query(nul == std::string_view::npos ? "" : rest.substr(nul + 1));
  http::Request request;
  request.method = name.substr(0, name.find(' '));
  request.path = std::string_view(name).substr(name.find(' ') + 1);
  request.query = query;
  request.body = body;
  request.request_id = "00000000-0000-4000-8000-000000000000";
  request.header = [](std::string_view header) -> std::string_view {
    return header == "Authorization" ? "Bearer fuzz-token" : "";
  };
  bool answered = false;
  routes.by_name.at(name)(request, [&](http::Response r) {
    answered = true;
    if (!json::IsValidUtf8(r.body)) std::abort();
    if (r.content_type != "application/json") return;  // ledger.csv
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(r.body).get(doc)) std::abort();
    int64_t code = -1;
    if (doc["code"].get_int64().get(code)) std::abort();
    if (code != (r.status == 200 ? 0 : r.status)) std::abort();
  });
  if (!answered) std::abort();
  return 0;
}
