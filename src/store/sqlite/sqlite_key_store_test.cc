#include "store/sqlite/sqlite_key_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace soundtrend::store::sqlite {
namespace {

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

TEST_F(SqliteKeyStoreTest, CreateGetListRoundTrip) {
  KeyRecord k = Key("key_a", "hash_a");
  k.expires_micros = 5000;
  ASSERT_TRUE(store_->CreateKey(k).ok());
  ASSERT_TRUE(store_->CreateKey(Key("key_b", "hash_b")).ok());
  auto got = store_->GetKey("key_a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->key_hash, "hash_a");
  EXPECT_EQ(got->qps_limit, 5);
  EXPECT_EQ(got->burst, 7);
  EXPECT_EQ(got->endpoints, (std::vector<std::string>{"/v1/a", "/v1/b"}));
  EXPECT_EQ(got->expires_micros, std::optional<int64_t>(5000));
  EXPECT_FALSE(got->revoked_micros.has_value());
  auto all = store_->ListKeys();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].key_id, "key_a");
  EXPECT_EQ((*all)[1].key_id, "key_b");
  EXPECT_EQ(store_->GetKey("key_zz").status().code(), Status::Code::kNotFound);
}

TEST_F(SqliteKeyStoreTest, DuplicateIdOrHashRefused) {
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  EXPECT_EQ(store_->CreateKey(Key("key_a", "hash_x")).code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(store_->CreateKey(Key("key_x", "hash_a")).code(), Status::Code::kAlreadyExists);
}

TEST_F(SqliteKeyStoreTest, RevokeKeepsFirstTime) {
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store_->RevokeKey("key_a", 10).ok());
  ASSERT_TRUE(store_->RevokeKey("key_a", 20).ok());
  EXPECT_EQ(store_->GetKey("key_a")->revoked_micros, std::optional<int64_t>(10));
  EXPECT_EQ(store_->RevokeKey("key_nope", 1).code(), Status::Code::kNotFound);
}

TEST_F(SqliteKeyStoreTest, GrantsAreIdempotent) {
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store_->CreateKey(Key("key_b", "hash_b")).ok());
  auto g1 = store_->ApplyGrant("key_a", "g1", 100, 1);
  ASSERT_TRUE(g1.ok());
  EXPECT_TRUE(g1->applied);
  EXPECT_EQ(g1->balance_after, 100);
  auto again = store_->ApplyGrant("key_a", "g1", 100, 2);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->applied);
  EXPECT_EQ(again->balance_after, 100);
  EXPECT_EQ(store_->ApplyGrant("key_a", "g1", 50, 3).status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(store_->ApplyGrant("key_b", "g1", 100, 3).status().code(),
            Status::Code::kAlreadyExists);
  EXPECT_EQ(store_->ApplyGrant("key_nope", "g2", 100, 3).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->ApplyGrant("key_a", "g3", 0, 3).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->GetKey("key_a")->balance, 100);
  auto ledger = Ledger("key_a");
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0].kind, LedgerKind::kGrant);
  EXPECT_EQ(ledger[0].reference, "g1");
  EXPECT_EQ(ledger[0].amount, 100);
  EXPECT_EQ(ledger[0].balance_after, 100);
}

TEST_F(SqliteKeyStoreTest, ChargesNeverMakeTheBalanceNegative) {
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "g1", 5, 1).ok());
  std::vector<ChargeRequest> charges = {
      {"key_a", "r1", "/v1/x", 2, 10},
      {"key_a", "r2", "/v1/x", 2, 11},
      {"key_a", "r3", "/v1/x", 2, 12},  // only 1 left: refused
      {"key_zz", "r4", "/v1/x", 2, 13},
  };
  std::vector<Status> outcomes;
  ASSERT_TRUE(store_->AppendCharges(charges, &outcomes).ok());
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_TRUE(outcomes[1].ok());
  EXPECT_EQ(outcomes[2].code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(outcomes[3].code(), Status::Code::kNotFound);
  auto key = store_->GetKey("key_a");
  EXPECT_EQ(key->balance, 1);
  EXPECT_EQ(key->charged_requests, 2);
  EXPECT_EQ(key->charged_credits, 4);
  EXPECT_EQ(key->last_charge_micros, 11);
  auto ledger = Ledger("key_a");
  ASSERT_EQ(ledger.size(), 3u);
  EXPECT_EQ(ledger[1].kind, LedgerKind::kCharge);
  EXPECT_EQ(ledger[1].reference, "r1");
  EXPECT_EQ(ledger[1].endpoint, "/v1/x");
  EXPECT_EQ(ledger[1].amount, -2);
  EXPECT_EQ(ledger[1].balance_after, 3);
  EXPECT_EQ(ledger[2].balance_after, 1);
  EXPECT_LT(ledger[1].seq, ledger[2].seq);
}

