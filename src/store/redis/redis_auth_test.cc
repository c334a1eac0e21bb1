// serve --redis redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] against a real redis-server that
// wants a password (a private one per test, started with --requirepass or an ACL user): the
// rate store AUTHs and SELECTs on connect and decides through Redis; a wrong password (or a
// database Redis does not have) is an outage: logged once with host:port and never the
// password, local decisions, retried. The io_context runs on the test thread.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/shared_rate_limiter.h"
#include "store/redis/redis_rate_store.h"
#include "store/redis/redis_test_loop.h"
#include "store/redis/redis_test_server.h"
#include "store/redis/redis_url.h"

namespace soundtrend::store::redis {
namespace {

namespace net = boost::asio;
using std::chrono::milliseconds;

constexpr char kPassword[] = "s3cret-Pa55";

std::unique_ptr<RedisTestServer> StartServer(RedisTestServerOptions options) {
  auto server = RedisTestServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

// The store for `url` (parsed as serve parses --redis), on `loop`.
std::shared_ptr<RedisRateStore> StoreFor(const std::string& url, TestLoop& loop) {
  auto address = ParseRedisUrl(url);
  EXPECT_TRUE(address.ok()) << address.status().ToString();
  RedisRateStoreOptions o;
  o.address = address.ok() ? *address : RedisAddress{};
  o.current_loop = [&loop] { return &loop.ioc; };
  o.min_backoff = milliseconds(10);
  o.max_backoff = milliseconds(100);
  return std::make_shared<RedisRateStore>(std::move(o));
}

// One request of `subject` through the limiter, waiting for its decision.
gateway::RateDecision Acquire(gateway::SharedRateLimiter& limiter,
                              const gateway::RateSubject& subject, TestLoop& loop) {
  std::optional<gateway::RateDecision> got;
  limiter.Acquire(subject, 0, [&](gateway::RateDecision d) { got = d; });
  EXPECT_TRUE(loop.RunUntil([&] { return got.has_value(); }));
  return got.value_or(gateway::RateDecision{});
}

// The right password and a database number: decided by the script, in that database.
TEST(RedisAuthTest, TheRightPasswordAndDatabaseDecideThroughRedis) {
  LogCapture log;
  auto server = StartServer({.password = kPassword, .user = "", .databases = 4});
  ASSERT_NE(server, nullptr);
  const std::string where = "127.0.0.1:" + std::to_string(server->port());
  TestLoop loop;
  auto store = StoreFor(std::string("redis://:") + kPassword + "@" + where + "/2", loop);
  gateway::SharedRateLimiter limiter(store);
  store->ConnectHere();
  ASSERT_TRUE(loop.RunUntil([&] { return store->Ready(); })) << log.Text();
  gateway::GcraLimiter local;
  const gateway::RateSubject subject{"key_auth", gateway::RateLimit{1, 2}, local};
  EXPECT_FALSE(limiter.TryAcquire(subject, 0).has_value());  // deferred to Redis
  EXPECT_TRUE(Acquire(limiter, subject, loop).allowed);
  EXPECT_TRUE(Acquire(limiter, subject, loop).allowed);
  EXPECT_FALSE(Acquire(limiter, subject, loop).allowed);  // the burst of 2, counted in Redis
  EXPECT_EQ(limiter.local_decisions(), 0u);
  EXPECT_EQ(store->Stats().decided, 3u);
  EXPECT_EQ(store->Stats().failures, 0u);
  // The key is in database 2, not in 0.
  auto keyspace = server->Command({"INFO", "keyspace"});
  ASSERT_TRUE(keyspace.ok()) << keyspace.status().ToString();
  EXPECT_NE(keyspace->find("db2:keys=1"), std::string::npos) << *keyspace;
  EXPECT_EQ(keyspace->find("db0:"), std::string::npos) << *keyspace;
  EXPECT_EQ(log.Count("rate limits shared through Redis at " + where), 1) << log.Text();
  EXPECT_EQ(log.Count(kPassword), 0) << log.Text();
  ShutdownAndDrain(*store, loop);
}

// An ACL user: AUTH USER PASSWORD (the default user is off: AUTH PASSWORD alone fails).
TEST(RedisAuthTest, AnAclUserAuthenticatesWithItsName) {
  auto server = StartServer({.password = kPassword, .user = "limiter", .databases = 1});
  ASSERT_NE(server, nullptr);
  const std::string where = "127.0.0.1:" + std::to_string(server->port());
  TestLoop loop;
  auto store = StoreFor(std::string("redis://limiter:") + kPassword + "@" + where, loop);
  store->ConnectHere();
  ASSERT_TRUE(loop.RunUntil([&] { return store->Ready(); }));
  ShutdownAndDrain(*store, loop);

  LogCapture log;
  TestLoop loop2;
  auto default_user = StoreFor(std::string("redis://:") + kPassword + "@" + where, loop2);
  default_user->ConnectHere();
  ASSERT_TRUE(loop2.RunUntil([&] { return default_user->Stats().failures >= 2; }));
  EXPECT_FALSE(default_user->Ready());
  EXPECT_EQ(log.Count("unreachable"), 1) << log.Text();
  EXPECT_EQ(log.Count(kPassword), 0) << log.Text();
  ShutdownAndDrain(*default_user, loop2);
}

// A wrong password looks like an outage: local decisions at once (counted), the warning
// once however often the reconnect fails, with host:port and Redis's answer, never the
// password; nothing crashes. A database Redis does not have is refused the same way.
TEST(RedisAuthTest, AWrongPasswordIsAnOutageLoggedOnceWithoutThePassword) {
  auto server = StartServer({.password = kPassword, .user = "", .databases = 1});
  ASSERT_NE(server, nullptr);
  const std::string where = "127.0.0.1:" + std::to_string(server->port());
  const std::string wrong = "not-the-Pa55word";
  const std::string wrong_password = "redis://:" + wrong + "@" + where;
  const std::string no_such_database = "redis://:" + std::string(kPassword) + "@" + where + "/5";
  const std::string no_password = "redis://" + where;
  for (const auto& [url, answer] : std::vector<std::pair<std::string, std::string>>{
           {wrong_password, "WRONGPASS"},
           {no_such_database, "ERR DB index is out of range"},
           {no_password, "NOAUTH"}}) {
    SCOPED_TRACE(url);
    LogCapture log;
    TestLoop loop;
    auto store = StoreFor(url, loop);
    gateway::SharedRateLimiter limiter(store);
    store->ConnectHere();
    ASSERT_TRUE(loop.RunUntil([&] { return store->Stats().failures >= 3; }));  // retried
    EXPECT_FALSE(store->Ready());
    gateway::GcraLimiter local;
    const gateway::RateSubject subject{"key_local", gateway::RateLimit{1, 2}, local};
    // Local: decided at once on the key's own limiter (burst 2, then 429).
    EXPECT_TRUE(limiter.TryAcquire(subject, 0)->allowed);
    EXPECT_TRUE(limiter.TryAcquire(subject, 0)->allowed);
    EXPECT_FALSE(limiter.TryAcquire(subject, 0)->allowed);
    EXPECT_EQ(limiter.local_decisions(), 3u);
    EXPECT_EQ(store->Stats().decided, 0u);
    EXPECT_EQ(log.Count("Redis at " + where + " unreachable"), 1) << log.Text();
    EXPECT_EQ(log.Count("(Redis answered: " + answer), 1) << log.Text();
    EXPECT_EQ(log.Count("rate limits shared"), 0) << log.Text();
    EXPECT_EQ(log.Count(wrong), 0) << log.Text();
    EXPECT_EQ(log.Count(kPassword), 0) << log.Text();
    ShutdownAndDrain(*store, loop);
  }
}

}  // namespace
}  // namespace soundtrend::store::redis
