#include "store/sqlite/sqlite_key_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "store/key_store_suite.h"

namespace soundtrend::store::sqlite {
namespace {

Result<std::unique_ptr<KeyStore>> OpenForSuite(const std::string& path) {
  auto store = SqliteKeyStore::Open(path);
  if (!store.ok()) return store.status();
  return std::unique_ptr<KeyStore>(std::move(store).value());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, KeyStoreSuite,
                         ::testing::Values(KeyStoreSuiteParam{"sqlite", OpenForSuite, {}}),
                         KeyStoreSuiteName);

Status ApplyOne(KeyStore& store, const std::string& key_id, const std::string& request_id,
                int64_t cost, int64_t time_micros) {
  const ChargeView charge{key_id, request_id, "/v1/x", time_micros, cost};
  return store.ApplyChargeBlock({&charge, 1}, {});
}

class SqliteKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("st_key_store_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "test.db").string();
    auto store = SqliteKeyStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  static KeyRecord Key(const std::string& id, const std::string& hash) {
    KeyRecord k;
    k.key_id = id;
    k.key_hash = hash;
    k.name = "test " + id;
    k.qps_limit = 5;
    k.burst = 7;
    k.endpoints = {"/v1/a", "/v1/b"};
    k.created_micros = 1000;
    return k;
  }

  std::vector<LedgerEntry> Ledger(const std::string& key_id) {
    std::vector<LedgerEntry> out;
    EXPECT_TRUE(store_
                    ->ForEachLedgerEntry(key_id,
                                         [&](const LedgerEntry& e) {
                                           out.push_back(e);
                                           return Status::Ok();
                                         })
                    .ok());
    return out;
  }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<SqliteKeyStore> store_;
};

TEST_F(SqliteKeyStoreTest, ChangeCounterDoesNotMoveForItsOwnWrites) {
  auto before = store_->ChangeCounter();
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());  // own write
  EXPECT_EQ(*store_->ChangeCounter(), *before);
  auto other = SqliteKeyStore::Open(path_);  // another connection, as the CLI would be
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*store_->ChangeCounter(), *before);  // opening (schema current) writes nothing
  ASSERT_TRUE((*other)->ApplyGrant("key_a", "g1", 10, 1).ok());
  auto after = store_->ChangeCounter();
  ASSERT_TRUE(after.ok());
  EXPECT_NE(*after, *before);
  EXPECT_EQ(*store_->ChangeCounter(), *after);
}

TEST_F(SqliteKeyStoreTest, ADatabaseFromBeforeRotationGainsItsColumnsOnOpen) {
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  store_.reset();
  {
    auto db = Database::Open(path_, {});
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("ALTER TABLE gw_keys DROP COLUMN previous_key_hash; "
                           "ALTER TABLE gw_keys DROP COLUMN previous_hash_expires_micros; "
                           // Made before schema versions too: adopted (sqlite_schema.h).
                           "PRAGMA user_version = 0")
                    .ok());
  }
  auto reopened = SqliteKeyStore::Open(path_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(reopened).value();
  Result<KeyRecord> key = store_->GetKey("key_a");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->previous_key_hash, "");
  Result<KeyRecord> rotated = store_->RotateKey("key_a", "hash_a2", 50);
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  EXPECT_EQ(rotated->previous_key_hash, "hash_a");
}

TEST_F(SqliteKeyStoreTest, ChargeRowsOfOlderVersionsStayInTheLedger) {
  // Before charge blocks, charges were gw_ledger rows: a database written then reads back
  // whole, and new entries take seqs after them.
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "g1", 10, 1).ok());
  store_.reset();
  {
    auto db = Database::Open(path_, {});
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO gw_ledger(key_id, kind, time_micros, reference, endpoint, "
                           "amount, balance_after) VALUES ('key_a', 'charge', 5, 'old', '/v1/x', "
                           "-2, 8); UPDATE gw_keys SET balance = 8 WHERE key_id = 'key_a'")
                    .ok());
  }
  auto reopened = SqliteKeyStore::Open(path_);
  ASSERT_TRUE(reopened.ok());
  store_ = std::move(reopened).value();
  ASSERT_TRUE(ApplyOne(*store_, "key_a", "new", 2, 6).ok());
  const std::vector<LedgerEntry> a = Ledger("key_a");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1].reference, "old");
  EXPECT_EQ(a[2].reference, "new");
  EXPECT_EQ(a[2].seq, a[1].seq + 1);
  EXPECT_EQ(a[2].balance_after, 6);
}