TEST_F(SqliteKeyStoreTest, ChargesSurviveReopen) {
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "g1", 10, 1).ok());
  std::vector<ChargeRequest> charges = {{"key_a", "r1", "/v1/x", 2, 10}};
  std::vector<Status> outcomes;
  ASSERT_TRUE(store_->AppendCharges(charges, &outcomes).ok());
  store_.reset();
  auto reopened = SqliteKeyStore::Open(path_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->GetKey("key_a")->balance, 8);
}

TEST_F(SqliteKeyStoreTest, SnapshotReportsGrantsAfterWatermark) {
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "g1", 10, 1).ok());
  auto first = store_->Snapshot(0);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->keys.size(), 1u);
  EXPECT_EQ(first->new_grants.size(), 1u);
  std::vector<ChargeRequest> charges = {{"key_a", "r1", "/v1/x", 2, 10}};
  std::vector<Status> outcomes;
  ASSERT_TRUE(store_->AppendCharges(charges, &outcomes).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "g2", 7, 2).ok());
  auto second = store_->Snapshot(first->last_seq);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->new_grants.size(), 1u);
  EXPECT_EQ(second->new_grants[0].reference, "g2");
  EXPECT_EQ(second->keys[0].balance, 15);
  EXPECT_GT(second->last_seq, first->last_seq);
}

TEST_F(SqliteKeyStoreTest, ChangeCounterMovesOnlyForOtherConnectionsCommits) {
  auto before = store_->ChangeCounter();
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());  // own write
  EXPECT_EQ(*store_->ChangeCounter(), *before);
  auto other = SqliteKeyStore::Open(path_);  // another connection, as the CLI would be
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*store_->ChangeCounter(), *before);  // opening (schema IF NOT EXISTS) writes nothing
  ASSERT_TRUE((*other)->ApplyGrant("key_a", "g1", 10, 1).ok());
  auto after = store_->ChangeCounter();
  ASSERT_TRUE(after.ok());
  EXPECT_NE(*after, *before);
  EXPECT_EQ(*store_->ChangeCounter(), *after);
}

