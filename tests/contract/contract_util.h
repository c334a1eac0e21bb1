// Helpers shared by the contract tests: JSON parsing of replies and the docs/api.md §2 envelope
// checks every response must pass.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "test_client.h"

namespace soundtrend::contract {

// A parsed reply body; keeps its parser alive. Parse failures fail the test.
struct Json {
  explicit Json(const std::string& text) : parser(std::make_unique<simdjson::dom::parser>()) {
    auto r = parser->parse(text);
    ok = !r.error();
    EXPECT_TRUE(ok) << "not JSON: " << simdjson::error_message(r.error()) << "\n" << text;
    if (ok) root = r.value();
  }
  std::unique_ptr<simdjson::dom::parser> parser;
  simdjson::dom::element root;
  bool ok = false;
};

// The JSON type of a looked-up field; a missing field fails the test.
inline simdjson::dom::element_type TypeOf(simdjson::simdjson_result<simdjson::dom::element> r) {
  simdjson::dom::element e;
  if (r.get(e) != simdjson::SUCCESS) {
    ADD_FAILURE() << "missing field";
    return simdjson::dom::element_type::NULL_VALUE;
  }
  return e.type();
}

inline bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

inline bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// docs/api.md §2 for any JSON response: Content-Type, X-Request-Id == body requestId (a uuid),
// `code` = 0 with HTTP 200 or = the HTTP status, and `data` null on errors. Returns the
// message.
inline std::string CheckEnvelope(const Reply& reply, const Json& json) {
  EXPECT_EQ(reply.Header("content-type"), "application/json");
  if (!json.ok) return "";
  simdjson::dom::object root;
  EXPECT_EQ(json.root.get(root), simdjson::SUCCESS) << "the body is not a JSON object";
  std::string_view request_id;
  EXPECT_EQ(json.root["requestId"].get(request_id), simdjson::SUCCESS);
  EXPECT_TRUE(IsUuid(request_id)) << request_id;
  EXPECT_EQ(reply.Header("x-request-id"), request_id);
  int64_t code = -1;
  EXPECT_EQ(json.root["code"].get(code), simdjson::SUCCESS);
  EXPECT_EQ(code, reply.status == 200 ? 0 : reply.status);
  std::string_view message;
  EXPECT_EQ(json.root["message"].get(message), simdjson::SUCCESS);
  if (reply.status != 200) {
    EXPECT_TRUE(json.root["data"].is_null()) << "an error's data must be null";
    EXPECT_FALSE(message.empty());
  } else {
    EXPECT_EQ(message, "success");
  }
  return std::string(message);
}

}  // namespace soundtrend::contract
