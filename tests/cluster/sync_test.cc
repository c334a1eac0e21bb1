// Keys and charts across nodes (issue 10, docs/api.md §10): three real `serve` nodes on one
// private PostgreSQL. Key changes, revocations and grants made through one node reach the
// others within one second (LISTEN/NOTIFY; the change counter poll is the safety net); a
// batch ingested through one node is served identically by every node once published;
// exactly one node saves the editions, and another takes its place when it is killed.
// Every wait polls with a deadline on the steady clock.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "cluster/cluster_fixture.h"
#include "contract/test_client.h"

namespace soundtrend {
namespace {

using cluster::Count;
using cluster::WaitUntil;
using cluster::WithoutRequestId;
using contract::Reply;
using contract::TestClient;
using Steady = std::chrono::steady_clock;

constexpr char kAdminToken[] = "sync-test-admin-token-0123456789";
constexpr char kPage[] = "/v1/tiktok/trending/music?region=US&period=7&limit=20";
constexpr char kPublisherLine[] = "publisher: this node saves the chart editions";

std::vector<std::pair<std::string, std::string>> Admin() {
  return {{"Authorization", std::string("Bearer ") + kAdminToken}};
}

// One request on a fresh connection (a node's keep-alive is not what is measured).
Reply Get(uint16_t port, const std::string& target, const std::string& key) {
  TestClient client(port);
  return client.Get(target, key);
}

std::string JsonString(const std::string& body, const std::string& field) {
  std::smatch m;
  if (std::regex_search(body, m, std::regex("\"" + field + "\":\"([^\"]*)\""))) return m[1];
  return "";
}

// What must be the same on every node: the status, the body without its requestId, and the
// headers other than the per-request and per-key ones.
std::string Comparable(const Reply& r) {
  std::string out = std::to_string(r.status) + "\n";
  for (const auto& [name, value] : r.headers) {
    if (name == "date" || name == "x-request-id" || name.rfind("x-credits", 0) == 0 ||
        name.rfind("x-ratelimit", 0) == 0 || name == "retry-after") {
      continue;
    }
    out += name + ": " + value + "\n";
  }
  return out + WithoutRequestId(r.body);
}

// The latest closed day (serve's default lateness, 2 h) as YYYY-MM-DD: the day published.
std::string ClosedDay() {
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const time_t day_start = static_cast<time_t>(((now - 7200) / 86400 - 1) * 86400);
  std::tm tm{};
  gmtime_r(&day_start, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

// A batch that changes the US chart of the closed day: a new sound far ahead of the rest.
std::string BoostBatch(const std::string& clip_id) {
  return R"({"type":"sound","clip_id":")" + clip_id +
         R"(","song_id":"1","title":"Sync Test","author":"Node A","cover":"https://example.com/c.jpeg","duration":30,"commercial":false,"promoted":false})"
         "\n"
         R"({"type":"daily","clip_id":")" +
         clip_id + R"(","region":"US","day":")" + ClosedDay() + R"(","uses":5000000})" + "\n";
}

class SyncTest : public cluster::ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    node_extra_args_ = {"--admin-token", kAdminToken};
  }
};

TEST_F(SyncTest, KeysRevocationsAndGrantsReachEveryNodeWithinASecond) {
  ASSERT_TRUE(IngestDemo());
  const std::string key = CreateKey(1000);
  ASSERT_FALSE(key.empty()) << CliLog();
  const std::string key_id = KeyIdOf(key);
  ASSERT_TRUE(StartNodes(3));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Get(node(i).port(), kPage, key).status, 200);

  // A revocation through A (node-0): refused by B and C within 1 s of A's answer.
  {
    TestClient a(node(0).port());
    const Reply revoked =
        a.Request("POST", "/admin/v1/keys/revoke", Admin(), R"({"key_id":")" + key_id + R"("})");
    ASSERT_EQ(revoked.status, 200) << revoked.body;
    const auto t0 = Steady::now();
    bool b_refused = false, c_refused = false;
    ASSERT_TRUE(WaitUntil(
        [&] {
          if (!b_refused) b_refused = Get(node(1).port(), kPage, key).status == 401;
          if (!c_refused) c_refused = Get(node(2).port(), kPage, key).status == 401;
          return b_refused && c_refused;
        },
        std::chrono::seconds(1)))
        << "B refused: " << b_refused << ", C refused: " << c_refused;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - t0);
    std::printf("revocation through A refused by B and C after %lld ms\n",
                static_cast<long long>(ms.count()));
    EXPECT_EQ(Get(node(0).port(), kPage, key).status, 401);  // A itself at once
  }

  // A key created through A works on C within 1 s.
  std::string fresh;
  {
    TestClient a(node(0).port());
    const Reply created = a.Request("POST", "/admin/v1/keys", Admin(),
                                    R"({"name":"fresh","credits":0,"qps":1000,"burst":1000})");
    ASSERT_EQ(created.status, 200) << created.body;
    fresh = JsonString(created.body, "key");
    ASSERT_FALSE(fresh.empty()) << created.body;
    const auto t0 = Steady::now();
    // Known on C (no credits yet: 402, not 401).
    ASSERT_TRUE(WaitUntil([&] { return Get(node(2).port(), kPage, fresh).status == 402; },
                          std::chrono::seconds(1)));
    std::printf(
        "key created through A known to C after %lld ms\n",
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - t0).count()));
  }

  // A grant through B is usable on C within 1 s.
  {
    TestClient b(node(1).port());
    TestClient a(node(0).port());
    const Reply listed = a.Request("GET", "/admin/v1/keys", Admin());
    ASSERT_EQ(listed.status, 200);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(listed.body, m,
                                  std::regex("\"key_id\":\"(key_[^\"]*)\",\"name\":\"fresh\"")))
        << listed.body;
    const std::string fresh_id = m[1];
    const Reply grant =
        b.Request("POST", "/admin/v1/credits/grant", Admin(),
                  R"({"key_id":")" + fresh_id + R"(","amount":10,"grant_id":"sync-grant-1"})");
    ASSERT_EQ(grant.status, 200) << grant.body;
    const auto t0 = Steady::now();
    ASSERT_TRUE(WaitUntil([&] { return Get(node(2).port(), kPage, fresh).status == 200; },
                          std::chrono::seconds(1)));
    std::printf(
        "grant through B usable on C after %lld ms\n",
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - t0).count()));
  }
  // The signals were what carried it: every node listened.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Count(NodeLog(i), "key change signals unavailable"), 0u) << NodeLog(i);
  }
}

