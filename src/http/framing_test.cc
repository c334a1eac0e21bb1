#include "http/framing.h"

#include <gtest/gtest.h>

namespace soundtrend::http {
namespace {

HeaderSummary WithHost() {
  HeaderSummary h;
  h.host_lines = 1;
  return h;
}

HeaderSummary Chunked(std::string_view te) {
  HeaderSummary h = WithHost();
  h.transfer_encoding_lines = 1;
  h.transfer_encoding = te;
  return h;
}

TEST(FramingTest, PlainRequestsPass) {
  EXPECT_TRUE(CheckFraming(WithHost()).ok());
  HeaderSummary h10;
  h10.version = 10;  // HTTP/1.0 needs no Host
  EXPECT_TRUE(CheckFraming(h10).ok());
  HeaderSummary with_length = WithHost();
  with_length.content_length_lines = 1;
  EXPECT_TRUE(CheckFraming(with_length).ok());
}

TEST(FramingTest, HostMustBeThereOnceInHttp11) {
  EXPECT_EQ(CheckFraming(HeaderSummary{}).status, 400);
  HeaderSummary two = WithHost();
  two.host_lines = 2;
  EXPECT_EQ(CheckFraming(two).status, 400);
  two.version = 10;
  EXPECT_EQ(CheckFraming(two).status, 400);
}

TEST(FramingTest, DuplicateAuthorizationAndContentLengthAreRefused) {
  HeaderSummary h = WithHost();
  h.authorization_lines = 2;
  EXPECT_EQ(CheckFraming(h).status, 400);
  h = WithHost();
  h.content_length_lines = 2;
  EXPECT_EQ(CheckFraming(h).status, 400);
}

TEST(FramingTest, OnlyAFinalChunkedFramesABody) {
  EXPECT_TRUE(CheckFraming(Chunked("chunked")).ok());
  EXPECT_TRUE(CheckFraming(Chunked("CHUNKED")).ok());
  EXPECT_TRUE(CheckFraming(Chunked(" chunked ,")).ok());
  for (std::string_view te : {"gzip", "identity", "chunked, gzip", "", "chunkedx", "chunked;x"}) {
    EXPECT_EQ(CheckFraming(Chunked(te)).status, 400) << te;
  }
  EXPECT_EQ(CheckFraming(Chunked("gzip, chunked")).status, 501);
  EXPECT_EQ(CheckFraming(Chunked("identity,chunked")).status, 501);
}

TEST(FramingTest, TransferEncodingConflictsAreRefused) {
  HeaderSummary h = Chunked("chunked");
  h.content_length_lines = 1;
  EXPECT_EQ(CheckFraming(h).status, 400);
  h = Chunked("chunked");
  h.transfer_encoding_lines = 2;
  EXPECT_EQ(CheckFraming(h).status, 400);
  h = Chunked("chunked");
  h.version = 10;
  EXPECT_EQ(CheckFraming(h).status, 400);
}

TEST(FramingTest, OriginFormTargets) {
  RequestTarget t = ParseRequestTarget("GET", "/healthz?a=1&b=2");
  ASSERT_TRUE(t.ok);
  EXPECT_EQ(t.path, "/healthz");
  EXPECT_EQ(t.query, "a=1&b=2");
  t = ParseRequestTarget("GET", "/x");
  ASSERT_TRUE(t.ok);
  EXPECT_EQ(t.path, "/x");
  EXPECT_EQ(t.query, "");
}

TEST(FramingTest, AbsoluteFormTargetsServeTheirPath) {
  RequestTarget t = ParseRequestTarget("GET", "http://host/healthz");
  ASSERT_TRUE(t.ok);
  EXPECT_EQ(t.path, "/healthz");
  t = ParseRequestTarget("GET", "HTTPS://host:8080/v1/x?page=2");
  ASSERT_TRUE(t.ok);
  EXPECT_EQ(t.path, "/v1/x");
  EXPECT_EQ(t.query, "page=2");
  t = ParseRequestTarget("GET", "http://host");
  ASSERT_TRUE(t.ok);
  EXPECT_EQ(t.path, "/");
  t = ParseRequestTarget("GET", "http://host?q=1");
  ASSERT_TRUE(t.ok);
  EXPECT_EQ(t.path, "/");
  EXPECT_EQ(t.query, "q=1");
}

TEST(FramingTest, OtherTargetsAreRefused) {
  for (std::string_view target :
       {"", "healthz", "ftp://host/x", "http:///x", "http://host/x#f", "host:80", "*"}) {
    EXPECT_FALSE(ParseRequestTarget("GET", target).ok) << target;
  }
  EXPECT_TRUE(ParseRequestTarget("OPTIONS", "*").ok);
}

}  // namespace
}  // namespace soundtrend::http