TEST_F(SqliteKeyStoreTest, LargeMixedBatchKeepsOrderAndPerKeyBalances) {
  // 3 keys interleaved, 77 charges in one block, costs 1 or 2; key_b
  // runs out half-way, a later cheaper charge of key_b still fits.
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store_->CreateKey(Key("key_b", "hash_b")).ok());
  ASSERT_TRUE(store_->CreateKey(Key("key_c", "hash_c")).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "ga", 1000, 1).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_b", "gb", 30, 1).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_c", "gc", 1000, 1).ok());
  std::vector<ChargeRequest> charges;
  const char* ids[] = {"key_a", "key_b", "key_c"};
  for (int i = 0; i < 77; ++i) {
    charges.push_back({ids[i % 3], "r" + std::to_string(i), "/v1/x", 1 + i % 2, 100 + i});
  }
  std::vector<Status> outcomes;
  ASSERT_TRUE(store_->AppendCharges(charges, &outcomes).ok());
  ASSERT_EQ(outcomes.size(), charges.size());
  // The same decisions, computed naively.
  std::map<std::string, int64_t> balance = {{"key_a", 1000}, {"key_b", 30}, {"key_c", 1000}};
  std::map<std::string, std::vector<std::pair<std::string, int64_t>>> expected;
  int refused = 0;
  for (size_t i = 0; i < charges.size(); ++i) {
    const ChargeRequest& c = charges[i];
    if (balance[c.key_id] >= c.cost) {
      balance[c.key_id] -= c.cost;
      expected[c.key_id].push_back({c.request_id, balance[c.key_id]});
      EXPECT_TRUE(outcomes[i].ok()) << i;
    } else {
      ++refused;
      EXPECT_EQ(outcomes[i].code(), Status::Code::kResourceExhausted) << i;
    }
  }
  EXPECT_GT(refused, 0);
  int64_t last_seq = 0;
  for (const char* id : ids) {
    EXPECT_EQ(store_->GetKey(id)->balance, balance[id]) << id;
    EXPECT_EQ(store_->GetKey(id)->charged_requests, static_cast<int64_t>(expected[id].size()));
    auto ledger = Ledger(id);
    ASSERT_EQ(ledger.size(), expected[id].size() + 1) << id;
    for (size_t j = 0; j < expected[id].size(); ++j) {
      EXPECT_EQ(ledger[j + 1].reference, expected[id][j].first);
      EXPECT_EQ(ledger[j + 1].balance_after, expected[id][j].second);
      EXPECT_GT(ledger[j + 1].seq, ledger[j].seq);
    }
  }
  // Ledger order across keys is the batch order.
  std::vector<std::string> all;
  ASSERT_TRUE(store_
                  ->ForEachLedgerEntry("",
                                       [&](const LedgerEntry& e) {
                                         if (e.kind == LedgerKind::kCharge) {
                                           all.push_back(e.reference);
                                         }
                                         EXPECT_GT(e.seq, last_seq);
                                         last_seq = e.seq;
                                         return Status::Ok();
                                       })
                  .ok());
  std::vector<std::string> expected_order;
  for (size_t i = 0; i < charges.size(); ++i) {
    if (outcomes[i].ok()) expected_order.push_back(charges[i].request_id);
  }
  EXPECT_EQ(all, expected_order);
}

TEST_F(SqliteKeyStoreTest, LedgerMergesGrantsAndChargeBlocksInSeqOrder) {
  // grant, block of 2, grant, block of 1 (another key's charge in between), grant: the
  // ledger reads back in the order written, seqs increasing without gaps per write.
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store_->CreateKey(Key("key_b", "hash_b")).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "g1", 10, 1).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_b", "g2", 10, 1).ok());
  std::vector<Status> outcomes;
  std::vector<ChargeRequest> first = {{"key_a", "r1", "/v1/x", 2, 10},
                                      {"key_a", "r2", "/v1/y", 3, 11}};
  ASSERT_TRUE(store_->AppendCharges(first, &outcomes).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "g3", 4, 12).ok());
  std::vector<ChargeRequest> second = {{"key_b", "r3", "/v1/x", 1, 13},
                                       {"key_a", "r4", "/v1/x", 2, 14}};
  ASSERT_TRUE(store_->AppendCharges(second, &outcomes).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "g4", 1, 15).ok());

  std::vector<std::string> refs;
  std::vector<int64_t> seqs;
  ASSERT_TRUE(store_
                  ->ForEachLedgerEntry("",
                                       [&](const LedgerEntry& e) {
                                         refs.push_back(e.reference);
                                         seqs.push_back(e.seq);
                                         return Status::Ok();
                                       })
                  .ok());
  EXPECT_EQ(refs, (std::vector<std::string>{"g1", "g2", "r1", "r2", "g3", "r3", "r4", "g4"}));
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], seqs[0] + static_cast<int64_t>(i));

  const std::vector<LedgerEntry> a = Ledger("key_a");
  ASSERT_EQ(a.size(), 6u);
  const std::vector<int64_t> balances = {10, 8, 5, 9, 7, 8};
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].balance_after, balances[i]) << i;
  EXPECT_EQ(a[2].endpoint, "/v1/y");
  EXPECT_EQ(a[2].time_micros, 11);
  EXPECT_EQ(a[3].kind, LedgerKind::kGrant);
  EXPECT_EQ(Ledger("key_b").size(), 2u);
  EXPECT_EQ(store_->GetKey("key_a")->balance, 8);

  // The watermark covers the charges too: nothing after it yet.
  auto snap = store_->Snapshot(0);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->last_seq, seqs.back());
  EXPECT_TRUE(store_->Snapshot(snap->last_seq)->new_grants.empty());
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
  std::vector<Status> outcomes;
  std::vector<ChargeRequest> charges = {{"key_a", "new", "/v1/x", 2, 6}};
  ASSERT_TRUE(store_->AppendCharges(charges, &outcomes).ok());
  ASSERT_TRUE(outcomes[0].ok());
  const std::vector<LedgerEntry> a = Ledger("key_a");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1].reference, "old");
  EXPECT_EQ(a[2].reference, "new");
  EXPECT_EQ(a[2].seq, a[1].seq + 1);
  EXPECT_EQ(a[2].balance_after, 6);
}

