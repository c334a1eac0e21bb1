#include "gateway/billing_gateway.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <sstream>
#include <thread>
#include <vector>

#include "gateway/api_key.h"
#include "store/sqlite/sqlite_key_store.h"

namespace soundtrend::gateway {
namespace {

constexpr std::string_view kMusic = "/v1/tiktok/trending/music";

// Delegates to a real store; ApplyChargeBlock fails while `fail` is set.
class FailingStore final : public store::KeyStore {
 public:
  explicit FailingStore(std::unique_ptr<store::KeyStore> inner) : inner_(std::move(inner)) {}
  std::atomic<bool> fail{false};
  Status CreateKey(const store::KeyRecord& k) override { return inner_->CreateKey(k); }
  Result<store::KeyRecord> GetKey(std::string_view id) override { return inner_->GetKey(id); }
  Result<std::vector<store::KeyRecord>> ListKeys() override { return inner_->ListKeys(); }
  Status RevokeKey(std::string_view id, int64_t t) override { return inner_->RevokeKey(id, t); }
  Result<store::KeyRecord> UpdateKey(std::string_view id, const store::KeyChanges& c) override {
    return inner_->UpdateKey(id, c);
  }
  Result<store::KeyRecord> RotateKey(std::string_view id, std::string_view hash,
                                     std::optional<int64_t> until) override {
    return inner_->RotateKey(id, hash, until);
  }
  Result<store::GrantResult> ApplyGrant(std::string_view id, std::string_view g, int64_t a,
                                        int64_t t) override {
    return inner_->ApplyGrant(id, g, a, t);
  }
  Status ApplyChargeBlock(std::span<const store::ChargeView> charges,
                          std::span<const store::LogMarker> markers,
                          const store::ApplyOptions& options) override {
    if (fail) return Status::IoError("disk on fire");
    return inner_->ApplyChargeBlock(charges, markers, options);
  }
  Result<std::vector<store::LogMarker>> LogMarkers(std::string_view prefix) override {
    return inner_->LogMarkers(prefix);
  }
  Result<store::KeySnapshot> Snapshot(int64_t after) override { return inner_->Snapshot(after); }
  Result<int64_t> ChangeCounter() override { return inner_->ChangeCounter(); }
  Status ForEachLedgerEntry(std::string_view id,
                            const std::function<Status(const store::LedgerEntry&)>& fn) override {
    return inner_->ForEachLedgerEntry(id, fn);
  }

 private:
  std::unique_ptr<store::KeyStore> inner_;
};

class BillingGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("st_billing_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    db_path_ = (dir_ / "billing.db").string();
    OpenGateway();
  }
  void TearDown() override {
    gateway_.reset();
    std::filesystem::remove_all(dir_);
  }

  void OpenGateway(bool charging = true) {
    gateway_.reset();
    auto store = store::sqlite::SqliteKeyStore::Open(db_path_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto failing = std::make_unique<FailingStore>(std::move(store).value());
    failing_ = failing.get();
    // Without lanes the ledger has no logs: its writer thread applies each group to the
    // store at once (where `fail` can refuse it).
    ledger::LedgerOptions ledger_options;
    if (lanes_) ledger_options.log_path = ledger::LogPathBeside(db_path_);
    if (lane_segment_bytes_ > 0) ledger_options.lane_segment_bytes = lane_segment_bytes_;
    auto ledger = ledger::Ledger::Open(*failing, ledger_options);
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    BillingGatewayOptions options;
    options.reload_interval_millis = 0;
    options.charging = charging;
    options.current_lane = current_lane_;
    options.lane_move_after_charges = lane_move_after_charges_;
    options.rate_limiter = rate_limiter_;
    auto gw = BillingGateway::Open(std::move(failing), std::move(ledger).value(), clock_, random_,
                                   options);
    ASSERT_TRUE(gw.ok()) << gw.status().ToString();
    gateway_ = std::move(gw).value();
  }

  CreatedKey MakeKey(int64_t credits, int64_t qps = 1000, std::vector<std::string> endpoints = {},
                     std::optional<int64_t> expires = std::nullopt,
                     std::optional<int64_t> burst = std::nullopt) {
    NewKeySpec spec;
    spec.name = "customer";
    spec.qps_limit = qps;
    spec.burst = burst;
    spec.credits = credits;
    spec.endpoints = std::move(endpoints);
    spec.expires_micros = expires;
    auto created = gateway_->CreateKey(spec);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return std::move(created).value();
  }

  static std::string Bearer(const std::string& key) { return "Bearer " + key; }

  Status CommitSync(const std::shared_ptr<KeyAccount>& account, const std::string& request_id) {
    std::promise<Status> done;
    auto result = done.get_future();
    gateway_->Commit(account, ChargeInfo{request_id, std::string(kMusic), 2},
                     [&done](Status st) { done.set_value(std::move(st)); });
    return result.get();
  }

  std::vector<store::LedgerEntry> Ledger(const std::string& key_id) {
    std::vector<store::LedgerEntry> out;
    EXPECT_TRUE(gateway_
                    ->ForEachLedgerEntry(key_id,
                                         [&](const store::LedgerEntry& e) {
                                           out.push_back(e);
                                           return Status::Ok();
                                         })
                    .ok());
    return out;
  }

  std::filesystem::path dir_;
  std::string db_path_;
  FakeClock clock_{1'770'000'000'000'000};
  SeededRandom random_{7};
  FailingStore* failing_ = nullptr;
  // Set before OpenGateway.
  bool lanes_ = false;  // the ledger has logs and gives out charge lanes
  std::function<std::optional<uint32_t>()> current_lane_;
  int64_t lane_move_after_charges_ = 0;        // only reads and the reload thread move lanes
  uint32_t lane_segment_bytes_ = 0;            // 0: the ledger's default
  std::shared_ptr<RateLimiter> rate_limiter_;  // null: the local one
  std::unique_ptr<BillingGateway> gateway_;
};

TEST_F(BillingGatewayTest, AdmitsAValidKeyWithHeaders) {
  CreatedKey key = MakeKey(100, 10);
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  ASSERT_EQ(a.outcome, AdmitOutcome::kOk);
  ASSERT_TRUE(a.account);
  EXPECT_EQ(a.key_id, key.record.key_id);
  EXPECT_EQ(a.ratelimit_policy, "\"default\";q=10;w=1");
  EXPECT_EQ(a.ratelimit, "\"default\";r=9;t=1");
  EXPECT_EQ(gateway_->Balance(*a.account), 100);
}

TEST_F(BillingGatewayTest, MissingOrMalformedHeader) {
  MakeKey(100);
  EXPECT_EQ(gateway_->Admit("", kMusic).outcome, AdmitOutcome::kMissingKey);
  EXPECT_EQ(gateway_->Admit("Bearer", kMusic).outcome, AdmitOutcome::kMissingKey);
  EXPECT_EQ(gateway_->Admit("Basic abc", kMusic).outcome, AdmitOutcome::kMissingKey);
  Admission a = gateway_->Admit("", kMusic);
  EXPECT_TRUE(a.ratelimit.empty());
  EXPECT_FALSE(a.account);
}

TEST_F(BillingGatewayTest, KeyDifferingByOneCharacterIsRefused) {
  CreatedKey key = MakeKey(100);
  std::string almost = key.api_key;
  almost.back() = almost.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(gateway_->Admit(Bearer(almost), kMusic).outcome, AdmitOutcome::kInvalidKey);
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key + "x"), kMusic).outcome, AdmitOutcome::kInvalidKey);
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key.substr(0, key.api_key.size() - 1)), kMusic).outcome,
            AdmitOutcome::kInvalidKey);
  // The stored hash is not a key either.
  EXPECT_EQ(gateway_->Admit(Bearer(key.record.key_hash), kMusic).outcome,
            AdmitOutcome::kInvalidKey);
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kOk);
}

