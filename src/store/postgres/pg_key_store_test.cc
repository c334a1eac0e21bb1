#include "store/postgres/pg_key_store.h"

#include <gtest/gtest.h>

#include "store/key_store_suite.h"
#include "store/postgres/pg_test_server.h"

namespace soundtrend::store::postgres {
namespace {

Result<std::unique_ptr<KeyStore>> OpenForSuite(const std::string& url) {
  auto store = PgKeyStore::Open(url);
  if (!store.ok()) return store.status();
  return std::unique_ptr<KeyStore>(std::move(store).value());
}

// Every test gets a fresh database in the process's private PostgreSQL.
INSTANTIATE_TEST_SUITE_P(Postgres, KeyStoreSuite,
                         ::testing::Values(KeyStoreSuiteParam{
                             "postgres", OpenForSuite,
                             [](const std::string&) {
                               return PgTestServer::Shared().CreateDatabase();
                             }}),
                         KeyStoreSuiteName);

// Two stores on one database (two nodes): the ledger's seqs interleave in commit order and
// each one's balance check sees the other's charges.
TEST(PgKeyStoreTest, TwoNodesShareOneLedgerExactly) {
  const std::string url = PgTestServer::Shared().CreateDatabase();
  auto a = PgKeyStore::Open(url);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = PgKeyStore::Open(url);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  KeyRecord key;
  key.key_id = "key_shared";
  key.key_hash = std::string(64, 'a');
  key.name = "shared";
  key.created_micros = 1;
  ASSERT_TRUE((*a)->CreateKey(key).ok());
  ASSERT_TRUE((*b)->ApplyGrant("key_shared", "g1", 5, 2).ok());
  const ChargeView c1[] = {{"key_shared", "r1", "/e", 3, 2}, {"key_shared", "r2", "/e", 4, 2}};
  ASSERT_TRUE((*a)->ApplyChargeBlock(c1, {}).ok());
  const ChargeView c2[] = {{"key_shared", "r3", "/e", 5, 2}};
  EXPECT_EQ((*b)->ApplyChargeBlock(c2, {}).code(), Status::Code::kFailedPrecondition);  // 1 left
  std::vector<LedgerEntry> entries;
  ASSERT_TRUE((*b)->ForEachLedgerEntry("",
                                       [&](const LedgerEntry& e) {
                                         entries.push_back(e);
                                         return Status::Ok();
                                       })
                  .ok());
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].seq, 1);
  EXPECT_EQ(entries[2].seq, 3);
  EXPECT_EQ(entries[2].reference, "r2");
  EXPECT_EQ(entries[2].balance_after, 1);
  EXPECT_EQ((*b)->GetKey("key_shared")->balance, 1);
}

}  // namespace
}  // namespace soundtrend::store::postgres
