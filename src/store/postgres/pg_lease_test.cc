// Credit leases on PostgreSQL (store/credit_leases.h): what a node may spend is its lease,
// the free credits never move with a charge, and no two nodes can lease the same credit.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "store/postgres/pg_change_feed.h"
#include "store/postgres/pg_key_store.h"
#include "store/postgres/pg_test_server.h"

namespace soundtrend::store::postgres {
namespace {

class PgLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = PgTestServer::Shared().CreateDatabase();
    a_ = OpenNode("node-a");
    b_ = OpenNode("node-b");
    KeyRecord key;
    key.key_id = "key_lease";
    key.key_hash = std::string(64, 'c');
    key.name = "leases";
    key.created_micros = 1;
    ASSERT_TRUE(a_->CreateKey(key).ok());
  }
  std::unique_ptr<PgKeyStore> OpenNode(const std::string& node) {
    PgOpenOptions options;
    options.node_id = node;
    auto store = PgKeyStore::Open(url_, options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  void Grant(int64_t amount, const std::string& id) {
    ASSERT_TRUE(a_->ApplyGrant("key_lease", id, amount, 2).ok());
  }
  int64_t Leased(PgKeyStore& store, const std::string& node) {
    auto leases = store.Leases();
    EXPECT_TRUE(leases.ok());
    int64_t total = 0;
    for (const NodeLease& l : *leases) {
      if (l.key_id == "key_lease" && (node.empty() || l.node_id == node)) total += l.amount;
    }
    return total;
  }

  Result<std::unique_ptr<PgKeyStore>> OpenAs(const std::string& node) {
    PgOpenOptions options;
    options.node_id = node;
    return PgKeyStore::Open(url_, options);
  }

  std::string url_;
  std::unique_ptr<PgKeyStore> a_, b_;
};

// Polls `done` until it holds or `timeout` passes (a short pause between polls).
bool Eventually(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

TEST_F(PgLeaseTest, ALeaseTakesWhatIsFreeAndShrinksToOneCostNearZero) {
  Grant(100, "g1");
  ASSERT_NE(a_->leases(), nullptr);
  // want 40, at least 2, at most free / 2: 40 (free 100).
  Result<LeaseGrant> g = a_->TakeLease("key_lease", 40, 2, 2);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->granted, 40);
  EXPECT_EQ(g->free_after, 60);
  // free 60: at most 30.
  g = b_->TakeLease("key_lease", 40, 2, 2);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->granted, 30);
  EXPECT_EQ(g->free_after, 30);
  // A grant is a multiple of the cost: free 30, 30 / 2 = 15 -> 14.
  g = a_->TakeLease("key_lease", 28, 2, 2);
  ASSERT_EQ(g->granted, 14);
  g = a_->TakeLease("key_lease", 28, 2, 2);
  ASSERT_EQ(g->granted, 8);
  g = a_->TakeLease("key_lease", 28, 2, 2);
  ASSERT_EQ(g->granted, 4);
  // Near zero the lease is one request's cost: free 4, 4 / 2 = 2; then 2 / 2 = 1 < 2 -> 2.
  g = a_->TakeLease("key_lease", 28, 2, 2);
  ASSERT_EQ(g->granted, 2);
  EXPECT_EQ(g->free_after, 2);
  g = b_->TakeLease("key_lease", 28, 2, 2);
  ASSERT_EQ(g->granted, 2);
  EXPECT_EQ(g->free_after, 0);
  g = b_->TakeLease("key_lease", 28, 2, 2);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->granted, 0);  // nothing free: nothing changes
  EXPECT_EQ(Leased(*a_, "node-a"), 40 + 14 + 8 + 4 + 2);
  EXPECT_EQ(Leased(*a_, "node-b"), 30 + 2);
  EXPECT_EQ(a_->GetKey("key_lease")->balance, 100);  // leases are not charges
  EXPECT_EQ(a_->TakeLease("key_nope", 2, 2, 1).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(a_->TakeLease("key_lease", 1, 2, 1).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(PgLeaseTest, ChargesSpendTheNodesLeaseAndReturnsAndSettlesGiveTheRestBack) {
  Grant(20, "g1");
  ASSERT_EQ(a_->TakeLease("key_lease", 10, 2, 1)->granted, 10);
  ASSERT_EQ(b_->TakeLease("key_lease", 6, 2, 1)->granted, 6);
  // Node a charges 3 requests (6 credits) from its lease: balance 14, its lease 4, free 4.
  const ChargeView charges[] = {{"key_lease", "r1", "/e", 3, 2},
                                {"key_lease", "r2", "/e", 4, 2},
                                {"key_lease", "r3", "/e", 5, 2}};
  ASSERT_TRUE(a_->ApplyChargeBlock(charges, {}).ok());
  EXPECT_EQ(a_->GetKey("key_lease")->balance, 14);
  EXPECT_EQ(Leased(*a_, "node-a"), 4);
  EXPECT_EQ(Leased(*a_, "node-b"), 6);
  // Free is 14 - 10 = 4: a third node gets at most that.
  auto c = OpenNode("node-c");
  EXPECT_EQ(c->TakeLease("key_lease", 100, 2, 1)->granted, 4);
  EXPECT_EQ(c->TakeLease("key_lease", 100, 2, 1)->granted, 0);
  // Node a gives back 4 unspent; returning more than it holds is refused.
  EXPECT_EQ(a_->ReturnLease("key_lease", 5).code(), Status::Code::kFailedPrecondition);
  ASSERT_TRUE(a_->ReturnLease("key_lease", 4).ok());
  EXPECT_EQ(Leased(*a_, "node-a"), 0);
  EXPECT_EQ(b_->TakeLease("key_lease", 100, 2, 1)->granted, 4);
  // Settling b while it runs (its store holds its node id) is refused, nothing freed.
  Result<int64_t> refused = a_->SettleLeases("node-b");
  EXPECT_EQ(refused.status().code(), Status::Code::kAlreadyExists);
  EXPECT_NE(refused.status().message().find("node id \"node-b\" is held by"), std::string::npos)
      << refused.status().ToString();
  EXPECT_EQ(Leased(*a_, "node-b"), 10);
  // Node b "died" holding 10: settle gives it all back (its logs moved first).
  b_.reset();
  Result<int64_t> settled = a_->SettleLeases("node-b");
  ASSERT_TRUE(settled.ok()) << settled.status().ToString();
  EXPECT_EQ(*settled, 10);
  EXPECT_EQ(Leased(*a_, "node-b"), 0);
  EXPECT_EQ(a_->TakeLease("key_lease", 100, 2, 1)->granted, 10);
  EXPECT_EQ(a_->GetKey("key_lease")->balance, 14);
}

TEST_F(PgLeaseTest, ANodesChargesCannotSpendCreditsLeasedToAnother) {
  Grant(6, "g1");
  ASSERT_EQ(b_->TakeLease("key_lease", 6, 2, 1)->granted, 6);  // all of it to b
  const ChargeView charge[] = {{"key_lease", "r1", "/e", 3, 2}};
  EXPECT_EQ(a_->ApplyChargeBlock(charge, {}).code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(a_->GetKey("key_lease")->balance, 6);
  ASSERT_TRUE(b_->ApplyChargeBlock(charge, {}).ok());
  EXPECT_EQ(a_->GetKey("key_lease")->balance, 4);
  EXPECT_EQ(Leased(*a_, "node-b"), 4);
}

// One live store per node id (PgOpenOptions::node_id): the second is refused while the first
// holds the id's lock, a closed store's id is free again, and a store whose session was lost
// takes its id back before it leases anything, or does nothing as that node.
TEST_F(PgLeaseTest, ANodeIdIsHeldByOneLiveStoreAndTakenBackAfterALostSession) {
  Grant(20, "g1");
  Result<std::unique_ptr<PgKeyStore>> second = OpenAs("node-a");
  ASSERT_EQ(second.status().code(), Status::Code::kAlreadyExists) << second.status().ToString();
  EXPECT_NE(second.status().message().find("node id \"node-a\" is held by PostgreSQL backend pid "),
            std::string::npos)
      << second.status().message();
  EXPECT_TRUE(OpenAs("node-c").ok());        // another id
  EXPECT_TRUE(PgKeyStore::Open(url_).ok());  // no id (the CLI): no lock
  // Its own key space: the publisher's lock, and even a one-bigint lock with the same 64
  // bits as node-a's key, are other locks (taken while node-a's is held).
  auto other = PgConnection::Open(url_);
  ASSERT_TRUE(other.ok());
  const NodeLockKey a_key = NodeLockKeyOf("node-a");
  const uint64_t same_bits = (uint64_t{a_key.high} << 32) | a_key.low;
  for (int64_t bigint : {kPublisherLockKey, static_cast<int64_t>(same_bits)}) {
    auto taken = (*other)->Exec("SELECT pg_try_advisory_lock($1)", {bigint});
    ASSERT_TRUE(taken.ok()) << taken.status().ToString();
    EXPECT_EQ(taken->text(0, 0), "t") << bigint;
  }

  // Closed: the id is free again (Open waits a moment for the old session to end).
  a_.reset();
  Result<std::unique_ptr<PgKeyStore>> again = OpenAs("node-a");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  a_ = std::move(again).value();
  ASSERT_EQ(a_->TakeLease("key_lease", 4, 2, 1)->granted, 4);

  // a's session ends (the server ends it); a process started meanwhile with a's id gets it.
  auto admin = PgConnection::Open(url_);
  ASSERT_TRUE(admin.ok());
  auto ended = (*admin)->Exec(
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
      "AND objsubid = 2 AND classid = $1::oid AND objid = $2::oid AND granted",
      {static_cast<int64_t>(a_key.high), static_cast<int64_t>(a_key.low)});
  ASSERT_TRUE(ended.ok()) << ended.status().ToString();
  ASSERT_EQ(ended->rows(), 1);
  Result<std::unique_ptr<PgKeyStore>> usurper = OpenAs("node-a");
  ASSERT_TRUE(usurper.ok()) << usurper.status().ToString();
  // a's first call sees the lost session; the next reconnects, cannot take its id back and
  // runs nothing: Unavailable, naming the id; no lease taken, none returned.
  EXPECT_FALSE(a_->TakeLease("key_lease", 4, 2, 1).ok());
  Result<LeaseGrant> refused = a_->TakeLease("key_lease", 4, 2, 1);
  ASSERT_EQ(refused.status().code(), Status::Code::kUnavailable) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("node id \"node-a\" is held by"), std::string::npos);
  EXPECT_NE(refused.status().message().find("connection was lost"), std::string::npos);
  EXPECT_EQ(a_->ReturnLease("key_lease", 2).code(), Status::Code::kUnavailable);
  EXPECT_EQ(a_->SettleLeases("node-a").status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(Leased(*b_, "node-a"), 4);
  // The other process gone, a takes its id back at a next call, and holds it again.
  usurper->reset();
  EXPECT_TRUE(Eventually([&] { return a_->TakeLease("key_lease", 4, 2, 1).ok(); }));
  EXPECT_EQ(Leased(*b_, "node-a"), 8);
  EXPECT_EQ(OpenAs("node-a").status().code(), Status::Code::kAlreadyExists);
}

// Many nodes racing for the last credits: what they lease adds up to the balance, never
// more (the conditional UPDATE decides on the row as it is when it holds its lock).
TEST_F(PgLeaseTest, RacingNodesNeverLeaseMoreThanTheBalance) {
  Grant(1000, "g1");
  constexpr int kNodes = 4;
  std::vector<std::unique_ptr<PgKeyStore>> nodes;
  for (int i = 0; i < kNodes; ++i) nodes.push_back(OpenNode("racer-" + std::to_string(i)));
  std::atomic<int64_t> total{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      for (;;) {
        Result<LeaseGrant> g = nodes[i]->TakeLease("key_lease", 30, 2, kNodes);
        ASSERT_TRUE(g.ok()) << g.status().ToString();
        if (g->granted == 0) return;
        total += g->granted;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  // Every grant recorded, all of the balance leased (grants are multiples of the cost).
  EXPECT_EQ(total.load(), 1000);
  EXPECT_EQ(Leased(*a_, ""), 1000);
}

}  // namespace
}  // namespace soundtrend::store::postgres