TEST_F(BillingGatewayTest, RepeatedAndAlternatingKeysOnOneThreadResolveToTheirOwnAccount) {
  // Admit reuses the hash of the key this thread presented last: a repeat, a different key
  // and a near miss right after a valid key must each resolve on their own.
  CreatedKey a = MakeKey(100);
  CreatedKey b = MakeKey(100);
  std::string almost = a.api_key;
  almost.back() = almost.back() == 'a' ? 'b' : 'a';
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(gateway_->Admit(Bearer(a.api_key), kMusic).key_id, a.record.key_id);
    EXPECT_EQ(gateway_->Admit(Bearer(a.api_key), kMusic).key_id, a.record.key_id);
    EXPECT_EQ(gateway_->Admit(Bearer(almost), kMusic).outcome, AdmitOutcome::kInvalidKey);
    EXPECT_EQ(gateway_->Admit(Bearer(b.api_key), kMusic).key_id, b.record.key_id);
    EXPECT_EQ(gateway_->Admit(Bearer(a.api_key), kMusic).key_id, a.record.key_id);
  }
}

TEST_F(BillingGatewayTest, RevocationTakesEffectOnTheNextRequest) {
  CreatedKey key = MakeKey(100);
  ASSERT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kOk);
  ASSERT_TRUE(gateway_->RevokeKey(key.record.key_id).ok());
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  EXPECT_EQ(a.outcome, AdmitOutcome::kInvalidKey);
  EXPECT_FALSE(a.account);
  EXPECT_EQ(gateway_->RevokeKey("key_000000000000").code(), Status::Code::kNotFound);
}

TEST_F(BillingGatewayTest, KeyChangesDoNotKeepOldKeyTablesAlive) {
  // Every key change publishes a new table; the ones no thread uses any more are freed
  // (before: every table ever published stayed until the gateway was destroyed).
  CreatedKey first = MakeKey(100);
  ASSERT_EQ(gateway_->Admit(Bearer(first.api_key), kMusic).outcome, AdmitOutcome::kOk);
  std::thread other([&] {
    // Another thread's cache holds the table it last used, and only that one.
    EXPECT_EQ(gateway_->Admit(Bearer(first.api_key), kMusic).outcome, AdmitOutcome::kOk);
  });
  other.join();
  for (int i = 0; i < 50; ++i) {
    CreatedKey key = MakeKey(10);
    ASSERT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kOk);
    if (i % 2 == 0) {
      ASSERT_TRUE(gateway_->RevokeKey(key.record.key_id).ok());
    }
    EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome,
              i % 2 == 0 ? AdmitOutcome::kInvalidKey : AdmitOutcome::kOk);
    // The current table (this thread's copy). The other thread has exited: its copy went
    // with it.
    EXPECT_EQ(gateway_->key_tables_alive(), 1) << "after change " << i;
  }
  EXPECT_EQ(gateway_->Admit(Bearer(first.api_key), kMusic).outcome, AdmitOutcome::kOk);
}

TEST_F(BillingGatewayTest, ExpiryFollowsTheInjectedClock) {
  const int64_t expires = clock_.NowMicros() + 60'000'000;
  CreatedKey key = MakeKey(100, 1000, {}, expires);
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kOk);
  clock_.AdvanceSeconds(59.999);
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kOk);
  clock_.AdvanceSeconds(0.001);
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kInvalidKey);
}

TEST_F(BillingGatewayTest, EndpointPermission) {
  CreatedKey key = MakeKey(100, 2, {"/v1/tiktok/regions"});
  Admission forbidden = gateway_->Admit(Bearer(key.api_key), kMusic);
  EXPECT_EQ(forbidden.outcome, AdmitOutcome::kForbidden);
  EXPECT_EQ(forbidden.key_id, key.record.key_id);
  EXPECT_EQ(forbidden.ratelimit, "\"default\";r=2;t=0");  // 403 does not consume the limit
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), "/v1/tiktok/regions").outcome, AdmitOutcome::kOk);
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), "/v1/account").outcome, AdmitOutcome::kOk);
  CreatedKey all = MakeKey(100);
  EXPECT_EQ(gateway_->Admit(Bearer(all.api_key), kMusic).outcome, AdmitOutcome::kOk);
}

TEST_F(BillingGatewayTest, RateLimitWithRetryAfterAndRecovery) {
  CreatedKey key = MakeKey(100, 2);  // 2 qps, burst 2
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kOk);
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kOk);
  Admission limited = gateway_->Admit(Bearer(key.api_key), kMusic);
  EXPECT_EQ(limited.outcome, AdmitOutcome::kRateLimited);
  EXPECT_EQ(limited.retry_after_seconds, 1);
  EXPECT_EQ(limited.ratelimit, "\"default\";r=0;t=1");
  clock_.AdvanceSeconds(0.5);
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kOk);
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kRateLimited);
}

TEST_F(BillingGatewayTest, ReserveCommitWritesTheLedger) {
  CreatedKey key = MakeKey(5);
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  ASSERT_EQ(a.outcome, AdmitOutcome::kOk);
  ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
  EXPECT_EQ(gateway_->Balance(*a.account), 3);
  ASSERT_TRUE(CommitSync(a.account, "req-1").ok());
  ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
  EXPECT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kNoCredit);  // 1 left: 402
  gateway_->Release(*a.account, 2);  // the request failed after all
  EXPECT_EQ(gateway_->Balance(*a.account), 3);
  auto ledger = Ledger(key.record.key_id);
  ASSERT_EQ(ledger.size(), 2u);
  EXPECT_EQ(ledger[1].kind, store::LedgerKind::kCharge);
  EXPECT_EQ(ledger[1].reference, "req-1");
  EXPECT_EQ(ledger[1].endpoint, kMusic);
  EXPECT_EQ(ledger[1].amount, -2);
  EXPECT_EQ(ledger[1].balance_after, 3);
  EXPECT_EQ(ledger[1].time_micros, clock_.NowMicros());
  AccountView view = gateway_->Describe(*a.account);
  EXPECT_EQ(view.charged_requests, 1);
  EXPECT_EQ(view.charged_credits, 2);
  EXPECT_EQ(view.balance, 3);
}