TEST_F(SqliteKeyStoreTest, ANoWaitBlockIsUnavailableWhileAnotherConnectionWrites) {
  store_.reset();
  OpenOptions quick;
  quick.busy_timeout_ms = 20;
  auto opened = SqliteKeyStore::Open(path_, quick);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store_ = std::move(opened).value();
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "g1", 100, 1).ok());
  const ChargeView charge{"key_a", "r1", "/v1/x", 10, 2};
  const LogMarker marker{"lane-0", 5};
  ApplyOptions no_wait;
  no_wait.wait = false;
  {
    // Another process holds the write lock: no wait, nothing applied.
    auto other = Database::Open(path_, {});
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->Exec("BEGIN IMMEDIATE").ok());
    EXPECT_EQ(store_->ApplyChargeBlock({&charge, 1}, {&marker, 1}, no_wait).code(),
              Status::Code::kUnavailable);
    // A waiting block waits its busy timeout, then reports the lock.
    EXPECT_EQ(store_->ApplyChargeBlock({&charge, 1}, {&marker, 1}).code(), Status::Code::kIoError);
    ASSERT_TRUE((*other)->Exec("ROLLBACK").ok());
  }
  EXPECT_EQ(store_->GetKey("key_a")->balance, 100);
  EXPECT_TRUE(store_->LogMarkers("")->empty());
  ASSERT_TRUE(store_->ApplyChargeBlock({&charge, 1}, {&marker, 1}, no_wait).ok());
  EXPECT_EQ(store_->GetKey("key_a")->balance, 98);
  // The busy timeout is back for the next waiting call.
  ASSERT_TRUE(ApplyOne(*store_, "key_a", "r2", 2, 11).ok());
}

TEST_F(SqliteKeyStoreTest, WalStaysBoundedWhenCommitsNeverPause) {
  // Commits back to back from one thread: whatever the background checkpointer manages,
  // the WAL restarts: it never grows far past kInlineCheckpointPages (at most what is
  // committed during one background checkpoint), though far more pages are written in all,
  // and every charge is stored.
  store_.reset();
  OpenOptions options;
  options.synchronous_full = false;
  auto opened = SqliteKeyStore::Open(path_, options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store_ = std::move(opened).value();
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "g1", 1'000'000'000, 1).ok());
  const std::string wal = path_ + "-wal";
  constexpr int kTransactions = 5000;
  constexpr int kPerTransaction = 40;
  uintmax_t largest_wal = 0;
  std::vector<std::string> request_ids(kPerTransaction);
  std::vector<ChargeView> charges(kPerTransaction);
  for (int t = 0; t < kTransactions; ++t) {
    for (int i = 0; i < kPerTransaction; ++i) {
      request_ids[i] = "req_" + std::to_string(t) + "_" + std::to_string(i);
      charges[i] = {"key_a", request_ids[i], "/v1/tiktok/trending/music", 10 + t, 2};
    }
    ASSERT_TRUE(store_->ApplyChargeBlock(charges, {}).ok());
    largest_wal = std::max(largest_wal, std::filesystem::file_size(wal));
  }
  const uintmax_t frame = 4096 + 24;  // page + WAL frame header
  EXPECT_LE(largest_wal, 2 * SqliteKeyStore::kInlineCheckpointPages * frame);
  EXPECT_GT(largest_wal, 0u);
  store_.reset();
  auto reopened = SqliteKeyStore::Open(path_);
  ASSERT_TRUE(reopened.ok());
  auto key = (*reopened)->GetKey("key_a");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->charged_requests, int64_t{kTransactions} * kPerTransaction);
}

}  // namespace
}  // namespace soundtrend::store::sqlite
