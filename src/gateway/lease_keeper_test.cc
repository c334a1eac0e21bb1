// LeaseKeeper (gateway/lease_keeper.h) over an in-memory CreditLeases with the store's
// semantics and a signal bus between nodes. Injected clock; no sleeps: tests wait for the
// keeper's answers (futures) and for the signals it sends (the bus's condition variable).
#include "gateway/lease_keeper.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <map>
#include <mutex>

#include "gateway/billing_gateway.h"

namespace soundtrend::gateway {
namespace {

// The store's side of every node: balances, leases, and signals delivered to the other
// nodes' keepers.
class FakeLeaseStore {
 public:
  void Grant(const std::string& key, int64_t amount) {
    std::lock_guard lock(mu_);
    balance_[key] += amount;
  }
  int64_t Free(const std::string& key) {
    std::lock_guard lock(mu_);
    return FreeLocked(key);
  }
  int64_t Lease(const std::string& key, const std::string& node) {
    std::lock_guard lock(mu_);
    return leases_[{key, node}];
  }
  void Attach(const std::string& node, LeaseKeeper* keeper) {
    std::lock_guard lock(mu_);
    keepers_[node] = keeper;
  }
  // Whether signals reach the other nodes (false: a holder that never answers).
  void set_deliver(bool deliver) {
    std::lock_guard lock(mu_);
    deliver_ = deliver;
  }
  // Blocks until `n` signals of `kind` were sent in all.
  void WaitSent(store::LeaseSignal::Kind kind, int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return sent_[kind] >= n; });
  }

  Result<store::LeaseGrant> Take(const std::string& node, std::string_view key, int64_t want,
                                 int64_t min, int64_t share) {
    std::lock_guard lock(mu_);
    wants_.push_back(want);
    const std::string k(key);
    const int64_t free = FreeLocked(k);
    if (free < min) return store::LeaseGrant{};
    const int64_t n = std::min(want, std::max(min, free / share)) / min * min;
    leases_[{k, node}] += n;
    return store::LeaseGrant{n, FreeLocked(k)};
  }
  Status Return(const std::string& node, std::string_view key, int64_t amount) {
    std::lock_guard lock(mu_);
    int64_t& held = leases_[{std::string(key), node}];
    if (held < amount) return Status::FailedPrecondition("less held");
    held -= amount;
    return Status::Ok();
  }
  std::vector<std::string> Others(const std::string& node, std::string_view key) {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [k, amount] : leases_) {
      if (k.first == key && k.second != node && amount > 0) out.push_back(k.second);
    }
    return out;
  }
  void Send(const store::LeaseSignal& s) {
    std::vector<LeaseKeeper*> to;
    {
      std::lock_guard lock(mu_);
      ++sent_[s.kind];
      cv_.notify_all();
      if (!deliver_) return;
      for (const auto& [node, keeper] : keepers_) {
        if (node != s.node_id && keeper != nullptr) to.push_back(keeper);
      }
    }
    for (LeaseKeeper* k : to) k->OnSignal(s);
  }
  std::vector<int64_t> wants() {
    std::lock_guard lock(mu_);
    return wants_;
  }

 private:
  int64_t FreeLocked(const std::string& key) {
    int64_t leased = 0;
    for (const auto& [k, amount] : leases_)
      if (k.first == key) leased += amount;
    return balance_[key] - leased;
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int64_t> balance_;
  std::map<std::pair<std::string, std::string>, int64_t> leases_;
  std::map<std::string, LeaseKeeper*> keepers_;
  std::map<store::LeaseSignal::Kind, int> sent_;
  std::vector<int64_t> wants_;
  bool deliver_ = true;
};