TEST_F(BillingGatewayTest, FailedCommitReleasesTheReservation) {
  CreatedKey key = MakeKey(10);
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
  failing_->fail = true;
  Status st = CommitSync(a.account, "req-x");
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_EQ(gateway_->Balance(*a.account), 10);
  EXPECT_EQ(Ledger(key.record.key_id).size(), 1u);  // the initial grant only
}

TEST_F(BillingGatewayTest, RaceForTheLastCredits) {
  CreatedKey key = MakeKey(1000, 100000);
  const std::string auth = Bearer(key.api_key);
  constexpr int kThreads = 16;
  constexpr int kAttemptsPerThread = 125;  // 2,000 attempts
  std::atomic<int> committed{0};
  std::atomic<int> refused{0};
  std::atomic<int> failed{0};
  std::atomic<int> pending{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAttemptsPerThread; ++i) {
        Admission a = gateway_->Admit(auth, kMusic);
        if (a.outcome != AdmitOutcome::kOk) {
          failed.fetch_add(1);
          continue;
        }
        if (gateway_->Reserve(*a.account, 2) != ReserveOutcome::kReserved) {
          refused.fetch_add(1);
          continue;
        }
        pending.fetch_add(1);
        gateway_->Commit(
            a.account,
            ChargeInfo{"r-" + std::to_string(t) + "-" + std::to_string(i), std::string(kMusic), 2},
            [&](Status st) {
              (st.ok() ? committed : failed).fetch_add(1);
              pending.fetch_sub(1);
            });
      }
    });
  }
  for (auto& th : threads) th.join();
  gateway_.reset();  // drains the ledger queue: every Commit has completed
  EXPECT_EQ(pending.load(), 0);
  EXPECT_EQ(committed.load(), 500);
  EXPECT_EQ(refused.load(), 1500);
  EXPECT_EQ(failed.load(), 0);

  auto store = store::sqlite::SqliteKeyStore::Open(db_path_);
  ASSERT_TRUE(store.ok());
  auto record = (*store)->GetKey(key.record.key_id);
  EXPECT_EQ(record->balance, 0);
  int charges = 0;
  ASSERT_TRUE((*store)
                  ->ForEachLedgerEntry(key.record.key_id,
                                       [&](const store::LedgerEntry& e) {
                                         charges += e.kind == store::LedgerKind::kCharge;
                                         return Status::Ok();
                                       })
                  .ok());
  EXPECT_EQ(charges, 500);
}

TEST_F(BillingGatewayTest, GroupCommitBatchesConcurrentCharges) {
  CreatedKey key = MakeKey(1'000'000, 100000);
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  constexpr int kCharges = 400;
  std::atomic<int> done{0};
  for (int i = 0; i < kCharges; ++i) {
    ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
    gateway_->Commit(a.account, ChargeInfo{"g-" + std::to_string(i), std::string(kMusic), 2},
                     [&](Status st) { done.fetch_add(st.ok()); });
  }
  gateway_.reset();
  EXPECT_EQ(done.load(), kCharges);
  OpenGateway();
  int charges = 0;
  for (const auto& e : Ledger(key.record.key_id)) charges += e.kind == store::LedgerKind::kCharge;
  EXPECT_EQ(charges, kCharges);
}

TEST_F(BillingGatewayTest, BalancesLoadOnRestart) {
  CreatedKey key = MakeKey(10);
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
  ASSERT_TRUE(CommitSync(a.account, "req-1").ok());
  OpenGateway();
  Admission b = gateway_->Admit(Bearer(key.api_key), kMusic);
  ASSERT_EQ(b.outcome, AdmitOutcome::kOk);
  EXPECT_EQ(gateway_->Balance(*b.account), 8);
  EXPECT_EQ(gateway_->Describe(*b.account).charged_requests, 1);
}

TEST_F(BillingGatewayTest, GrantsAreIdempotentAndReachTheRequestPathOnce) {
  CreatedKey key = MakeKey(0);
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  EXPECT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kNoCredit);
  auto g = gateway_->GrantCredits(key.record.key_id, "invoice-9", 10);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(g->applied);
  auto again = gateway_->GrantCredits(key.record.key_id, "invoice-9", 10);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->applied);
  ASSERT_TRUE(gateway_->Reload().ok());
  EXPECT_EQ(gateway_->Balance(*a.account), 10);
}

TEST_F(BillingGatewayTest, ChangesFromAnotherProcessArriveOnReload) {
  CreatedKey key = MakeKey(10);
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  ASSERT_EQ(gateway_->Reserve(*a.account, 2),
            ReserveOutcome::kReserved);  // in flight during the reload

  // The CLI: its own connection to the same file.
  auto cli_store = store::sqlite::SqliteKeyStore::Open(db_path_);
  ASSERT_TRUE(cli_store.ok());
  KeyManager cli(**cli_store, clock_, random_);
  ASSERT_TRUE(cli.GrantCredits(key.record.key_id, "cli-grant", 100).ok());
  NewKeySpec spec;
  spec.name = "from cli";
  spec.credits = 40;
  auto other = cli.CreateKey(spec);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(gateway_->Admit(Bearer(other->api_key), kMusic).outcome, AdmitOutcome::kInvalidKey);

  ASSERT_TRUE(gateway_->Reload().ok());
  ASSERT_TRUE(gateway_->Reload().ok());  // a second reload adds nothing twice
  EXPECT_EQ(gateway_->Balance(*a.account), 108);
  Admission b = gateway_->Admit(Bearer(other->api_key), kMusic);
  ASSERT_EQ(b.outcome, AdmitOutcome::kOk);
  EXPECT_EQ(gateway_->Balance(*b.account), 40);
  ASSERT_TRUE(CommitSync(a.account, "req-1").ok());
  EXPECT_EQ((*cli_store)->GetKey(key.record.key_id)->balance, 108);

  ASSERT_TRUE(cli.RevokeKey(other->record.key_id).ok());
  ASSERT_TRUE(gateway_->Reload().ok());
  EXPECT_EQ(gateway_->Admit(Bearer(other->api_key), kMusic).outcome, AdmitOutcome::kInvalidKey);
}

TEST_F(BillingGatewayTest, AnUpdateTakesEffectOnTheNextRequest) {
  CreatedKey key = MakeKey(100, 10);
  ASSERT_EQ(gateway_->Admit(Bearer(key.api_key), "/v1/tiktok/regions").outcome, AdmitOutcome::kOk);
  store::KeyChanges changes;
  changes.qps_limit = 3;
  changes.burst = 4;
  changes.endpoints = std::vector<std::string>{std::string(kMusic)};
  auto updated = gateway_->UpdateKey(key.record.key_id, changes);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->balance, 100);
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), "/v1/tiktok/regions").outcome,
            AdmitOutcome::kForbidden);
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  ASSERT_EQ(a.outcome, AdmitOutcome::kOk);
  EXPECT_EQ(a.ratelimit_policy, "\"default\";q=3;w=1");
  EXPECT_EQ(gateway_->Balance(*a.account), 100) << "the balance survives the new table";

  changes = {};
  changes.expires_micros = std::optional<int64_t>(clock_.NowMicros() + 1'000'000);
  ASSERT_TRUE(gateway_->UpdateKey(key.record.key_id, changes).ok());
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kOk);
  clock_.AdvanceSeconds(1);
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kInvalidKey);
  changes.expires_micros = std::optional<int64_t>();  // never
  ASSERT_TRUE(gateway_->UpdateKey(key.record.key_id, changes).ok());
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kOk);
}