// ---- Charge log (KeyStoreOptions::charge_log): charges staged in a ChargeJournal.

class ChargeLogTest : public SqliteKeyStoreTest {
 protected:
  // A store that stages charges and moves them only when asked (reads, Flush, close).
  Result<std::unique_ptr<SqliteKeyStore>> OpenLogged() {
    KeyStoreOptions o;
    o.charge_log = true;
    o.apply_after_charges = 1'000'000;
    o.apply_interval = std::chrono::hours(1);
    return SqliteKeyStore::Open(path_, {}, o);
  }
  // Replaces store_ with a charge-logging one on the same file.
  void UseLogged() {
    store_.reset();
    auto opened = OpenLogged();
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }
  std::vector<std::string> References(const std::string& key_id) {
    std::vector<std::string> out;
    for (const LedgerEntry& e : Ledger(key_id)) out.push_back(e.reference);
    return out;
  }
  const std::string& journal() {
    journal_ = SqliteKeyStore::ChargeLogPath(path_);
    return journal_;
  }
  std::string journal_;
};

TEST_F(ChargeLogTest, StagedChargesAreDecidedInMemoryAndReadBackInOrder) {
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "g1", 5, 1).ok());
  UseLogged();
  std::vector<ChargeRequest> charges = {
      {"key_a", "r1", "/v1/x", 2, 10},  {"key_a", "r2", "/v1/x", 2, 11},
      {"key_a", "r3", "/v1/x", 2, 12},  // 1 left: refused
      {"key_zz", "r4", "/v1/x", 2, 13}, {"key_a", "r5", "/v1/x", 0, 14},
  };
  std::vector<Status> outcomes;
  ASSERT_TRUE(store_->AppendCharges(charges, &outcomes).ok());
  ASSERT_EQ(outcomes.size(), 5u);
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_TRUE(outcomes[1].ok());
  EXPECT_EQ(outcomes[2].code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(outcomes[3].code(), Status::Code::kNotFound);
  EXPECT_EQ(outcomes[4].code(), Status::Code::kInvalidArgument);
  EXPECT_GT(std::filesystem::file_size(journal()), 0u);  // staged, not moved yet
  // A second group sees the first one's charges although they are not in the tables.
  std::vector<ChargeRequest> more = {{"key_a", "r6", "/v1/y", 1, 15},
                                     {"key_a", "r7", "/v1/y", 1, 16}};
  ASSERT_TRUE(store_->AppendCharges(more, &outcomes).ok());
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_EQ(outcomes[1].code(), Status::Code::kResourceExhausted);

  // Reading moves them: the ledger explains the balance.
  const std::vector<LedgerEntry> ledger = Ledger("key_a");
  ASSERT_EQ(ledger.size(), 4u);
  const std::vector<int64_t> balances = {5, 3, 1, 0};
  for (size_t i = 0; i < ledger.size(); ++i) {
    EXPECT_EQ(ledger[i].balance_after, balances[i]) << i;
    if (i > 0) {
      EXPECT_EQ(ledger[i].seq, ledger[i - 1].seq + 1);
    }
  }
  EXPECT_EQ(ledger[3].reference, "r6");
  EXPECT_EQ(ledger[3].endpoint, "/v1/y");
  EXPECT_EQ(ledger[3].time_micros, 15);
  auto key = store_->GetKey("key_a");
  EXPECT_EQ(key->balance, 0);
  EXPECT_EQ(key->charged_requests, 3);
  EXPECT_EQ(key->charged_credits, 5);
  EXPECT_EQ(key->last_charge_micros, 15);
  EXPECT_EQ(std::filesystem::file_size(journal()), 0u);
}