class FakeLeases final : public store::CreditLeases {
 public:
  FakeLeases(FakeLeaseStore& store, std::string node) : store_(store), node_(std::move(node)) {}
  const std::string& node_id() const override { return node_; }
  Result<store::LeaseGrant> TakeLease(std::string_view key, int64_t want, int64_t min,
                                      int64_t share) override {
    return store_.Take(node_, key, want, min, share);
  }
  Status ReturnLease(std::string_view key, int64_t amount) override {
    return store_.Return(node_, key, amount);
  }
  Result<int64_t> SettleLeases(std::string_view) override { return int64_t{0}; }
  Result<std::vector<store::NodeLease>> Leases() override {
    return std::vector<store::NodeLease>{};
  }
  Result<std::vector<std::string>> OtherHolders(std::string_view key) override {
    return store_.Others(node_, key);
  }
  Status Send(const store::LeaseSignal& s) override {
    store_.Send(s);
    return Status::Ok();
  }
  Result<std::vector<store::LeaseSignal>> Receive(int) override {
    return std::vector<store::LeaseSignal>{};  // the bus delivers instead
  }

 private:
  FakeLeaseStore& store_;
  std::string node_;
};

std::shared_ptr<KeyAccount> Account(const std::string& key_id) {
  store::KeyRecord record;
  record.key_id = key_id;
  return std::make_shared<KeyAccount>(record, std::make_shared<AccountState>());
}

// One node: its leases and keeper, and its own view of the key.
struct Node {
  Node(FakeLeaseStore& store, const std::string& name, const Clock& clock,
       LeaseKeeperOptions options)
      : leases(store, name), keeper(leases, clock, options), account(Account("key_a")) {
    store.Attach(name, &keeper);
  }
  ReserveOutcome ReserveSync(int64_t cost = 2) {
    std::promise<ReserveOutcome> p;
    keeper.Reserve(account, cost, [&](ReserveOutcome o) { p.set_value(o); });
    return p.get_future().get();
  }
  std::future<ReserveOutcome> ReserveAsync(std::shared_ptr<std::promise<ReserveOutcome>> p,
                                           int64_t cost = 2) {
    keeper.Reserve(account, cost, [p](ReserveOutcome o) { p->set_value(o); });
    return p->get_future();
  }
  int64_t unspent() const { return account->state().balance.load(); }

  FakeLeases leases;
  LeaseKeeper keeper;
  std::shared_ptr<KeyAccount> account;
};

LeaseKeeperOptions TestOptions() {
  LeaseKeeperOptions o;
  o.listen = false;  // the bus delivers signals
  o.first_lease_costs = 4;
  o.share = 1;
  o.idle_tick_millis = 1;
  return o;
}

