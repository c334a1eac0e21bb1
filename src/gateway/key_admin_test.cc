#include "gateway/key_admin.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "gateway/api_key.h"
#include "store/sqlite/sqlite_key_store.h"

namespace soundtrend::gateway {
namespace {

class KeyManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("st_key_admin_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = store::sqlite::SqliteKeyStore::Open((dir_ / "k.db").string());
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    manager_ = std::make_unique<KeyManager>(*store_, clock_, random_);
  }
  void TearDown() override {
    manager_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  FakeClock clock_{1'770'000'000'000'000};
  SeededRandom random_{42};
  std::unique_ptr<store::sqlite::SqliteKeyStore> store_;
  std::unique_ptr<KeyManager> manager_;
};

TEST_F(KeyManagerTest, CreateStoresOnlyTheHashAndGrantsInitialCredits) {
  NewKeySpec spec;
  spec.name = "acme";
  spec.qps_limit = 5;
  spec.credits = 1000;
  auto created = manager_->CreateKey(spec);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->api_key.substr(0, 8), "sk_live_");
  EXPECT_TRUE(IsValidKeyId(created->record.key_id));
  auto stored = manager_->GetKey(created->record.key_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->key_hash, HashApiKey(created->api_key));
  EXPECT_EQ(stored->balance, 1000);
  EXPECT_EQ(stored->burst, 5);  // default: one second worth
  EXPECT_EQ(stored->created_micros, clock_.NowMicros());
  int grants = 0;
  ASSERT_TRUE(manager_
                  ->ForEachLedgerEntry(created->record.key_id,
                                       [&](const store::LedgerEntry& e) {
                                         EXPECT_EQ(e.reference,
                                                   "initial:" + created->record.key_id);
                                         ++grants;
                                         return Status::Ok();
                                       })
                  .ok());
  EXPECT_EQ(grants, 1);
}

TEST_F(KeyManagerTest, ValidatesSpec) {
  NewKeySpec spec;
  EXPECT_EQ(manager_->CreateKey(spec).status().code(), Status::Code::kInvalidArgument);
  spec.name = "x";
  spec.qps_limit = 0;
  EXPECT_EQ(manager_->CreateKey(spec).status().code(), Status::Code::kInvalidArgument);
  spec.qps_limit = 10;
  spec.endpoints = {"/admin/v1/keys"};
  EXPECT_EQ(manager_->CreateKey(spec).status().code(), Status::Code::kInvalidArgument);
  spec.endpoints = {"/v1/nope"};  // looks like one, is not one
  Status unknown = manager_->CreateKey(spec).status();
  EXPECT_EQ(unknown.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(unknown.message(),
            "endpoints: /v1/nope is not a customer endpoint (one of /v1/tiktok/trending/music, "
            "/v1/tiktok/trending/music/detail, /v1/tiktok/regions, /v1/account)");
  spec.endpoints = {"/v1/tiktok/trending/music"};
  spec.expires_micros = 1;  // 1970: in the past
  Status past = manager_->CreateKey(spec).status();
  EXPECT_EQ(past.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(past.message().rfind("expires 1970-01-01T00:00:00.000001Z is not in the future", 0), 0u)
      << past.message();
  spec.expires_micros.reset();
  spec.credits = -1;
  EXPECT_EQ(manager_->CreateKey(spec).status().code(), Status::Code::kInvalidArgument);
  spec.credits = 0;
  EXPECT_TRUE(manager_->CreateKey(spec).ok());
}

TEST_F(KeyManagerTest, UpdateValidatesLikeCreateAndChangesOnlyWhatIsGiven) {
  NewKeySpec spec;
  spec.name = "acme";
  spec.qps_limit = 5;
  spec.credits = 30;
  auto created = manager_->CreateKey(spec);
  ASSERT_TRUE(created.ok());
  const std::string id = created->record.key_id;
  auto refused = [&](store::KeyChanges c) {
    Status st = manager_->UpdateKey(id, c).status();
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << st.ToString();
    return st.message();
  };
  EXPECT_EQ(refused({}), "changes: nothing to change (set name, qps, burst, expires or endpoints)");
  store::KeyChanges c;
  c.name = "";
  EXPECT_EQ(refused(c), "name must be 1 to 200 bytes");
  c = {};
  c.qps_limit = 0;
  EXPECT_EQ(refused(c), "qps must be between 1 and 100000");
  c = {};
  c.burst = 6000001;
  EXPECT_EQ(refused(c), "burst must be between 1 and 6000000");
  c = {};
  c.endpoints = std::vector<std::string>{"/v1/nope"};
  EXPECT_EQ(refused(c),
            "endpoints: /v1/nope is not a customer endpoint (one of /v1/tiktok/trending/music, "
            "/v1/tiktok/trending/music/detail, /v1/tiktok/regions, /v1/account)");
  c = {};
  c.expires_micros = std::optional<int64_t>(clock_.NowMicros());
  EXPECT_EQ(refused(c).rfind("expires ", 0), 0u);
  EXPECT_EQ(manager_->GetKey(id)->qps_limit, 5) << "nothing changed";

  c = {};
  c.qps_limit = 40;
  c.expires_micros = std::optional<int64_t>(clock_.NowMicros() + 1);
  auto after = manager_->UpdateKey(id, c);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->qps_limit, 40);
  EXPECT_EQ(after->burst, 5);
  EXPECT_EQ(after->name, "acme");
  EXPECT_EQ(after->balance, 30);
  EXPECT_EQ(manager_->UpdateKey("key_000000000000", c).status().code(), Status::Code::kNotFound);
}

TEST_F(KeyManagerTest, RotateGivesANewSecretAndKeepsTheOldOneOnlyForTheGrace) {
  NewKeySpec spec;
  spec.name = "acme";
  spec.credits = 30;
  auto created = manager_->CreateKey(spec);
  ASSERT_TRUE(created.ok());
  const std::string id = created->record.key_id;
  auto at_once = manager_->RotateKey(id, 0);
  ASSERT_TRUE(at_once.ok()) << at_once.status().ToString();
  EXPECT_EQ(at_once->api_key.substr(0, 8), "sk_live_");
  EXPECT_NE(at_once->api_key, created->api_key);
  EXPECT_EQ(at_once->record.key_id, id);
  EXPECT_EQ(at_once->record.key_hash, HashApiKey(at_once->api_key));
  EXPECT_EQ(at_once->record.previous_key_hash, "");
  EXPECT_EQ(at_once->record.balance, 30);

  auto graced = manager_->RotateKey(id, 3600);
  ASSERT_TRUE(graced.ok());
  EXPECT_EQ(graced->record.previous_key_hash, HashApiKey(at_once->api_key));
  EXPECT_EQ(graced->record.previous_hash_expires_micros,
            std::optional<int64_t>(clock_.NowMicros() + 3600'000'000));

  EXPECT_EQ(manager_->RotateKey(id, -1).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(manager_->RotateKey(id, kMaxRotationGraceSeconds + 1).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(manager_->RotateKey("key_000000000000", 0).status().code(), Status::Code::kNotFound);
  ASSERT_TRUE(manager_->RevokeKey(id).ok());
  EXPECT_EQ(manager_->RotateKey(id, 0).status().code(), Status::Code::kFailedPrecondition);
}

TEST_F(KeyManagerTest, GrantIdempotentAndLedgerForUnknownKey) {
  NewKeySpec spec;
  spec.name = "acme";
  auto created = manager_->CreateKey(spec);
  ASSERT_TRUE(created.ok());
  const std::string id = created->record.key_id;
  auto g = manager_->GrantCredits(id, "invoice-1", 500);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(g->applied);
  auto again = manager_->GrantCredits(id, "invoice-1", 500);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->applied);
  EXPECT_EQ(manager_->GetKey(id)->balance, 500);
  EXPECT_EQ(manager_->GrantCredits(id, "", 5).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(
      manager_->ForEachLedgerEntry("key_unknown00000", [](auto&) { return Status::Ok(); }).code(),
      Status::Code::kNotFound);
  EXPECT_EQ(manager_->RevokeKey("key_unknown00000").code(), Status::Code::kNotFound);
  EXPECT_TRUE(manager_->RevokeKey(id).ok());
  EXPECT_TRUE(manager_->GetKey(id)->revoked_micros.has_value());
}

TEST(LedgerCsvTest, RowsAreRfc4180) {
  store::LedgerEntry e;
  e.seq = 7;
  e.key_id = "key_abc";
  e.kind = store::LedgerKind::kGrant;
  e.time_micros = 1'769'990'461'000'123;
  e.reference = "inv,\"1\"";
  e.amount = 100;
  e.balance_after = 150;
  std::string out = LedgerCsvHeader();
  AppendLedgerCsvRow(out, e);
  EXPECT_EQ(out,
            "seq,time,key_id,kind,reference,endpoint,amount,balance_after\r\n"
            "7,2026-02-02T00:01:01.000123Z,key_abc,grant,\"inv,\"\"1\"\"\",,100,150\r\n");
}

}  // namespace
}  // namespace soundtrend::gateway