TEST_F(ChargeLogTest, ChargesStagedByAKilledProcessMoveAtTheNextOpen) {
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "g1", 100, 1).ok());
  store_.reset();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child stages two groups and dies without closing anything (as kill -9 would).
    auto logged = OpenLogged();
    if (!logged.ok()) _exit(2);
    std::vector<Status> outcomes;
    std::vector<ChargeRequest> a = {{"key_a", "k1", "/v1/x", 2, 10},
                                    {"key_a", "k2", "/v1/x", 2, 11}};
    std::vector<ChargeRequest> b = {{"key_a", "k3", "/v1/x", 2, 12}};
    if (!(*logged)->AppendCharges(a, &outcomes).ok() || !outcomes[1].ok()) _exit(3);
    if (!(*logged)->AppendCharges(b, &outcomes).ok() || !outcomes[0].ok()) _exit(4);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_GT(std::filesystem::file_size(journal()), 0u);
  // A torn third record (the kill came in the middle of a write) is cut off.
  {
    std::ofstream torn(journal(), std::ios::app | std::ios::binary);
    torn << std::string("\x40\0\0\0garbage", 11);
  }
  auto reopened = SqliteKeyStore::Open(path_);  // as the CLI would open it
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(reopened).value();
  EXPECT_EQ(References("key_a"), (std::vector<std::string>{"g1", "k1", "k2", "k3"}));
  EXPECT_EQ(store_->GetKey("key_a")->balance, 94);
  EXPECT_EQ(std::filesystem::file_size(journal()), 0u);
}

TEST_F(ChargeLogTest, ACrashBetweenMovingAndClearingMovesNothingTwice) {
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "g1", 100, 1).ok());
  UseLogged();
  std::vector<Status> outcomes;
  std::vector<ChargeRequest> a = {{"key_a", "k1", "/v1/x", 2, 10}};
  ASSERT_TRUE(store_->AppendCharges(a, &outcomes).ok());
  const std::string copy = journal() + ".copy";
  std::filesystem::copy_file(journal(), copy, std::filesystem::copy_options::overwrite_existing);
  ASSERT_TRUE(store_->Flush().ok());  // moved and cleared
  store_.reset();
  // Put the moved record back, as if the process died before the journal was cleared.
  std::filesystem::copy_file(copy, journal(), std::filesystem::copy_options::overwrite_existing);
  std::filesystem::remove(copy);
  UseLogged();
  std::vector<ChargeRequest> b = {{"key_a", "k2", "/v1/x", 2, 11}};
  ASSERT_TRUE(store_->AppendCharges(b, &outcomes).ok());
  EXPECT_EQ(References("key_a"), (std::vector<std::string>{"g1", "k1", "k2"}));
  EXPECT_EQ(store_->GetKey("key_a")->balance, 96);
}

TEST_F(ChargeLogTest, OnlyOneProcessStagesCharges) {
  UseLogged();
  auto second = OpenLogged();
  EXPECT_EQ(second.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("another `soundtrend serve`"), std::string::npos);
  // A store without the charge log (the CLI) opens while the journal is held.
  EXPECT_TRUE(SqliteKeyStore::Open(path_).ok());
}

TEST_F(ChargeLogTest, AGrantByAnotherProcessIsSeenWhenTheBalanceLooksShort) {
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "g1", 4, 1).ok());
  UseLogged();
  std::vector<Status> outcomes;
  std::vector<ChargeRequest> a = {{"key_a", "k1", "/v1/x", 2, 10}, {"key_a", "k2", "/v1/x", 2, 11}};
  ASSERT_TRUE(store_->AppendCharges(a, &outcomes).ok());
  ASSERT_TRUE(outcomes[1].ok());
  {
    auto cli = SqliteKeyStore::Open(path_);  // another connection, as the CLI would be
    ASSERT_TRUE(cli.ok());
    ASSERT_TRUE((*cli)->ApplyGrant("key_a", "g2", 10, 12).ok());
  }
  std::vector<ChargeRequest> b = {{"key_a", "k3", "/v1/x", 2, 13}};
  ASSERT_TRUE(store_->AppendCharges(b, &outcomes).ok());
  EXPECT_TRUE(outcomes[0].ok()) << outcomes[0].ToString();
  // The grant was stored first: it comes first, and the balances follow that order.
  const std::vector<LedgerEntry> ledger = Ledger("key_a");
  ASSERT_EQ(ledger.size(), 5u);
  EXPECT_EQ(ledger[1].reference, "g2");
  EXPECT_EQ(ledger[1].balance_after, 14);
  EXPECT_EQ(ledger[4].reference, "k3");
  EXPECT_EQ(ledger[4].balance_after, 8);
  EXPECT_EQ(store_->GetKey("key_a")->balance, 8);
}