TEST_F(BillingGatewayTest, RotationRefusesTheOldSecretAtOnceOrAfterTheGrace) {
  CreatedKey key = MakeKey(100);
  auto rotated = gateway_->RotateKey(key.record.key_id, 0);
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kInvalidKey);
  Admission a = gateway_->Admit(Bearer(rotated->api_key), kMusic);
  ASSERT_EQ(a.outcome, AdmitOutcome::kOk);
  EXPECT_EQ(a.key_id, key.record.key_id);
  EXPECT_EQ(gateway_->Balance(*a.account), 100);

  auto graced = gateway_->RotateKey(key.record.key_id, 60);
  ASSERT_TRUE(graced.ok());
  Admission old_one = gateway_->Admit(Bearer(rotated->api_key), kMusic);
  ASSERT_EQ(old_one.outcome, AdmitOutcome::kOk) << "the previous secret works during the grace";
  EXPECT_EQ(old_one.key_id, key.record.key_id);
  EXPECT_EQ(old_one.account, gateway_->Admit(Bearer(graced->api_key), kMusic).account)
      << "one account, one balance, one limiter for both secrets";
  clock_.AdvanceSeconds(59.999);
  EXPECT_EQ(gateway_->Admit(Bearer(rotated->api_key), kMusic).outcome, AdmitOutcome::kOk);
  clock_.AdvanceSeconds(0.001);
  EXPECT_EQ(gateway_->Admit(Bearer(rotated->api_key), kMusic).outcome, AdmitOutcome::kInvalidKey);
  EXPECT_EQ(gateway_->Admit(Bearer(graced->api_key), kMusic).outcome, AdmitOutcome::kOk);
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kInvalidKey);

  // A revoked key refuses both secrets, and cannot be rotated.
  auto again = gateway_->RotateKey(key.record.key_id, 60);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(gateway_->RevokeKey(key.record.key_id).ok());
  EXPECT_EQ(gateway_->Admit(Bearer(again->api_key), kMusic).outcome, AdmitOutcome::kInvalidKey);
  EXPECT_EQ(gateway_->Admit(Bearer(graced->api_key), kMusic).outcome, AdmitOutcome::kInvalidKey);
  EXPECT_EQ(gateway_->RotateKey(key.record.key_id, 0).status().code(),
            Status::Code::kFailedPrecondition);
}

TEST_F(BillingGatewayTest, UpdatesAndRotationsFromAnotherProcessArriveOnReloadIfChanged) {
  CreatedKey key = MakeKey(100, 10);
  auto cli_store = store::sqlite::SqliteKeyStore::Open(db_path_);
  ASSERT_TRUE(cli_store.ok());
  KeyManager cli(**cli_store, clock_, random_);
  store::KeyChanges changes;
  changes.qps_limit = 2;
  ASSERT_TRUE(cli.UpdateKey(key.record.key_id, changes).ok());
  auto rotated = cli.RotateKey(key.record.key_id, 0);
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kOk)
      << "not seen before the reload";
  bool reloaded = false;
  ASSERT_TRUE(gateway_->ReloadIfChanged(&reloaded).ok());
  EXPECT_TRUE(reloaded);
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kInvalidKey);
  Admission a = gateway_->Admit(Bearer(rotated->api_key), kMusic);
  ASSERT_EQ(a.outcome, AdmitOutcome::kOk);
  EXPECT_EQ(a.ratelimit_policy, "\"default\";q=2;w=1");
}

TEST_F(BillingGatewayTest, ClearKeyNeverInTheDatabaseOrTheLog) {
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  logger->set_level(spdlog::level::trace);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);

  CreatedKey key = MakeKey(10);
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
  ASSERT_TRUE(CommitSync(a.account, "req-1").ok());
  ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
  failing_->fail = true;
  EXPECT_FALSE(CommitSync(a.account, "req-2").ok());  // logs an error
  ASSERT_TRUE(gateway_->RevokeKey(key.record.key_id).ok());
  gateway_.reset();
  spdlog::set_default_logger(previous);

  const std::string logged = log.str();
  EXPECT_NE(logged.find(key.record.key_id), std::string::npos);  // the log did capture
  EXPECT_EQ(logged.find(key.api_key), std::string::npos);
  EXPECT_EQ(logged.find(key.api_key.substr(8)), std::string::npos);

  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::ifstream in(db_path_ + suffix, std::ios::binary);
    if (!in) continue;
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(key.api_key.substr(8)), std::string::npos) << suffix;
    if (std::string(suffix).empty()) {
      EXPECT_NE(bytes.find(key.record.key_hash), std::string::npos);  // the scan can see text
    }
  }
}

// --- Rate limits through the gateway, on the injected clock (no sleeping) ---------------

TEST_F(BillingGatewayTest, RateLimitSteadyRateAtTheLimitNeverRefused) {
  CreatedKey key = MakeKey(0, 5, {}, std::nullopt, 1);  // 5 qps, no burst: one per 200 ms
  const std::string auth = Bearer(key.api_key);
  for (int i = 0; i < 500; ++i) {  // 100 seconds at exactly the limit
    Admission a = gateway_->Admit(auth, kMusic);
    ASSERT_EQ(a.outcome, AdmitOutcome::kOk) << i;
    EXPECT_EQ(a.ratelimit, "\"default\";r=0;t=1") << i;
    // A second request at the same instant is over the limit.
    ASSERT_EQ(gateway_->Admit(auth, kMusic).outcome, AdmitOutcome::kRateLimited) << i;
    clock_.AdvanceNanos(200'000'000);
  }
}

TEST_F(BillingGatewayTest, RateLimitBurstThenOneSlotPerInterval) {
  CreatedKey key = MakeKey(0, 10, {}, std::nullopt, 4);  // 10 qps, burst 4
  const std::string auth = Bearer(key.api_key);
  for (int i = 0; i < 4; ++i) {
    Admission a = gateway_->Admit(auth, kMusic);
    ASSERT_EQ(a.outcome, AdmitOutcome::kOk) << i;
    EXPECT_EQ(a.ratelimit, "\"default\";r=" + std::to_string(3 - i) + ";t=1") << i;
  }
  Admission limited = gateway_->Admit(auth, kMusic);
  EXPECT_EQ(limited.outcome, AdmitOutcome::kRateLimited);
  EXPECT_EQ(limited.retry_after_seconds, 1);
  EXPECT_EQ(limited.ratelimit, "\"default\";r=0;t=1");
  EXPECT_EQ(limited.ratelimit_policy, "\"default\";q=10;w=1");
  clock_.AdvanceNanos(99'999'999);  // 1 ns short of the next slot
  EXPECT_EQ(gateway_->Admit(auth, kMusic).outcome, AdmitOutcome::kRateLimited);
  clock_.AdvanceNanos(1);
  EXPECT_EQ(gateway_->Admit(auth, kMusic).outcome, AdmitOutcome::kOk);
  EXPECT_EQ(gateway_->Admit(auth, kMusic).outcome, AdmitOutcome::kRateLimited);
  // Idle for a second: the full burst is back, and not more.
  clock_.AdvanceSeconds(1);
  int passed = 0;
  for (int i = 0; i < 20; ++i) passed += gateway_->Admit(auth, kMusic).outcome == AdmitOutcome::kOk;
  EXPECT_EQ(passed, 4);
}