// The node whose log says it took the publisher lock, among `candidates` (-1: none yet).
int Publisher(const std::vector<int>& candidates, const std::function<std::string(int)>& log) {
  int found = -1;
  for (int i : candidates) {
    if (log(i).find(kPublisherLine) != std::string::npos) {
      if (found != -1) return -2;  // two publishers
      found = i;
    }
  }
  return found;
}

TEST_F(SyncTest, ABatchIngestedThroughOneNodeIsServedIdenticallyAndASurvivorTakesOver) {
  ASSERT_TRUE(IngestDemo());
  const std::string key = CreateKey(100000);
  ASSERT_FALSE(key.empty()) << CliLog();
  ASSERT_TRUE(StartNodes(3));
  auto log = [this](int i) { return NodeLog(i); };

  // Exactly one publisher; the others say they follow.
  int publisher = -1;
  ASSERT_TRUE(WaitUntil([&] {
    publisher = Publisher({0, 1, 2}, log);
    if (publisher < 0) return false;
    for (int i = 0; i < 3; ++i) {
      if (i != publisher &&
          NodeLog(i).find("another node saves the chart editions") == std::string::npos) {
        return false;
      }
    }
    return true;
  })) << "publisher "
      << publisher << "\n"
      << NodeLog(0) << NodeLog(1) << NodeLog(2);

  // Served identically before anything new.
  std::string before = Comparable(Get(node(0).port(), kPage, key));
  for (int i = 1; i < 3; ++i) EXPECT_EQ(Comparable(Get(node(i).port(), kPage, key)), before);

  // Batch 1 through a node that is not the publisher.
  const int a = (publisher + 1) % 3;
  {
    TestClient client(node(a).port());
    const Reply r = client.Request("POST", "/admin/v1/ingest?batch_id=sync-1", Admin(),
                                   BoostBatch("7100000000000000001"));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  const auto t0 = Steady::now();
  std::map<int, std::string> served;
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (int i = 0; i < 3; ++i) served[i] = Comparable(Get(node(i).port(), kPage, key));
        return served[0].find("7100000000000000001") != std::string::npos &&
               served[1] == served[0] && served[2] == served[0];
      },
      std::chrono::seconds(20)))
      << served[0] << "\n---\n"
      << served[1] << "\n---\n"
      << served[2];
  std::printf(
      "batch through node %d served identically by all three after %lld ms\n", a,
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - t0).count()));
  EXPECT_NE(served[0], before);
  // Only the publisher saved editions; the followers computed the same and saved none.
  for (int i = 0; i < 3; ++i) {
    if (i == publisher) continue;
    EXPECT_EQ(Count(NodeLog(i), kPublisherLine), 0u);
    EXPECT_EQ(Count(NodeLog(i), " editions saved,") - Count(NodeLog(i), "(0 editions saved,"), 0u)
        << NodeLog(i);
  }

  // The publisher killed: a survivor takes over and publishes batch 2, served by both.
  EXPECT_EQ(StopNode(publisher, SIGKILL), -1);
  std::vector<int> survivors;
  for (int i = 0; i < 3; ++i) {
    if (i != publisher) survivors.push_back(i);
  }
  int next = -1;
  ASSERT_TRUE(WaitUntil([&] {
    next = Publisher(survivors, log);
    return next >= 0;
  })) << NodeLog(survivors[0])
      << NodeLog(survivors[1]);
  {
    TestClient client(node(survivors[0]).port());
    const Reply r = client.Request("POST", "/admin/v1/ingest?batch_id=sync-2", Admin(),
                                   BoostBatch("7100000000000000002"));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (int i : survivors) served[i] = Comparable(Get(node(i).port(), kPage, key));
        return served[survivors[0]].find("7100000000000000002") != std::string::npos &&
               served[survivors[1]] == served[survivors[0]];
      },
      std::chrono::seconds(20)))
      << served[survivors[0]] << "\n---\n"
      << served[survivors[1]];
  // The new publisher saved what it published (it reloaded from the store at takeover).
  EXPECT_TRUE(cluster::WaitUntil([&] {
    const std::string text = NodeLog(next);
    return Count(text, " editions saved,") > Count(text, "(0 editions saved,");
  })) << NodeLog(next);
  // A node started now loads what the publishers saved and serves the same bytes.
  ASSERT_TRUE(StartNode("late"));
  EXPECT_EQ(Comparable(Get(node("late").port(), kPage, key)), served[survivors[0]]);
}

}  // namespace
}  // namespace soundtrend