TEST_F(ChargeLogTest, ChargesStayStagedAndAcceptedWhileTheTablesAreLocked) {
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "g1", 100, 1).ok());
  store_.reset();
  OpenOptions quick;
  quick.busy_timeout_ms = 20;
  KeyStoreOptions every_group;  // tries to move after every group
  every_group.charge_log = true;
  every_group.apply_after_charges = 1;
  auto opened = SqliteKeyStore::Open(path_, quick, every_group);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store_ = std::move(opened).value();
  std::vector<Status> outcomes;
  {
    // Another process holds the database's write lock: moves fail, staging does not.
    auto other = Database::Open(path_, {});
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->Exec("BEGIN IMMEDIATE").ok());
    for (int i = 0; i < 3; ++i) {
      std::vector<ChargeRequest> c = {{"key_a", "k" + std::to_string(i), "/v1/x", 2, 10 + i}};
      ASSERT_TRUE(store_->AppendCharges(c, &outcomes).ok());
      EXPECT_TRUE(outcomes[0].ok());
    }
    EXPECT_FALSE(store_->Flush().ok());  // reported where it can be
    EXPECT_GT(std::filesystem::file_size(journal()), 0u);
    ASSERT_TRUE((*other)->Exec("ROLLBACK").ok());
  }
  ASSERT_TRUE(store_->Flush().ok());
  EXPECT_EQ(References("key_a"), (std::vector<std::string>{"g1", "k0", "k1", "k2"}));
  EXPECT_EQ(store_->GetKey("key_a")->balance, 94);
}

// ---- Charge lanes (KeyStoreOptions::charge_lanes): one ChargeLane per event loop.

class ChargeLaneStoreTest : public ChargeLogTest {
 protected:
  Result<std::unique_ptr<SqliteKeyStore>> OpenWithLanes() {
    KeyStoreOptions o;
    o.charge_lanes = true;
    o.lane_segment_bytes = 4096;  // a few dozen charges per segment: segments roll over
    return SqliteKeyStore::Open(path_, {}, o);
  }
  void UseLanes() {
    store_.reset();
    auto opened = OpenWithLanes();
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }
  static Status Append(ChargeLane* lane, const std::string& request_id, int64_t cost = 2) {
    return lane->Append({"key_a", request_id, "/v1/tiktok/trending/music", 100, cost});
  }
  size_t LaneFiles() {
    auto found = ChargeLane::FindSegments(SqliteKeyStore::ChargeLanePrefix(path_));
    EXPECT_TRUE(found.ok());
    size_t n = 0;
    for (const auto& [lane, segments] : *found) n += segments.size();
    return n;
  }
  void CreateKeyWith(int64_t credits) {
    ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
    ASSERT_TRUE(store_->ApplyGrant("key_a", "g1", credits, 1).ok());
  }
};