TEST_F(BillingGatewayTest, RateLimitNoBurstAtAnyWindowEdge) {
  // Requests every millisecond for 5 s against 10 qps / burst 10. Whatever interval of
  // length d one looks at, at most burst + d * qps requests passed (GCRA's guarantee); a
  // fixed one-second window would let 20 through in the 2 ms around each second boundary.
  CreatedKey key = MakeKey(0, 10, {}, std::nullopt, 10);
  const std::string auth = Bearer(key.api_key);
  clock_.AdvanceNanos(999'000'000);  // start just before a "second" boundary
  std::vector<int64_t> passed_at;
  for (int i = 0; i < 5000; ++i) {
    if (gateway_->Admit(auth, kMusic).outcome == AdmitOutcome::kOk) {
      passed_at.push_back(clock_.MonotonicNanos());
    }
    clock_.AdvanceNanos(1'000'000);
  }
  // Long-run: the burst plus 10 per second, exactly (the clock is fake): 4.999 s of
  // requests after the burst's first give 49 more.
  EXPECT_EQ(passed_at.size(), 10u + 49u);
  for (int64_t window : {2'000'000LL, 100'000'000LL, 1'000'000'000LL}) {
    const int64_t bound = 10 + window / 100'000'000;
    size_t lo = 0;
    for (size_t hi = 0; hi < passed_at.size(); ++hi) {
      while (passed_at[hi] - passed_at[lo] >= window) ++lo;
      ASSERT_LE(static_cast<int64_t>(hi - lo + 1), bound) << "window " << window;
    }
  }
  // In particular: the 10 that passed at 0.999 s leave nothing for 1.001 s.
  EXPECT_EQ(passed_at[9] - passed_at[0], 9'000'000);
  EXPECT_GE(passed_at[10] - passed_at[0], 100'000'000);
}

TEST_F(BillingGatewayTest, RateLimitRejectedRequestsAreNotCounted) {
  CreatedKey key = MakeKey(0, 10, {}, std::nullopt, 2);
  const std::string auth = Bearer(key.api_key);
  ASSERT_EQ(gateway_->Admit(auth, kMusic).outcome, AdmitOutcome::kOk);
  ASSERT_EQ(gateway_->Admit(auth, kMusic).outcome, AdmitOutcome::kOk);
  // 10,000 refused attempts spread over 99 ms push nothing back.
  for (int i = 0; i < 10'000; ++i) {
    ASSERT_EQ(gateway_->Admit(auth, kMusic).outcome, AdmitOutcome::kRateLimited) << i;
    if (i % 100 == 99) clock_.AdvanceNanos(1'000'000);
  }
  clock_.AdvanceNanos(1'000'000);  // 100 ms after the burst: exactly one slot
  EXPECT_EQ(gateway_->Admit(auth, kMusic).outcome, AdmitOutcome::kOk);
  // 403s (an endpoint the key may not call) do not count either.
  CreatedKey narrow = MakeKey(0, 10, {"/v1/tiktok/regions"}, std::nullopt, 1);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(gateway_->Admit(Bearer(narrow.api_key), kMusic).outcome, AdmitOutcome::kForbidden);
  }
  EXPECT_EQ(gateway_->Admit(Bearer(narrow.api_key), "/v1/tiktok/regions").outcome,
            AdmitOutcome::kOk);
}

TEST_F(BillingGatewayTest, RateLimitHeaderValuesFollowTheClock) {
  CreatedKey key = MakeKey(0, 2, {}, std::nullopt, 3);  // 2 qps (500 ms), burst 3
  const std::string auth = Bearer(key.api_key);
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) seen.push_back(gateway_->Admit(auth, kMusic).ratelimit);
  // After k requests at t=0 the bucket is full again at k * 500 ms.
  EXPECT_EQ(seen, (std::vector<std::string>{"\"default\";r=2;t=1", "\"default\";r=1;t=1",
                                            "\"default\";r=0;t=2"}));
  Admission limited = gateway_->Admit(auth, kMusic);
  ASSERT_EQ(limited.outcome, AdmitOutcome::kRateLimited);
  EXPECT_EQ(limited.ratelimit_policy, "\"default\";q=2;w=1");
  EXPECT_EQ(limited.ratelimit, "\"default\";r=0;t=2");  // full again in 1.5 s
  EXPECT_EQ(limited.retry_after_seconds, 1);            // next slot in 0.5 s
  clock_.AdvanceNanos(400'000'000);
  limited = gateway_->Admit(auth, kMusic);
  ASSERT_EQ(limited.outcome, AdmitOutcome::kRateLimited);
  EXPECT_EQ(limited.ratelimit, "\"default\";r=0;t=2");  // 1.1 s
  clock_.AdvanceNanos(100'000'000);
  Admission ok = gateway_->Admit(auth, kMusic);
  ASSERT_EQ(ok.outcome, AdmitOutcome::kOk);
  EXPECT_EQ(ok.ratelimit, "\"default\";r=0;t=2");  // full again at 2.0 s, now 0.5 s
  EXPECT_EQ(ok.retry_after_seconds, 0);
  clock_.AdvanceSeconds(10);
  EXPECT_EQ(gateway_->Admit(auth, kMusic).ratelimit, "\"default\";r=2;t=1");

  // A slow key: Retry-After counts whole seconds up to the next slot.
  CreatedKey slow = MakeKey(0, 1, {}, std::nullopt, 1);
  ASSERT_EQ(gateway_->Admit(Bearer(slow.api_key), kMusic).outcome, AdmitOutcome::kOk);
  Admission again = gateway_->Admit(Bearer(slow.api_key), kMusic);
  EXPECT_EQ(again.outcome, AdmitOutcome::kRateLimited);
  EXPECT_EQ(again.retry_after_seconds, 1);
  EXPECT_EQ(again.ratelimit_policy, "\"default\";q=1;w=1");
}

// --- Charging switch ----------------------------------------------------------------

