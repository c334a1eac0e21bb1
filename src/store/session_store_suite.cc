#include "store/session_store_suite.h"

#include <stdlib.h>

#include <filesystem>

namespace soundtrend::store {

void SessionStoreSuite::SetUp() {
  std::string tmpl = ::testing::TempDir() + "session_store_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  dir_ = tmpl;
  location_ = dir_ + "/sessions.db";
}

void SessionStoreSuite::TearDown() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::unique_ptr<SessionStore> SessionStoreSuite::Open() {
  auto store = GetParam().open(location_);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::string SessionStoreSuiteName(const ::testing::TestParamInfo<SessionStoreSuiteParam>& info) {
  return info.param.name;
}

namespace {

SessionRecord Record(std::string id_hash, int64_t created, int64_t expires) {
  SessionRecord r;
  r.id_hash = std::move(id_hash);
  r.kind = SessionKind::kCustomer;
  r.key_id = "key_abcdefghijkl";
  // Bytes, not text: a NUL and high bytes must survive.
  r.sealed_secret = std::string("\x00\x01\xfe\xff sealed", 11);
  r.created_micros = created;
  r.expires_micros = expires;
  return r;
}

std::string Hash(char c) { return std::string(64, c); }

TEST_P(SessionStoreSuite, CreateThenGetReturnsEveryField) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  SessionRecord customer = Record(Hash('a'), 1'000, 9'000);
  ASSERT_TRUE(store->Create(customer).ok());
  SessionRecord op = Record(Hash('b'), 2'000, 8'000);
  op.kind = SessionKind::kOperator;
  op.key_id.clear();
  ASSERT_TRUE(store->Create(op).ok());

  auto got = store->Get(Hash('a'));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->id_hash, Hash('a'));
  EXPECT_EQ(got->kind, SessionKind::kCustomer);
  EXPECT_EQ(got->key_id, "key_abcdefghijkl");
  EXPECT_EQ(got->sealed_secret, customer.sealed_secret);
  EXPECT_EQ(got->created_micros, 1'000);
  EXPECT_EQ(got->expires_micros, 9'000);
  EXPECT_FALSE(got->revoked_micros.has_value());

  got = store->Get(Hash('b'));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->kind, SessionKind::kOperator);
  EXPECT_EQ(got->key_id, "");
}

TEST_P(SessionStoreSuite, DuplicateIdIsRefusedAndChangesNothing) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Create(Record(Hash('a'), 1, 100)).ok());
  SessionRecord other = Record(Hash('a'), 5, 500);
  other.key_id = "key_other000000";
  EXPECT_EQ(store->Create(other).code(), Status::Code::kAlreadyExists);
  auto got = store->Get(Hash('a'));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->key_id, "key_abcdefghijkl");
  EXPECT_EQ(got->expires_micros, 100);
}

TEST_P(SessionStoreSuite, UnknownIdIsNotFound) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Get(Hash('z')).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store->Revoke(Hash('z'), 5).code(), Status::Code::kNotFound);
}

TEST_P(SessionStoreSuite, RevokeKeepsTheFirstTime) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Create(Record(Hash('a'), 1, 100)).ok());
  ASSERT_TRUE(store->Revoke(Hash('a'), 40).ok());
  ASSERT_TRUE(store->Revoke(Hash('a'), 60).ok());
  auto got = store->Get(Hash('a'));
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->revoked_micros.has_value());
  EXPECT_EQ(*got->revoked_micros, 40);
}

TEST_P(SessionStoreSuite, DeleteExpiredRemovesExpiredAndRevokedOnly) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Create(Record(Hash('a'), 1, 100)).ok());  // expires at 100
  ASSERT_TRUE(store->Create(Record(Hash('b'), 1, 101)).ok());  // still valid at 100
  ASSERT_TRUE(store->Create(Record(Hash('c'), 1, 900)).ok());  // revoked at 50
  ASSERT_TRUE(store->Create(Record(Hash('d'), 1, 900)).ok());  // revoked at 150 (later)
  ASSERT_TRUE(store->Revoke(Hash('c'), 50).ok());
  ASSERT_TRUE(store->Revoke(Hash('d'), 150).ok());
  auto removed = store->DeleteExpired(100);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 2);
  EXPECT_EQ(store->Get(Hash('a')).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(store->Get(Hash('b')).ok());
  EXPECT_EQ(store->Get(Hash('c')).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(store->Get(Hash('d')).ok());
  removed = store->DeleteExpired(100);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 0);
}

TEST_P(SessionStoreSuite, ASecondStoreOnTheSameLocationSeesWritesAtOnce) {
  auto node_a = Open();
  auto node_b = Open();
  ASSERT_NE(node_a, nullptr);
  ASSERT_NE(node_b, nullptr);
  ASSERT_TRUE(node_a->Create(Record(Hash('a'), 1, 100)).ok());
  auto seen = node_b->Get(Hash('a'));
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  EXPECT_FALSE(seen->revoked_micros.has_value());
  ASSERT_TRUE(node_b->Revoke(Hash('a'), 7).ok());
  seen = node_a->Get(Hash('a'));
  ASSERT_TRUE(seen.ok());
  ASSERT_TRUE(seen->revoked_micros.has_value());
  EXPECT_EQ(*seen->revoked_micros, 7);
}

}  // namespace
}  // namespace soundtrend::store
