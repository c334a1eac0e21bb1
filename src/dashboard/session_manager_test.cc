#include "dashboard/session_manager.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "dashboard/session_crypto.h"
#include "store/sqlite/sqlite_session_store.h"

namespace soundtrend::dashboard {
namespace {

constexpr int64_t kStart = 1'800'000'000'000'000;
constexpr char kKey[] = "sk_live_sessionsessionsessionsession0001";

class SessionManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "session_manager_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<SessionManager> Open(SessionOptions options = {}) {
    auto store = store::sqlite::OpenSqliteSessionStore(dir_ + "/s.db");
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::make_unique<SessionManager>(std::move(store).value(), clock_, random_, options);
  }
  std::string dir_;
  FakeClock clock_{kStart};
  SeededRandom random_{11};
};

TEST_F(SessionManagerTest, CreatedSessionResolvesWithItsSecretKindAndCsrf) {
  auto sessions = Open();
  auto created = sessions->Create(store::SessionKind::kCustomer, "key_abc", kKey);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(IsWellFormedToken(created->token));
  EXPECT_EQ(created->csrf_token, CsrfTokenFor(created->token));
  EXPECT_EQ(created->expires_micros, kStart + 12 * 3600 * 1'000'000LL);
  auto active = sessions->Resolve(created->token);
  ASSERT_TRUE(active.ok()) << active.status().ToString();
  EXPECT_EQ(active->kind, store::SessionKind::kCustomer);
  EXPECT_EQ(active->key_id, "key_abc");
  EXPECT_EQ(active->secret, kKey);
  EXPECT_EQ(active->csrf_token, created->csrf_token);
}

TEST_F(SessionManagerTest, UnknownMalformedExpiredAndEndedTokensAreRefused) {
  SessionOptions options;
  options.lifetime_seconds = 60;
  auto sessions = Open(options);
  EXPECT_EQ(sessions->Resolve("").status().code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(sessions->Resolve("not a token").status().code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(sessions->Resolve(NewSessionToken(random_)).status().code(),
            Status::Code::kUnauthenticated);

  auto a = sessions->Create(store::SessionKind::kOperator, "", "admin-token");
  auto b = sessions->Create(store::SessionKind::kCustomer, "key_b", kKey);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(sessions->End(a->token).ok());
  EXPECT_EQ(sessions->Resolve(a->token).status().code(), Status::Code::kUnauthenticated);
  EXPECT_TRUE(sessions->End(a->token).ok());  // again: fine
  EXPECT_TRUE(sessions->Resolve(b->token).ok());
  clock_.AdvanceSeconds(59.999);
  EXPECT_TRUE(sessions->Resolve(b->token).ok());
  clock_.AdvanceSeconds(0.001);
  EXPECT_EQ(sessions->Resolve(b->token).status().code(), Status::Code::kUnauthenticated);
}

TEST_F(SessionManagerTest, EveryNodeOnTheDatabaseSeesSessionsAndSignOuts) {
  auto node_a = Open();
  auto node_b = Open();
  auto created = node_a->Create(store::SessionKind::kCustomer, "key_abc", kKey);
  ASSERT_TRUE(created.ok());
  auto on_b = node_b->Resolve(created->token);
  ASSERT_TRUE(on_b.ok()) << on_b.status().ToString();
  EXPECT_EQ(on_b->secret, kKey);
  ASSERT_TRUE(node_b->End(created->token).ok());
  EXPECT_EQ(node_a->Resolve(created->token).status().code(), Status::Code::kUnauthenticated);
}

TEST_F(SessionManagerTest, TheDatabaseHoldsNeitherTokenNorSecret) {
  auto sessions = Open();
  auto created = sessions->Create(store::SessionKind::kCustomer, "key_abc", kKey);
  ASSERT_TRUE(created.ok());
  sessions.reset();  // closes the connection (the WAL is checkpointed into the file)
  std::string bytes;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    std::ifstream in(entry.path(), std::ios::binary);
    bytes += std::string(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_GT(bytes.size(), 0u);
  EXPECT_EQ(bytes.find(kKey), std::string::npos);
  EXPECT_EQ(bytes.find("sk_live_"), std::string::npos);
  EXPECT_EQ(bytes.find(created->token), std::string::npos);
  EXPECT_EQ(bytes.find(created->csrf_token), std::string::npos);
  EXPECT_NE(bytes.find(SessionIdHash(created->token)), std::string::npos);
}

TEST_F(SessionManagerTest, ExpiredSessionsArePurgedOnALaterCreate) {
  SessionOptions options;
  options.lifetime_seconds = 10;
  options.purge_interval_seconds = 100;
  auto sessions = Open(options);
  auto old = sessions->Create(store::SessionKind::kCustomer, "key_a", kKey);  // purges (first)
  ASSERT_TRUE(old.ok());
  clock_.AdvanceSeconds(101);
  ASSERT_TRUE(sessions->Create(store::SessionKind::kCustomer, "key_b", kKey).ok());  // purges
  auto store = store::sqlite::OpenSqliteSessionStore(dir_ + "/s.db");
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Get(SessionIdHash(old->token)).status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace soundtrend::dashboard