TEST_F(BillingGatewayTest, ChargingOffCostsNothingButKeysAndLimitsStayOn) {
  CreatedKey key = MakeKey(4, 3, {"/v1/tiktok/trending/music"});
  OpenGateway(/*charging=*/false);
  const std::string auth = Bearer(key.api_key);
  for (int i = 0; i < 3; ++i) {
    Admission a = gateway_->Admit(auth, kMusic);
    ASSERT_EQ(a.outcome, AdmitOutcome::kOk) << i;
    ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved) << i;
    ASSERT_TRUE(CommitSync(a.account, "free-" + std::to_string(i)).ok());
    EXPECT_EQ(gateway_->Balance(*a.account), 4);
  }
  EXPECT_EQ(gateway_->Admit(auth, kMusic).outcome, AdmitOutcome::kRateLimited);
  EXPECT_EQ(gateway_->Admit(auth, "/v1/tiktok/regions").outcome, AdmitOutcome::kForbidden);
  EXPECT_EQ(gateway_->Admit("Bearer sk_live_nope", kMusic).outcome, AdmitOutcome::kInvalidKey);
  ASSERT_TRUE(gateway_->RevokeKey(key.record.key_id).ok());
  EXPECT_EQ(gateway_->Admit(auth, kMusic).outcome, AdmitOutcome::kInvalidKey);
  std::vector<store::LedgerEntry> ledger = Ledger(key.record.key_id);
  ASSERT_EQ(ledger.size(), 1u);  // the initial grant only: no charge entries
  EXPECT_EQ(ledger[0].kind, store::LedgerKind::kGrant);
  gateway_.reset();
  auto store = store::sqlite::SqliteKeyStore::Open(db_path_);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->GetKey(key.record.key_id)->balance, 4);
  EXPECT_EQ((*store)->GetKey(key.record.key_id)->charged_requests, 0);
}

// --- Changes made by the CLI while the server runs ------------------------------------

TEST_F(BillingGatewayTest, ReloadIfChangedReReadsOnlyAfterAnotherConnectionCommits) {
  CreatedKey key = MakeKey(10);
  bool reloaded = true;
  ASSERT_TRUE(gateway_->ReloadIfChanged(&reloaded).ok());
  EXPECT_FALSE(reloaded);
  // The server's own charges do not trigger a reload.
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
  ASSERT_TRUE(CommitSync(a.account, "own").ok());
  ASSERT_TRUE(gateway_->ReloadIfChanged(&reloaded).ok());
  EXPECT_FALSE(reloaded);
  const int64_t reloads = gateway_->reloads();

  auto cli_store = store::sqlite::SqliteKeyStore::Open(db_path_);
  ASSERT_TRUE(cli_store.ok());
  KeyManager cli(**cli_store, clock_, random_);
  NewKeySpec spec;
  spec.name = "created by the cli";
  spec.credits = 6;
  auto created = cli.CreateKey(spec);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(gateway_->Admit(Bearer(created->api_key), kMusic).outcome, AdmitOutcome::kInvalidKey);
  ASSERT_TRUE(gateway_->ReloadIfChanged(&reloaded).ok());
  EXPECT_TRUE(reloaded);
  EXPECT_EQ(gateway_->reloads(), reloads + 1);
  Admission b = gateway_->Admit(Bearer(created->api_key), kMusic);
  ASSERT_EQ(b.outcome, AdmitOutcome::kOk);
  EXPECT_EQ(gateway_->Balance(*b.account), 6);
  ASSERT_TRUE(gateway_->ReloadIfChanged(&reloaded).ok());
  EXPECT_FALSE(reloaded);

  ASSERT_TRUE(cli.GrantCredits(created->record.key_id, "cli-top-up", 10).ok());
  ASSERT_TRUE(cli.RevokeKey(key.record.key_id).ok());
  ASSERT_TRUE(gateway_->ReloadIfChanged(&reloaded).ok());
  EXPECT_TRUE(reloaded);
  EXPECT_EQ(gateway_->Balance(*b.account), 16);
  EXPECT_EQ(gateway_->Admit(Bearer(key.api_key), kMusic).outcome, AdmitOutcome::kInvalidKey);
  // The same grant id again (a retried CLI call) adds nothing.
  auto again = cli.GrantCredits(created->record.key_id, "cli-top-up", 10);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->applied);
  ASSERT_TRUE(gateway_->Reload().ok());
  EXPECT_EQ(gateway_->Balance(*b.account), 16);
}

}  // namespace
}  // namespace soundtrend::gateway

namespace soundtrend::gateway {
namespace {

// current_lane (serve --ledger-sync normal): a loop's charges go to its own charge lane
// and are answered at once; the store moves them into the ledger when it is read.
TEST_F(BillingGatewayTest, LoopChargesGoToTheLoopsLaneAndAreAnsweredAtOnce) {
  bool on_loop = true;
  lanes_ = true;
  current_lane_ = [&]() -> std::optional<uint32_t> {
    if (!on_loop) return std::nullopt;
    return 0;
  };
  OpenGateway();
  CreatedKey key = MakeKey(7);
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  std::vector<Status> results;
  const int64_t transactions = gateway_->ledger_transactions();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
    gateway_->Commit(a.account, ChargeInfo{"loop-" + std::to_string(i), std::string(kMusic), 2},
                     [&](Status st) { results.push_back(std::move(st)); });
    ASSERT_EQ(results.size(), static_cast<size_t>(i + 1));  // answered on the calling thread
    EXPECT_TRUE(results.back().ok()) << results.back().ToString();
  }
  EXPECT_EQ(gateway_->ledger_transactions(), transactions);  // no ledger thread involved
  const AccountView view = gateway_->Describe(*a.account);
  EXPECT_EQ(view.charged_requests, 3);
  EXPECT_EQ(view.charged_credits, 6);
  EXPECT_EQ(view.last_charge_micros, clock_.NowMicros());
  const auto ledger = Ledger(key.record.key_id);  // moved by the read
  ASSERT_EQ(ledger.size(), 4u);
  EXPECT_EQ(ledger[3].reference, "loop-2");
  EXPECT_EQ(ledger[3].balance_after, 1);
  EXPECT_EQ(gateway_->Balance(*a.account), 1);

  // A charge the lane refuses is not charged: its reservation comes back.
  ASSERT_TRUE(gateway_->GrantCredits(key.record.key_id, "more", 4).ok());
  ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
  results.clear();
  gateway_->Commit(a.account, ChargeInfo{std::string(300, 'r'), std::string(kMusic), 2},
                   [&](Status st) { results.push_back(std::move(st)); });
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(gateway_->Balance(*a.account), 5);

