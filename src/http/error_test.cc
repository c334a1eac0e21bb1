#include "http/error.h"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace soundtrend::http {
namespace {

TEST(ErrorResponseTest, EnvelopeHasCodeNullDataMessageAndRequestId) {
  Response r = ErrorResponse(400, "Invalid parameter: page must be an integer >= 1", "abc-123");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/json");
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.body);
  EXPECT_EQ(int64_t(doc["code"]), 400);
  EXPECT_TRUE(doc["data"].is_null());
  EXPECT_EQ(std::string_view(doc["message"]), "Invalid parameter: page must be an integer >= 1");
  EXPECT_EQ(std::string_view(doc["requestId"]), "abc-123");
}

TEST(ErrorResponseTest, MessageIsEscaped) {
  const std::string body = ErrorBody(404, "quote \" and \\ backslash", "id");
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(body);
  EXPECT_EQ(std::string_view(doc["message"]), "quote \" and \\ backslash");
}

TEST(ErrorResponseTest, InternalErrorMessageIsFixed) {
  EXPECT_EQ(DefaultMessage(500), "Internal server error");
  EXPECT_EQ(kInternalErrorMessage, "Internal server error");
}

}  // namespace
}  // namespace soundtrend::http
