#include "store/postgres/pg_db.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "common/process_counters.h"
#include "store/postgres/pg_test_server.h"

namespace soundtrend::store::postgres {
namespace {

// Each statement, script and connect is one round trip (bench/cluster.sh reads the
// counter from /metrics to report round trips per 1,000 requests).
TEST(PgDbTest, CountsEveryRoundTrip) {
  const std::string url = PgTestServer::Shared().CreateDatabase();
  const uint64_t start = PgRoundTrips();
  auto db = PgConnection::Open(url);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(PgRoundTrips(), start + 1);  // the connect
  ASSERT_TRUE((*db)->Exec("SELECT $1::int", {7}).ok());
  ASSERT_TRUE((*db)->ExecScript("SELECT 1; SELECT 2").ok());
  int rows = 0;
  ASSERT_TRUE((*db)
                  ->ForEachRow("SELECT generate_series(1, 3)", {},
                               [&](const PgResult&) {
                                 ++rows;
                                 return Status::Ok();
                               })
                  .ok());
  EXPECT_EQ(rows, 3);
  EXPECT_EQ(PgRoundTrips(), start + 4);
  EXPECT_NE(RenderProcessCounters().find("soundtrend_pg_round_trips_total " +
                                         std::to_string(PgRoundTrips()) + "\n"),
            std::string::npos);
}

// A loopback port whose listener never answers: the TCP connect completes (the kernel
// queues it) and the startup packet waits forever for a reply.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(listen(fd_, 8), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

double SecondsToFailOpen(const std::string& url, int default_timeout) {
  const auto start = std::chrono::steady_clock::now();
  auto db = PgConnection::Open(url, default_timeout);
  EXPECT_FALSE(db.ok());
  if (!db.ok()) {
    EXPECT_EQ(db.status().code(), Status::Code::kUnavailable) << db.status().ToString();
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A server that never answers: the connect gives up after the default timeout, or after the
// URL's own connect_timeout when it sets one (not the OS's TCP timeout of minutes).
TEST(PgDbTest, AConnectToAServerThatNeverAnswersGivesUp) {
  SilentListener silent;
  const std::string url = "postgresql://postgres@127.0.0.1:" + std::to_string(silent.port()) + "/x";
  EXPECT_LT(SecondsToFailOpen(url, /*default_timeout=*/2), 30.0);
  EXPECT_LT(SecondsToFailOpen(url + "?connect_timeout=2", /*default_timeout=*/3600), 30.0);
}

}  // namespace
}  // namespace soundtrend::store::postgres