TEST_F(ChargeLaneStoreTest, LaneChargesMoveOnReadsInLedgerOrder) {
  CreateKeyWith(1000);
  UseLanes();
  auto lane0 = store_->ChargeLaneFor(0);
  auto lane1 = store_->ChargeLaneFor(1);
  ASSERT_TRUE(lane0.ok() && lane1.ok());
  EXPECT_EQ(*store_->ChargeLaneFor(0), *lane0);  // one lane per index
  std::vector<std::string> expected = {"g1"};
  for (int i = 0; i < 200; ++i) {  // lane 0 first, then lane 1: the order of a move
    ASSERT_TRUE(Append(*lane0, "a" + std::to_string(i)).ok());
    expected.push_back("a" + std::to_string(i));
  }
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(Append(*lane1, "b" + std::to_string(i)).ok());
    expected.push_back("b" + std::to_string(i));
  }
  EXPECT_GT(LaneFiles(), 3u);
  const std::vector<LedgerEntry> ledger = Ledger("key_a");  // the read moves them
  ASSERT_EQ(ledger.size(), expected.size());
  for (size_t i = 0; i < ledger.size(); ++i) {
    EXPECT_EQ(ledger[i].reference, expected[i]);
    EXPECT_EQ(ledger[i].balance_after, 1000 - 2 * static_cast<int64_t>(i)) << i;
    if (i > 0) {
      EXPECT_EQ(ledger[i].seq, ledger[i - 1].seq + 1);
    }
  }
  EXPECT_EQ(ledger[1].endpoint, "/v1/tiktok/trending/music");
  auto key = store_->GetKey("key_a");
  EXPECT_EQ(key->balance, 580);
  EXPECT_EQ(key->charged_requests, 210);
  // The moved segments are deleted but two spares per lane; each lane keeps its current one.
  EXPECT_EQ(LaneFiles(), 4u);
  // Appends go on; Flush moves them too; closing deletes the rest.
  ASSERT_TRUE(Append(*lane1, "b10").ok());
  ASSERT_TRUE(store_->Flush().ok());
  store_.reset();
  EXPECT_EQ(LaneFiles(), 0u);
  auto cli = SqliteKeyStore::Open(path_);
  ASSERT_TRUE(cli.ok());
  EXPECT_EQ((*cli)->GetKey("key_a")->balance, 578);
}

TEST_F(ChargeLaneStoreTest, LanesOfAKilledProcessMoveAtTheNextOpenExactlyOnce) {
  CreateKeyWith(1000);
  store_.reset();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child appends, moves part of it, appends more and dies without closing.
    auto opened = OpenWithLanes();
    if (!opened.ok()) _exit(2);
    auto lane0 = (*opened)->ChargeLaneFor(0);
    auto lane1 = (*opened)->ChargeLaneFor(1);
    if (!lane0.ok() || !lane1.ok()) _exit(3);
    for (int i = 0; i < 60; ++i) {
      if (!Append(*lane0, "a" + std::to_string(i)).ok()) _exit(4);
    }
    if (!(*opened)->Flush().ok()) _exit(5);
    for (int i = 60; i < 130; ++i) {
      if (!Append(*lane0, "a" + std::to_string(i)).ok()) _exit(6);
    }
    if (!Append(*lane1, "b0").ok()) _exit(7);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_GT(LaneFiles(), 0u);
  auto reopened = SqliteKeyStore::Open(path_);  // as the CLI would open it
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(reopened).value();
  const std::vector<std::string> refs = References("key_a");
  ASSERT_EQ(refs.size(), 132u);
  EXPECT_EQ(refs[60], "a59");
  EXPECT_EQ(refs[130], "a129");
  EXPECT_EQ(refs[131], "b0");
  EXPECT_EQ(store_->GetKey("key_a")->balance, 1000 - 2 * 131);
  EXPECT_EQ(LaneFiles(), 0u);
  // A serving process after it: its lanes start past the markers and charge on.
  UseLanes();
  auto lane0 = store_->ChargeLaneFor(0);
  ASSERT_TRUE(lane0.ok()) << lane0.status().ToString();
  ASSERT_TRUE(Append(*lane0, "c0").ok());
  EXPECT_EQ(References("key_a").back(), "c0");
}

TEST_F(ChargeLaneStoreTest, ACrashBetweenMovingAndDeletingMovesNothingTwice) {
  CreateKeyWith(100);
  UseLanes();
  auto lane = store_->ChargeLaneFor(0);
  ASSERT_TRUE(lane.ok());
  ASSERT_TRUE(Append(*lane, "k1").ok());
  const std::string segment =
      ChargeLane::SegmentPath(SqliteKeyStore::ChargeLanePrefix(path_), 0, 1);
  const std::string copy = segment + "-copy";
  std::filesystem::copy_file(segment, copy);
  store_.reset();  // moved, and the file deleted
  ASSERT_FALSE(std::filesystem::exists(segment));
  std::filesystem::rename(copy, segment);  // as if the process died before deleting it
  UseLanes();
  lane = store_->ChargeLaneFor(0);
  ASSERT_TRUE(lane.ok()) << lane.status().ToString();
  ASSERT_TRUE(Append(*lane, "k2").ok());
  EXPECT_EQ(References("key_a"), (std::vector<std::string>{"g1", "k1", "k2"}));
  EXPECT_EQ(store_->GetKey("key_a")->balance, 96);
}

