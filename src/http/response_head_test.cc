#include "http/response_head.h"

#include <gtest/gtest.h>

namespace soundtrend::http {
namespace {

TEST(ResponseHeadTest, WritesStatusLineHeadersInOrderAndBlankLine) {
  Response r;
  r.status = 200;
  r.content_type = "application/json";
  r.headers = {{"RateLimit-Policy", "\"default\";q=10;w=1"}, {"X-Credits-Remaining", "98"}};
  std::string out = "stale bytes";
  AppendResponseHead(r, {"Sun, 29 Nov 2026 18:00:00 GMT", "abc-123", true, 19007, ""}, out);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\n"
            "Date: Sun, 29 Nov 2026 18:00:00 GMT\r\n"
            "Content-Type: application/json\r\n"
            "X-Request-Id: abc-123\r\n"
            "RateLimit-Policy: \"default\";q=10;w=1\r\n"
            "X-Credits-Remaining: 98\r\n"
            "Content-Length: 19007\r\n"
            "\r\n");
}

TEST(ResponseHeadTest, NotModifiedHasNoContentLengthAndEmptyTypeIsLeftOut) {
  Response r;
  r.status = 304;
  r.content_type = "";
  r.headers = {{"ETag", "\"x\""}};
  std::string out;
  AppendResponseHead(r, {"D", "id", true, 0, ""}, out);
  EXPECT_EQ(out,
            "HTTP/1.1 304 Not Modified\r\n"
            "Date: D\r\n"
            "X-Request-Id: id\r\n"
            "ETag: \"x\"\r\n"
            "\r\n");
}

TEST(ResponseHeadTest, ClosingResponseSaysSoAndReasonFollowsTheStatus) {
  Response r;
  r.status = 429;
  r.content_type = "text/plain";
  std::string out;
  AppendResponseHead(r, {"D", "id", false, 0, "soundtrend/9.9.9"}, out);
  EXPECT_EQ(out,
            "HTTP/1.1 429 Too Many Requests\r\n"
            "Date: D\r\n"
            "Server: soundtrend/9.9.9\r\n"
            "Content-Type: text/plain\r\n"
            "X-Request-Id: id\r\n"
            "Connection: close\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
}

TEST(ResponseHeadTest, HeadersWithLineBreaksAreLeftOut) {
  Response r;
  r.headers = {{"X-Ok", "1"}, {"X-Bad", "1\r\nSet-Cookie: x=1"}, {"X-Bad\n", "2"}, {"", "3"}};
  std::string out;
  AppendResponseHead(r, {"D", "id", true, 5, ""}, out);
  EXPECT_NE(out.find("X-Ok: 1\r\n"), std::string::npos);
  EXPECT_EQ(out.find("X-Bad"), std::string::npos);
  EXPECT_EQ(out.find("Set-Cookie"), std::string::npos);
  EXPECT_EQ(out.find(": 3"), std::string::npos);
}

}  // namespace
}  // namespace soundtrend::http