  // Off a loop the ledger thread stores the charge.
  on_loop = false;
  ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
  EXPECT_TRUE(CommitSync(a.account, "thread-1").ok());
  EXPECT_EQ(gateway_->ledger_transactions(), transactions + 1);
  EXPECT_EQ(Ledger(key.record.key_id).size(), 6u);  // grant, 3 loop charges, grant, 1 charge
  EXPECT_EQ(gateway_->Balance(*a.account), 3);
}

// Every lane_move_after_charges charges a loop moves its own lane into the tables, where
// other processes see them, without waiting for the reload thread.
TEST_F(BillingGatewayTest, ALoopMovesItsLaneAfterSoManyCharges) {
  lanes_ = true;
  lane_move_after_charges_ = 3;
  current_lane_ = []() -> std::optional<uint32_t> { return 0; };
  OpenGateway();
  CreatedKey key = MakeKey(100);
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  auto other = store::sqlite::SqliteKeyStore::Open(db_path_);  // as the CLI would read
  ASSERT_TRUE(other.ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
    gateway_->Commit(a.account, ChargeInfo{"r" + std::to_string(i), std::string(kMusic), 2},
                     [](Status st) { EXPECT_TRUE(st.ok()); });
    const int64_t moved = i < 2 ? 0 : 3;  // the third charge moved the first three
    EXPECT_EQ((*other)->GetKey(key.record.key_id)->charged_requests, moved) << i;
  }
  EXPECT_EQ(Ledger(key.record.key_id).size(), 6u);  // a read through the gateway moves all
}

// A ledger without lanes, or one that cannot make a lane: loop charges go to the ledger
// thread as any others.
TEST_F(BillingGatewayTest, LoopChargesUseTheLedgerThreadWhenTheLedgerHasNoLanes) {
  current_lane_ = []() -> std::optional<uint32_t> { return 0; };
  for (bool ledger_has_lanes : {false, true}) {
    lanes_ = ledger_has_lanes;
    OpenGateway();
    if (ledger_has_lanes) {
      // It has them, but making one fails: its first segment's file is in the way.
      std::ofstream(ledger::LogPathBeside(db_path_) + ".0.1") << "in the way";
    }
    CreatedKey key = MakeKey(7);
    Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
    for (int i = 0; i < 2; ++i) {
      const int64_t transactions = gateway_->ledger_transactions();
      ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
      EXPECT_TRUE(CommitSync(a.account, "r" + std::to_string(i)).ok());
      EXPECT_EQ(gateway_->ledger_transactions(), transactions + 1);
    }
    EXPECT_EQ(Ledger(key.record.key_id).size(), 3u);
  }
}

// Captures spdlog's default logger for a scope.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  int Count(std::string_view needle) const {
    const std::string text = out_.str();
    int n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

// Regression (issue 12, defect 3): one loop that could not make its lane (a full disk)
// turned lanes off for every loop until a restart. Now that loop alone falls back to the
// ledger thread, tries again every kLaneRetryNanos and takes its lane back once it can.
TEST_F(BillingGatewayTest, ALoopWhoseLaneCannotBeMadeFallsBackAloneAndRecovers) {
  uint32_t loop = 0;
  lanes_ = true;
  current_lane_ = [&]() -> std::optional<uint32_t> { return loop; };
  OpenGateway();
  const std::string in_the_way = ledger::LogPathBeside(db_path_) + ".0.1";  // lane 0's file
  std::ofstream(in_the_way) << "in the way";
  LogCapture log;
  CreatedKey key = MakeKey(1000);
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  int charges = 0;
  // Charges on `on_loop`; true when the ledger thread stored them.
  auto charge_on = [&](uint32_t on_loop) {
    loop = on_loop;
    const int64_t transactions = gateway_->ledger_transactions();
    EXPECT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
    EXPECT_TRUE(CommitSync(a.account, "r" + std::to_string(charges++)).ok());
    return gateway_->ledger_transactions() == transactions + 1;
  };
  EXPECT_FALSE(charge_on(1));  // loop 1: its lane
  EXPECT_TRUE(charge_on(0));   // loop 0: the ledger thread
  EXPECT_FALSE(charge_on(1));  // loop 1 keeps its lane (it lost it before the fix)
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(charge_on(0));
  EXPECT_EQ(log.Count("charge lane 0 failed"), 1) << log.text();  // tried once
  clock_.AdvanceNanos(BillingGateway::kLaneRetryNanos);
  EXPECT_TRUE(charge_on(0));  // tried again: still in the way
  EXPECT_EQ(log.Count("charge lane 0 failed"), 2) << log.text();

  std::filesystem::remove(in_the_way);  // the space comes back
  EXPECT_TRUE(charge_on(0));            // not tried again before the retry time
  clock_.AdvanceNanos(BillingGateway::kLaneRetryNanos);
  EXPECT_FALSE(charge_on(0));  // its lane again
  EXPECT_FALSE(charge_on(0));
  EXPECT_FALSE(charge_on(1));
  EXPECT_EQ(log.Count("charge lane 0 works again"), 1) << log.text();
  EXPECT_EQ(log.Count("charge lane 1"), 0) << log.text();
  EXPECT_EQ(Ledger(key.record.key_id).size(), static_cast<size_t>(1 + charges));
  EXPECT_EQ(gateway_->Balance(*a.account), 1000 - 2 * charges);
}

// The same when a lane stops taking charges (its next segment cannot be made): the charge
// goes to the ledger thread instead of failing, and the lane comes back when it can.
TEST_F(BillingGatewayTest, ALaneThatCannotGrowSendsItsChargesToTheLedgerThreadUntilItCan) {
  lanes_ = true;
  lane_segment_bytes_ = 4096;
  current_lane_ = []() -> std::optional<uint32_t> { return 0; };
  OpenGateway();
  const std::string in_the_way = ledger::LogPathBeside(db_path_) + ".0.2";  // its 2nd segment
  std::ofstream(in_the_way) << "in the way";
  LogCapture log;
  CreatedKey key = MakeKey(10'000);
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  const int64_t transactions = gateway_->ledger_transactions();
  constexpr int kCharges = 200;  // segment 1 holds about 50 of them
  for (int i = 0; i < kCharges; ++i) {
    ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
    ASSERT_TRUE(CommitSync(a.account, "r" + std::to_string(i)).ok()) << i;
  }
  const int64_t by_thread = gateway_->ledger_transactions() - transactions;
  EXPECT_GT(by_thread, 100);  // every charge after the segment filled (one group each)
  EXPECT_LT(by_thread, kCharges);
  EXPECT_EQ(log.Count("charge lane 0 failed"), 1) << log.text();
  std::filesystem::remove(in_the_way);
  clock_.AdvanceNanos(BillingGateway::kLaneRetryNanos);
  const int64_t before = gateway_->ledger_transactions();
  ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
  ASSERT_TRUE(CommitSync(a.account, "after").ok());
  EXPECT_EQ(gateway_->ledger_transactions(), before);  // in its lane again
  EXPECT_EQ(log.Count("charge lane 0 works again"), 1) << log.text();
  const auto ledger = Ledger(key.record.key_id);
  ASSERT_EQ(ledger.size(), static_cast<size_t>(kCharges + 2));
  EXPECT_EQ(ledger.back().balance_after, 10'000 - 2 * (kCharges + 1));
}

// Regression (issue 12, defect 3): with the store (or journal) failing, every request
// wrote an error line (737 MB of log in 20 s). Now: one line per kErrorLogNanos, and the
// next one says how many it left out. Counts exact on the injected clock.
TEST_F(BillingGatewayTest, FailingChargesAreLoggedOncePerIntervalWithTheCountLeftOut) {
  CreatedKey key = MakeKey(1000);
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  failing_->fail = true;
  LogCapture log;
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
    EXPECT_FALSE(CommitSync(a.account, "r" + std::to_string(i)).ok());
  }
  EXPECT_EQ(log.Count("not stored"), 1) << log.text();
  EXPECT_EQ(log.Count("(0 such errors not logged)"), 1) << log.text();
  clock_.AdvanceNanos(BillingGateway::kErrorLogNanos - 1);
  ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
  EXPECT_FALSE(CommitSync(a.account, "almost").ok());
  EXPECT_EQ(log.Count("not stored"), 1) << log.text();
  clock_.AdvanceNanos(1);
  ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
  EXPECT_FALSE(CommitSync(a.account, "next").ok());
  EXPECT_EQ(log.Count("not stored"), 2) << log.text();
  EXPECT_EQ(log.Count("(100 such errors not logged)"), 1) << log.text();
  EXPECT_EQ(gateway_->Balance(*a.account), 1000);  // every reservation released
}

// CommitNow: on a loop with a lane the charge is durable when it returns; the lane's move
// waits for AfterAnswer (after the response left). Off a loop: nullopt (Commit instead).
TEST_F(BillingGatewayTest, CommitNowAppendsToTheLoopsLaneAndMovesItAfterTheAnswer) {
  bool on_loop = true;
  lanes_ = true;
  lane_move_after_charges_ = 2;
  current_lane_ = [&]() -> std::optional<uint32_t> {
    if (!on_loop) return std::nullopt;
    return 0;
  };
  OpenGateway();
  CreatedKey key = MakeKey(10);
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  auto other = store::sqlite::SqliteKeyStore::Open(db_path_);  // as the CLI would read
  ASSERT_TRUE(other.ok());
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
    std::optional<Status> st =
        gateway_->CommitNow(*a.account, ChargeRef{"now-" + std::to_string(i), kMusic, 2});
    ASSERT_TRUE(st.has_value());
    EXPECT_TRUE(st->ok()) << st->ToString();
  }
  EXPECT_EQ((*other)->GetKey(key.record.key_id)->charged_requests, 0);  // in the lane
  gateway_->AfterAnswer();
  EXPECT_EQ((*other)->GetKey(key.record.key_id)->charged_requests, 2);  // moved
  gateway_->AfterAnswer();  // nothing due: nothing happens
  EXPECT_EQ(gateway_->Describe(*a.account).charged_credits, 4);
  // A charge the lane refuses: the error, and the reservation back.
  ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
  std::optional<Status> refused =
      gateway_->CommitNow(*a.account, ChargeRef{std::string(300, 'r'), kMusic, 2});
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(gateway_->Balance(*a.account), 6);
  on_loop = false;
  ASSERT_EQ(gateway_->Reserve(*a.account, 2), ReserveOutcome::kReserved);
  EXPECT_FALSE(gateway_->CommitNow(*a.account, ChargeRef{"off", kMusic, 2}).has_value());
  EXPECT_TRUE(CommitSync(a.account, "off").ok());
  const auto ledger = Ledger(key.record.key_id);
  ASSERT_EQ(ledger.size(), 4u);  // grant, now-0, now-1, off
  EXPECT_EQ(ledger[1].reference, "now-0");
  EXPECT_EQ(ledger[3].reference, "off");
  EXPECT_EQ(ledger[3].balance_after, 4);
}

// A rate limiter that decides later (a shared one): every Acquire waits for the test.
class DeferredLimiter final : public RateLimiter {
 public:
  std::optional<RateDecision> TryAcquire(const RateSubject&, int64_t) override {
    return std::nullopt;
  }
  void Acquire(const RateSubject& subject, int64_t now,
               std::function<void(RateDecision)> done) override {
    key_ids.emplace_back(subject.key_id);
    // A copy: its views stay valid (the key's account is alive), the struct itself does not.
    pending.push_back([subject, now, done = std::move(done)](bool allow) {
      RateDecision d;
      if (allow) {
        d = subject.local.TryAcquire(now, subject.limit);  // the subject is still alive
      } else {
        d.allowed = false;
        d.retry_after_seconds = 3;
      }
      done(d);
    });
  }
  RateDecision Peek(const RateSubject& subject, int64_t now) override {
    ++peeks;
    return subject.local.Peek(now, subject.limit);
  }
  std::vector<std::string> key_ids;
  std::vector<std::function<void(bool)>> pending;
  int peeks = 0;
};

TEST_F(BillingGatewayTest, AnAsynchronousRateLimiterMakesAdmissionPending) {
  auto limiter = std::make_shared<DeferredLimiter>();
  rate_limiter_ = limiter;
  OpenGateway();
  CreatedKey key = MakeKey(10, /*qps=*/5, {std::string(kMusic)});
  Admission a = gateway_->Admit(Bearer(key.api_key), kMusic);
  ASSERT_EQ(a.outcome, AdmitOutcome::kPending);
  ASSERT_NE(a.account, nullptr);
  EXPECT_EQ(a.key_id, key.record.key_id);
  EXPECT_TRUE(limiter->pending.empty());  // asked only by FinishAdmit
  std::optional<Admission> finished;
  gateway_->FinishAdmit(std::move(a), [&](Admission done) { finished = std::move(done); });
  ASSERT_EQ(limiter->pending.size(), 1u);
  EXPECT_EQ(limiter->key_ids[0], key.record.key_id);
  EXPECT_FALSE(finished.has_value());
  limiter->pending[0](true);
  ASSERT_TRUE(finished.has_value());
  EXPECT_EQ(finished->outcome, AdmitOutcome::kOk);
  EXPECT_EQ(finished->ratelimit_policy, "\"default\";q=5;w=1");
  EXPECT_EQ(finished->ratelimit, "\"default\";r=4;t=1");
  // Refused later: 429 with the limiter's Retry-After.
  Admission b = gateway_->Admit(Bearer(key.api_key), kMusic);
  finished.reset();
  gateway_->FinishAdmit(std::move(b), [&](Admission done) { finished = std::move(done); });
  limiter->pending[1](false);
  ASSERT_TRUE(finished.has_value());
  EXPECT_EQ(finished->outcome, AdmitOutcome::kRateLimited);
  EXPECT_EQ(finished->retry_after_seconds, 3);
  // A 403 never waits: it peeks.
  Admission forbidden = gateway_->Admit(Bearer(key.api_key), "/v1/other");
  EXPECT_EQ(forbidden.outcome, AdmitOutcome::kForbidden);
  EXPECT_EQ(limiter->peeks, 1);
  EXPECT_EQ(limiter->pending.size(), 2u);
}

TEST(LocalRateLimiterTest, DecidesAtOnceOnTheKeysOwnStateAndRefusalsTakeNothing) {
  LocalRateLimiter limiter;
  GcraLimiter state;
  const RateLimit limit{2, 2};
  const RateSubject subject{"key_a", limit, state};
  constexpr int64_t kSecond = 1'000'000'000;
  EXPECT_TRUE(limiter.TryAcquire(subject, kSecond)->allowed);
  EXPECT_TRUE(limiter.TryAcquire(subject, kSecond)->allowed);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.TryAcquire(subject, kSecond)->allowed);
  EXPECT_EQ(limiter.Peek(subject, kSecond).remaining, 0);
  // Half a second later exactly one more (the refusals took nothing).
  std::optional<RateDecision> later;
  limiter.Acquire(subject, kSecond + kSecond / 2, [&](RateDecision d) { later = d; });
  ASSERT_TRUE(later.has_value());
  EXPECT_TRUE(later->allowed);
  EXPECT_FALSE(limiter.TryAcquire(subject, kSecond + kSecond / 2)->allowed);
}

}  // namespace
}  // namespace soundtrend::gateway