TEST_F(ChargeLaneStoreTest, AChargeThatDoesNotApplyStaysInItsLaneAndIsReported) {
  CreateKeyWith(3);
  UseLanes();
  auto lane = store_->ChargeLaneFor(0);
  ASSERT_TRUE(lane.ok());
  ASSERT_TRUE(Append(*lane, "k1").ok());
  ASSERT_TRUE(Append(*lane, "k2").ok());  // its writer did not reserve it: 1 credit left
  EXPECT_EQ(store_->Flush().code(), Status::Code::kCorruption);
  EXPECT_EQ(store_->GetKey("key_a").status().code(), Status::Code::kCorruption);
  EXPECT_GT(LaneFiles(), 0u);  // nothing lost
}

TEST_F(ChargeLaneStoreTest, TryFlushMovesOneLaneAndNeverWaitsForAnotherProcess) {
  CreateKeyWith(100);
  store_.reset();
  OpenOptions quick;
  quick.busy_timeout_ms = 20;
  KeyStoreOptions o;
  o.charge_lanes = true;
  auto opened = SqliteKeyStore::Open(path_, quick, o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store_ = std::move(opened).value();
  auto lane0 = store_->ChargeLaneFor(0);
  auto lane1 = store_->ChargeLaneFor(1);
  ASSERT_TRUE(lane0.ok() && lane1.ok());
  ASSERT_TRUE(Append(*lane0, "a1").ok());
  ASSERT_TRUE(Append(*lane1, "b1").ok());
  auto cli = SqliteKeyStore::Open(path_);  // another process's view of the tables
  ASSERT_TRUE(cli.ok());
  ASSERT_TRUE(store_->TryFlushChargeLane(0).ok());
  EXPECT_EQ((*cli)->GetKey("key_a")->balance, 98);  // lane 0's charge only
  ASSERT_TRUE(Append(*lane0, "a2").ok());
  {
    // Another process holds the write lock: no move, no error, no wait for the lock.
    auto other = Database::Open(path_, {});
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->Exec("BEGIN IMMEDIATE").ok());
    EXPECT_TRUE(store_->TryFlushChargeLane(0).ok());
    // A plain Flush still waits its busy timeout and reports the lock.
    EXPECT_FALSE(store_->Flush().ok());
    ASSERT_TRUE((*other)->Exec("ROLLBACK").ok());
  }
  EXPECT_EQ((*cli)->GetKey("key_a")->balance, 98);
  ASSERT_TRUE(store_->Flush().ok());
  EXPECT_EQ((*cli)->GetKey("key_a")->balance, 94);
  // A move takes lane 0 then lane 1.
  EXPECT_EQ(References("key_a"), (std::vector<std::string>{"g1", "a1", "a2", "b1"}));
}

TEST_F(ChargeLaneStoreTest, LanesNeedTheChargeLogLock) {
  EXPECT_EQ(store_->ChargeLaneFor(0).status().code(), Status::Code::kFailedPrecondition);
  UseLanes();
  EXPECT_EQ(OpenWithLanes().status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(OpenLogged().status().code(), Status::Code::kFailedPrecondition);
  auto lane = store_->ChargeLaneFor(0);
  ASSERT_TRUE(lane.ok());
  ASSERT_TRUE(store_->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store_->ApplyGrant("key_a", "g1", 10, 1).ok());
  ASSERT_TRUE(Append(*lane, "k1").ok());
  {
    // The CLI opens while the lanes are held, and leaves them to their process.
    auto cli = SqliteKeyStore::Open(path_);
    ASSERT_TRUE(cli.ok());
    EXPECT_EQ((*cli)->GetKey("key_a")->balance, 10);
  }
  EXPECT_EQ(store_->GetKey("key_a")->balance, 8);
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
  std::vector<ChargeRequest> charges(kPerTransaction);
  std::vector<Status> outcomes;
  for (int t = 0; t < kTransactions; ++t) {
    for (int i = 0; i < kPerTransaction; ++i) {
      charges[i] = {"key_a", "req_" + std::to_string(t) + "_" + std::to_string(i),
                    "/v1/tiktok/trending/music", 2, 10 + t};
    }
    ASSERT_TRUE(store_->AppendCharges(charges, &outcomes).ok());
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