TEST(LeaseKeeperTest, ALeaseFillsTheBalanceAndTheNextOnesFollowTheRate) {
  FakeLeaseStore store;
  store.Grant("key_a", 10'000);
  FakeClock clock;
  Node a(store, "a", clock, TestOptions());
  EXPECT_EQ(a.ReserveSync(), ReserveOutcome::kReserved);
  EXPECT_EQ(store.Lease("key_a", "a"), 8);  // 4 costs
  EXPECT_EQ(a.unspent(), 6);
  // The lease lasted 10 ms: the next one is a second's worth at that rate (8 / 10 ms).
  a.account->state().balance.store(0);  // spent by the loops
  clock.AdvanceNanos(10'000'000);
  EXPECT_EQ(a.ReserveSync(), ReserveOutcome::kReserved);
  EXPECT_EQ(store.wants(), (std::vector<int64_t>{8, 800}));
  EXPECT_EQ(a.unspent(), 798);
  // A slow key: 800 lasted 100 s, 8 a second.
  a.account->state().balance.store(0);
  clock.AdvanceSeconds(100);
  EXPECT_EQ(a.ReserveSync(), ReserveOutcome::kReserved);
  EXPECT_EQ(store.wants().back(), 8);
  // One lease lasting 1000 s: the smallest lease, one cost.
  a.account->state().balance.store(0);
  clock.AdvanceSeconds(1000);
  EXPECT_EQ(a.ReserveSync(), ReserveOutcome::kReserved);
  EXPECT_EQ(store.wants().back(), 2);
}

TEST(LeaseKeeperTest, NoCreditAnywhereIs402AtOnce) {
  FakeLeaseStore store;
  store.Grant("key_a", 4);
  FakeClock clock;
  Node a(store, "a", clock, TestOptions());
  EXPECT_EQ(a.ReserveSync(), ReserveOutcome::kReserved);
  EXPECT_EQ(a.ReserveSync(), ReserveOutcome::kReserved);
  EXPECT_EQ(a.ReserveSync(), ReserveOutcome::kNoCredit);  // nobody else holds any
  EXPECT_EQ(a.keeper.recalls_sent(), 0);
}

// Exact at exhaustion: node a is out of credit while b holds unspent credit of the key. a
// does not answer 402: it recalls, b gives back what it has not spent, a leases it.
TEST(LeaseKeeperTest, ANodeOutOfCreditRecallsWhatAnotherNodeHoldsUnspent) {
  FakeLeaseStore store;
  store.Grant("key_a", 10);
  FakeClock clock;
  Node a(store, "a", clock, TestOptions());
  Node b(store, "b", clock, TestOptions());
  EXPECT_EQ(b.ReserveSync(), ReserveOutcome::kReserved);  // b leases 8, spends 2
  EXPECT_EQ(b.unspent(), 6);
  EXPECT_EQ(a.ReserveSync(), ReserveOutcome::kReserved);  // a leases the last 2
  EXPECT_EQ(store.Free("key_a"), 0);
  EXPECT_EQ(a.ReserveSync(), ReserveOutcome::kReserved);  // recalled from b
  EXPECT_EQ(a.keeper.recalls_sent(), 1);
  EXPECT_EQ(b.unspent(), 0);
  EXPECT_EQ(store.Lease("key_a", "b"), 2);  // what b reserved (spent) stays its
  // 10 credits: exactly 5 reservations, whichever node asks.
  int reserved = 3;
  for (int i = 0; i < 4; ++i) {
    Node& n = i % 2 ? a : b;
    if (n.ReserveSync() == ReserveOutcome::kReserved) ++reserved;
  }
  EXPECT_EQ(reserved, 5);
  EXPECT_EQ(a.unspent() + b.unspent(), 0);
}

// A holder that never answers: the request waits (asynchronously) for the bounded time on
// the injected clock, then is decided.
TEST(LeaseKeeperTest, ARecallThatIsNotAnsweredIsDecidedAfterTheBoundedWait) {
  FakeLeaseStore store;
  store.Grant("key_a", 4);
  FakeClock clock;
  Node a(store, "a", clock, TestOptions());
  Node b(store, "b", clock, TestOptions());
  EXPECT_EQ(b.ReserveSync(), ReserveOutcome::kReserved);  // b holds all 4, 2 unspent
  store.set_deliver(false);
  auto p = std::make_shared<std::promise<ReserveOutcome>>();
  std::future<ReserveOutcome> f = a.ReserveAsync(p);
  store.WaitSent(store::LeaseSignal::Kind::kRecall, 1);
  EXPECT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  clock.AdvanceNanos(TestOptions().recall_wait_nanos);
  a.keeper.Poke();
  EXPECT_EQ(f.get(), ReserveOutcome::kNoCredit);
  EXPECT_EQ(b.unspent(), 2);
}

TEST(LeaseKeeperTest, StopGivesTheUnspentBackAndRefusesWaitingRequests) {
  FakeLeaseStore store;
  store.Grant("key_a", 100);
  FakeClock clock;
  Node a(store, "a", clock, TestOptions());
  EXPECT_EQ(a.ReserveSync(), ReserveOutcome::kReserved);
  EXPECT_EQ(store.Lease("key_a", "a"), 8);
  a.keeper.Stop();
  EXPECT_EQ(store.Lease("key_a", "a"), 2);  // the reserved request's credits stay leased
  EXPECT_EQ(store.Free("key_a"), 98);
  EXPECT_EQ(a.ReserveSync(), ReserveOutcome::kUnavailable);
}

}  // namespace
}  // namespace soundtrend::gateway
