#include "store/key_store_suite.h"

#include <gmock/gmock.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <thread>
#include <vector>

namespace soundtrend::store {
namespace {

KeyRecord Key(const std::string& id, const std::string& hash) {
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

// A charge block's charges with owned strings (ChargeView only views).
struct Charge {
  std::string key_id;
  std::string request_id;
  std::string endpoint = "/v1/x";
  int64_t cost = 2;
  int64_t time_micros = 10;
};

Status Apply(KeyStore& store, const std::vector<Charge>& charges,
             const std::vector<LogMarker>& markers = {}) {
  std::vector<ChargeView> views;
  for (const Charge& c : charges) {
    views.push_back({c.key_id, c.request_id, c.endpoint, c.time_micros, c.cost});
  }
  return store.ApplyChargeBlock(views, markers);
}

std::vector<LedgerEntry> LedgerOf(KeyStore& store, const std::string& key_id) {
  std::vector<LedgerEntry> out;
  EXPECT_TRUE(store
                  .ForEachLedgerEntry(key_id,
                                      [&](const LedgerEntry& e) {
                                        out.push_back(e);
                                        return Status::Ok();
                                      })
                  .ok());
  return out;
}

std::vector<std::string> References(KeyStore& store, const std::string& key_id) {
  std::vector<std::string> out;
  for (const LedgerEntry& e : LedgerOf(store, key_id)) out.push_back(e.reference);
  return out;
}

std::map<std::string, int64_t> Markers(KeyStore& store, std::string_view prefix) {
  Result<std::vector<LogMarker>> markers = store.LogMarkers(prefix);
  EXPECT_TRUE(markers.ok()) << markers.status().ToString();
  std::map<std::string, int64_t> out;
  if (!markers.ok()) return out;
  std::string previous;
  for (const LogMarker& m : *markers) {
    EXPECT_LT(previous, m.log_id) << "markers come in log id order";
    previous = m.log_id;
    out[m.log_id] = m.position;
  }
  return out;
}

}  // namespace

void KeyStoreSuite::SetUp() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "key_store_suite_XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  dir_ = tmpl;
  location_ = GetParam().new_location ? GetParam().new_location(dir_) : dir_ + "/keys.db";
}

void KeyStoreSuite::TearDown() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::unique_ptr<KeyStore> KeyStoreSuite::Open() {
  Result<std::unique_ptr<KeyStore>> store = GetParam().open(location_);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::string KeyStoreSuiteName(const ::testing::TestParamInfo<KeyStoreSuiteParam>& info) {
  return info.param.name;
}

TEST_P(KeyStoreSuite, CreateGetListRoundTrip) {
  auto store = Open();
  ASSERT_TRUE(store);
  KeyRecord k = Key("key_a", "hash_a");
  k.expires_micros = 5000;
  ASSERT_TRUE(store->CreateKey(k).ok());
  KeyRecord b = Key("key_b", "hash_b");
  b.created_micros = 2000;
  b.endpoints = {};
  b.revoked_micros = 3000;
  ASSERT_TRUE(store->CreateKey(b).ok());
  auto got = store->GetKey("key_a");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->key_hash, "hash_a");
  EXPECT_EQ(got->name, "test key_a");
  EXPECT_EQ(got->qps_limit, 5);
  EXPECT_EQ(got->burst, 7);
  EXPECT_EQ(got->endpoints, (std::vector<std::string>{"/v1/a", "/v1/b"}));
  EXPECT_EQ(got->created_micros, 1000);
  EXPECT_EQ(got->expires_micros, std::optional<int64_t>(5000));
  EXPECT_FALSE(got->revoked_micros.has_value());
  EXPECT_EQ(got->balance, 0);
  EXPECT_EQ(got->charged_requests, 0);
  EXPECT_EQ(got->last_charge_micros, 0);
  auto all = store->ListKeys();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].key_id, "key_a");  // creation order
  EXPECT_EQ((*all)[1].key_id, "key_b");
  EXPECT_TRUE((*all)[1].endpoints.empty());
  EXPECT_EQ((*all)[1].revoked_micros, std::optional<int64_t>(3000));
  EXPECT_FALSE((*all)[1].expires_micros.has_value());
  EXPECT_EQ(store->GetKey("key_zz").status().code(), Status::Code::kNotFound);
  KeyRecord funded = Key("key_c", "hash_c");
  funded.balance = 5;
  EXPECT_EQ(store->CreateKey(funded).code(), Status::Code::kInvalidArgument);
}

TEST_P(KeyStoreSuite, DuplicateIdOrHashRefused) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->CreateKey(Key("key_a", "hash_a")).ok());
  EXPECT_EQ(store->CreateKey(Key("key_a", "hash_x")).code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(store->CreateKey(Key("key_x", "hash_a")).code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(store->ListKeys()->size(), 1u);
}

TEST_P(KeyStoreSuite, RevokeKeepsFirstTime) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store->RevokeKey("key_a", 10).ok());
  ASSERT_TRUE(store->RevokeKey("key_a", 20).ok());
  EXPECT_EQ(store->GetKey("key_a")->revoked_micros, std::optional<int64_t>(10));
  EXPECT_EQ(store->RevokeKey("key_nope", 1).code(), Status::Code::kNotFound);
}

TEST_P(KeyStoreSuite, GrantsAreIdempotent) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store->CreateKey(Key("key_b", "hash_b")).ok());
  auto g1 = store->ApplyGrant("key_a", "g1", 100, 1);
  ASSERT_TRUE(g1.ok()) << g1.status().ToString();
  EXPECT_TRUE(g1->applied);
  EXPECT_EQ(g1->balance_after, 100);
  auto again = store->ApplyGrant("key_a", "g1", 100, 2);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->applied);
  EXPECT_EQ(again->balance_after, 100);
  EXPECT_EQ(store->ApplyGrant("key_a", "g1", 50, 3).status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(store->ApplyGrant("key_b", "g1", 100, 3).status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(store->ApplyGrant("key_nope", "g2", 100, 3).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store->ApplyGrant("key_a", "g3", 0, 3).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store->ApplyGrant("key_a", "", 5, 3).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store->GetKey("key_a")->balance, 100);
  EXPECT_EQ(store->GetKey("key_b")->balance, 0);
  auto ledger = LedgerOf(*store, "key_a");
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0].kind, LedgerKind::kGrant);
  EXPECT_EQ(ledger[0].key_id, "key_a");
  EXPECT_EQ(ledger[0].reference, "g1");
  EXPECT_EQ(ledger[0].amount, 100);
  EXPECT_EQ(ledger[0].balance_after, 100);
  EXPECT_EQ(ledger[0].time_micros, 1);
  EXPECT_TRUE(LedgerOf(*store, "key_b").empty());
}

TEST_P(KeyStoreSuite, GrantsAndBalancesStayWithinMaxCredits) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->CreateKey(Key("key_a", "hash_a")).ok());
  EXPECT_EQ(store->ApplyGrant("key_a", "too-big", kMaxCredits + 1, 1).status().code(),
            Status::Code::kInvalidArgument);
  auto fill = store->ApplyGrant("key_a", "fill", kMaxCredits - 10, 1);
  ASSERT_TRUE(fill.ok()) << fill.status().ToString();
  EXPECT_EQ(fill->balance_after, kMaxCredits - 10);
  EXPECT_EQ(store->ApplyGrant("key_a", "over", 11, 2).status().code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(store->ApplyGrant("key_nope", "over", 11, 2).status().code(), Status::Code::kNotFound);
  auto top = store->ApplyGrant("key_a", "top", 10, 3);
  ASSERT_TRUE(top.ok()) << top.status().ToString();
  EXPECT_EQ(top->balance_after, kMaxCredits);
  EXPECT_EQ(store->GetKey("key_a")->balance, kMaxCredits);
  EXPECT_EQ(References(*store, "key_a"), (std::vector<std::string>{"fill", "top"}));
}

TEST_P(KeyStoreSuite, ChargeBlockAppliesInOrderWithSeqsBalancesAndTotals) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store->ApplyGrant("key_a", "g1", 10, 1).ok());
  ASSERT_TRUE(
      Apply(*store, {{"key_a", "r1", "/v1/x", 2, 30},
                     {"key_a", "r2", "/v1/y", 3, 20},  // earlier time: totals keep the latest
                     {"key_a", "r3", "/v1/x", 5, 25}})
          .ok());
  auto key = store->GetKey("key_a");
  EXPECT_EQ(key->balance, 0);
  EXPECT_EQ(key->charged_requests, 3);
  EXPECT_EQ(key->charged_credits, 10);
  EXPECT_EQ(key->last_charge_micros, 30);
  const std::vector<LedgerEntry> ledger = LedgerOf(*store, "key_a");
  ASSERT_EQ(ledger.size(), 4u);
  const std::vector<int64_t> balances = {10, 8, 5, 0};
  for (size_t i = 0; i < ledger.size(); ++i) {
    EXPECT_EQ(ledger[i].balance_after, balances[i]) << i;
    if (i > 0) {
      EXPECT_EQ(ledger[i].seq, ledger[i - 1].seq + 1) << i;
    }
  }
  EXPECT_EQ(ledger[2].kind, LedgerKind::kCharge);
  EXPECT_EQ(ledger[2].key_id, "key_a");
  EXPECT_EQ(ledger[2].reference, "r2");
  EXPECT_EQ(ledger[2].endpoint, "/v1/y");
  EXPECT_EQ(ledger[2].amount, -3);
  EXPECT_EQ(ledger[2].time_micros, 20);
}

TEST_P(KeyStoreSuite, ABlockThatBreaksAnyRuleIsRefusedWhole) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store->CreateKey(Key("key_b", "hash_b")).ok());
  ASSERT_TRUE(store->ApplyGrant("key_a", "g1", 5, 1).ok());
  ASSERT_TRUE(store->ApplyGrant("key_b", "g2", 5, 1).ok());
  const std::vector<LogMarker> marker = {{"m/lane-0", 77}};
  // Balance below zero at the third charge; an unknown key; a charge without a cost.
  EXPECT_EQ(
      Apply(*store, {{"key_b", "b1"}, {"key_a", "r1"}, {"key_a", "r2"}, {"key_a", "r3"}}, marker)
          .code(),
      Status::Code::kFailedPrecondition);
  EXPECT_EQ(Apply(*store, {{"key_a", "r1"}, {"key_zz", "r4"}}, marker).code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(Apply(*store, {{"key_a", "r1"}, {"key_a", "r5", "/v1/x", 0}}, marker).code(),
            Status::Code::kFailedPrecondition);
  for (const char* id : {"key_a", "key_b"}) {
    EXPECT_EQ(store->GetKey(id)->balance, 5) << id;
    EXPECT_EQ(store->GetKey(id)->charged_requests, 0) << id;
    EXPECT_EQ(LedgerOf(*store, id).size(), 1u) << id;
  }
  EXPECT_TRUE(Markers(*store, "m/").empty());
  // Up to the balance exactly is fine.
  ASSERT_TRUE(Apply(*store, {{"key_a", "r1"}, {"key_a", "r2", "/v1/x", 3}}, marker).ok());
  EXPECT_EQ(store->GetKey("key_a")->balance, 0);
  EXPECT_EQ(Markers(*store, "m/"), (std::map<std::string, int64_t>{{"m/lane-0", 77}}));
}

TEST_P(KeyStoreSuite, MarkersAreSetWithTheirBlockAndReadByPrefix) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store->ApplyGrant("key_a", "g1", 100, 1).ok());
  EXPECT_TRUE(Markers(*store, "").empty());
  ASSERT_TRUE(
      Apply(*store, {{"key_a", "r1"}}, {{"node/a/charges", 3}, {"node/a/lane-1", 1LL << 40}}).ok());
  // Markers alone (an empty block), another prefix, and a replaced position.
  ASSERT_TRUE(Apply(*store, {}, {{"node/b/lane-0", 9}, {"node/a/charges", 4}}).ok());
  ASSERT_TRUE(Apply(*store, {}, {{"charges", 1}}).ok());
  EXPECT_EQ(Markers(*store, "node/a/"),
            (std::map<std::string, int64_t>{{"node/a/charges", 4}, {"node/a/lane-1", 1LL << 40}}));
  EXPECT_EQ(Markers(*store, "node/b/"), (std::map<std::string, int64_t>{{"node/b/lane-0", 9}}));
  EXPECT_EQ(Markers(*store, "").size(), 4u);
  EXPECT_TRUE(Markers(*store, "node/c/").empty());
  EXPECT_TRUE(Markers(*store, "node/a/charges/").empty());
  EXPECT_EQ(store->GetKey("key_a")->balance, 98);  // the empty blocks charged nothing
}

TEST_P(KeyStoreSuite, InterleavedKeysKeepBlockOrderAndPerKeyBalances) {
  auto store = Open();
  ASSERT_TRUE(store);
  const char* ids[] = {"key_a", "key_b", "key_c"};
  for (const char* id : ids) {
    ASSERT_TRUE(store->CreateKey(Key(id, std::string("hash_") + id)).ok());
    ASSERT_TRUE(store->ApplyGrant(id, std::string("g_") + id, 1000, 1).ok());
  }
  std::vector<Charge> charges;
  for (int i = 0; i < 77; ++i) {
    charges.push_back({ids[i % 3], "r" + std::to_string(i), "/v1/x", 1 + i % 2, 100 + i});
  }
  ASSERT_TRUE(Apply(*store, charges).ok());
  std::map<std::string, int64_t> balance = {{"key_a", 1000}, {"key_b", 1000}, {"key_c", 1000}};
  std::map<std::string, std::vector<std::pair<std::string, int64_t>>> expected;
  for (const Charge& c : charges) {
    balance[c.key_id] -= c.cost;
    expected[c.key_id].push_back({c.request_id, balance[c.key_id]});
  }
  for (const char* id : ids) {
    EXPECT_EQ(store->GetKey(id)->balance, balance[id]) << id;
    EXPECT_EQ(store->GetKey(id)->charged_requests, static_cast<int64_t>(expected[id].size()));
    auto ledger = LedgerOf(*store, id);
    ASSERT_EQ(ledger.size(), expected[id].size() + 1) << id;
    for (size_t j = 0; j < expected[id].size(); ++j) {
      EXPECT_EQ(ledger[j + 1].reference, expected[id][j].first);
      EXPECT_EQ(ledger[j + 1].balance_after, expected[id][j].second);
      EXPECT_GT(ledger[j + 1].seq, ledger[j].seq);
    }
  }
  // Ledger order across keys is the block order.
  std::vector<std::string> all;
  int64_t last_seq = 0;
  ASSERT_TRUE(store
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
  for (const Charge& c : charges) expected_order.push_back(c.request_id);
  EXPECT_EQ(all, expected_order);
}

TEST_P(KeyStoreSuite, LedgerMergesGrantsAndChargeBlocksInSeqOrder) {
  auto store = Open();
  ASSERT_TRUE(store);
  // grant, block of 2, grant, block of 2 (another key's charge first), grant: the ledger
  // reads back in the order written, seqs without gaps.
  ASSERT_TRUE(store->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store->CreateKey(Key("key_b", "hash_b")).ok());
  ASSERT_TRUE(store->ApplyGrant("key_a", "g1", 10, 1).ok());
  ASSERT_TRUE(store->ApplyGrant("key_b", "g2", 10, 1).ok());
  ASSERT_TRUE(
      Apply(*store, {{"key_a", "r1", "/v1/x", 2, 10}, {"key_a", "r2", "/v1/y", 3, 11}}).ok());
  ASSERT_TRUE(store->ApplyGrant("key_a", "g3", 4, 12).ok());
  ASSERT_TRUE(
      Apply(*store, {{"key_b", "r3", "/v1/x", 1, 13}, {"key_a", "r4", "/v1/x", 2, 14}}).ok());
  auto g4 = store->ApplyGrant("key_a", "g4", 1, 15);
  ASSERT_TRUE(g4.ok());
  EXPECT_EQ(g4->balance_after, 8);

  std::vector<std::string> refs;
  std::vector<int64_t> seqs;
  ASSERT_TRUE(store
                  ->ForEachLedgerEntry("",
                                       [&](const LedgerEntry& e) {
                                         refs.push_back(e.reference);
                                         seqs.push_back(e.seq);
                                         return Status::Ok();
                                       })
                  .ok());
  EXPECT_EQ(refs, (std::vector<std::string>{"g1", "g2", "r1", "r2", "g3", "r3", "r4", "g4"}));
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], seqs[0] + static_cast<int64_t>(i));
  const std::vector<LedgerEntry> a = LedgerOf(*store, "key_a");
  ASSERT_EQ(a.size(), 6u);
  const std::vector<int64_t> balances = {10, 8, 5, 9, 7, 8};
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].balance_after, balances[i]) << i;
  EXPECT_EQ(a[3].kind, LedgerKind::kGrant);
  EXPECT_EQ(References(*store, "key_b"), (std::vector<std::string>{"g2", "r3"}));
  // The watermark covers the charges too: nothing after it yet.
  auto snap = store->Snapshot(0);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->last_seq, seqs.back());
  EXPECT_TRUE(store->Snapshot(snap->last_seq)->new_grants.empty());
}

TEST_P(KeyStoreSuite, LedgerScanStopsAtTheCallbacksError) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store->ApplyGrant("key_a", "g1", 10, 1).ok());
  ASSERT_TRUE(Apply(*store, {{"key_a", "r1"}, {"key_a", "r2"}}).ok());
  int seen = 0;
  Status st = store->ForEachLedgerEntry("key_a", [&](const LedgerEntry&) {
    return ++seen == 2 ? Status::Internal("stop") : Status::Ok();
  });
  EXPECT_EQ(st.code(), Status::Code::kInternal);
  EXPECT_EQ(seen, 2);
}

TEST_P(KeyStoreSuite, SnapshotReportsKeysAndGrantsAfterTheWatermark) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store->ApplyGrant("key_a", "g1", 10, 1).ok());
  auto first = store->Snapshot(0);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->keys.size(), 1u);
  EXPECT_EQ(first->keys[0].key_hash, "hash_a");
  ASSERT_EQ(first->new_grants.size(), 1u);
  EXPECT_EQ(first->new_grants[0].reference, "g1");
  ASSERT_TRUE(Apply(*store, {{"key_a", "r1"}}).ok());
  ASSERT_TRUE(store->ApplyGrant("key_a", "g2", 7, 2).ok());
  auto second = store->Snapshot(first->last_seq);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->new_grants.size(), 1u);
  EXPECT_EQ(second->new_grants[0].reference, "g2");
  EXPECT_EQ(second->new_grants[0].amount, 7);
  EXPECT_EQ(second->keys[0].balance, 15);
  EXPECT_GT(second->last_seq, first->last_seq);
}

TEST_P(KeyStoreSuite, EverythingSurvivesReopen) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->CreateKey(Key("key_a", "hash_a")).ok());
    ASSERT_TRUE(store->ApplyGrant("key_a", "g1", 10, 1).ok());
    ASSERT_TRUE(Apply(*store, {{"key_a", "r1"}}, {{"charges", 5}}).ok());
    ASSERT_TRUE(store->RevokeKey("key_a", 99).ok());
  }
  auto store = Open();
  ASSERT_TRUE(store);
  auto key = store->GetKey("key_a");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->balance, 8);
  EXPECT_EQ(key->charged_requests, 1);
  EXPECT_EQ(key->revoked_micros, std::optional<int64_t>(99));
  EXPECT_EQ(References(*store, "key_a"), (std::vector<std::string>{"g1", "r1"}));
  EXPECT_EQ(Markers(*store, ""), (std::map<std::string, int64_t>{{"charges", 5}}));
  EXPECT_FALSE(store->ApplyGrant("key_a", "g1", 10, 2)->applied);
}

TEST_P(KeyStoreSuite, UpdateKeyChangesOnlyTheFieldsSet) {
  auto store = Open();
  ASSERT_TRUE(store);
  KeyRecord k = Key("key_a", "hash_a");
  k.expires_micros = 5000;
  ASSERT_TRUE(store->CreateKey(k).ok());
  ASSERT_TRUE(store->ApplyGrant("key_a", "g1", 10, 1).ok());

  KeyChanges qps;
  qps.qps_limit = 50;
  Result<KeyRecord> after = store->UpdateKey("key_a", qps);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->qps_limit, 50);
  EXPECT_EQ(after->burst, 7);
  EXPECT_EQ(after->name, "test key_a");
  EXPECT_EQ(after->endpoints, (std::vector<std::string>{"/v1/a", "/v1/b"}));
  EXPECT_EQ(after->expires_micros, std::optional<int64_t>(5000));
  EXPECT_EQ(after->balance, 10);
  EXPECT_EQ(after->key_hash, "hash_a");

  KeyChanges all;
  all.name = "renamed";
  all.burst = 99;
  all.endpoints = std::vector<std::string>{"/v1/c"};
  all.expires_micros = std::optional<int64_t>(9000);
  after = store->UpdateKey("key_a", all);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->name, "renamed");
  EXPECT_EQ(after->qps_limit, 50);
  EXPECT_EQ(after->burst, 99);
  EXPECT_EQ(after->endpoints, (std::vector<std::string>{"/v1/c"}));
  EXPECT_EQ(after->expires_micros, std::optional<int64_t>(9000));

  KeyChanges clear;
  clear.endpoints = std::vector<std::string>{};
  clear.expires_micros = std::optional<int64_t>();  // never expires
  after = store->UpdateKey("key_a", clear);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->endpoints.empty());
  EXPECT_FALSE(after->expires_micros.has_value());
  EXPECT_EQ(after->name, "renamed");

  // What UpdateKey returned is what is stored, for every reader.
  Result<KeyRecord> got = store->GetKey("key_a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "renamed");
  EXPECT_EQ(got->qps_limit, 50);
  EXPECT_EQ(got->burst, 99);
  EXPECT_TRUE(got->endpoints.empty());
  EXPECT_FALSE(got->expires_micros.has_value());
  Result<KeySnapshot> snap = store->Snapshot(0);
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->keys.size(), 1u);
  EXPECT_EQ(snap->keys[0].qps_limit, 50);
  EXPECT_EQ(References(*store, "key_a"), (std::vector<std::string>{"g1"})) << "no ledger entry";

  EXPECT_EQ(store->UpdateKey("key_nope", qps).status().code(), Status::Code::kNotFound);
  ASSERT_TRUE(store->RevokeKey("key_a", 77).ok());
  after = store->UpdateKey("key_a", qps);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->revoked_micros, std::optional<int64_t>(77)) << "stays revoked";
}

TEST_P(KeyStoreSuite, RotateKeyReplacesTheHashAndKeepsThePreviousOneOnlyWithAGrace) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->CreateKey(Key("key_a", "hash_a")).ok());
  ASSERT_TRUE(store->CreateKey(Key("key_b", "hash_b")).ok());
  ASSERT_TRUE(store->ApplyGrant("key_a", "g1", 10, 1).ok());

  Result<KeyRecord> after = store->RotateKey("key_a", "hash_a2", 4000);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->key_hash, "hash_a2");
  EXPECT_EQ(after->previous_key_hash, "hash_a");
  EXPECT_EQ(after->previous_hash_expires_micros, std::optional<int64_t>(4000));
  EXPECT_EQ(after->balance, 10);
  EXPECT_EQ(after->name, "test key_a");

  // A second rotation replaces the previous hash.
  after = store->RotateKey("key_a", "hash_a3", 6000);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->key_hash, "hash_a3");
  EXPECT_EQ(after->previous_key_hash, "hash_a2");
  EXPECT_EQ(after->previous_hash_expires_micros, std::optional<int64_t>(6000));

  // Without a grace the old secret is dropped at once.
  after = store->RotateKey("key_a", "hash_a4", std::nullopt);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->key_hash, "hash_a4");
  EXPECT_EQ(after->previous_key_hash, "");
  EXPECT_FALSE(after->previous_hash_expires_micros.has_value());

  // Another key's hash is refused, nothing changed.
  EXPECT_EQ(store->RotateKey("key_a", "hash_b", 1).status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(store->RotateKey("key_nope", "hash_x", 1).status().code(), Status::Code::kNotFound);
  ASSERT_TRUE(store->RotateKey("key_b", "hash_b2", 8000).ok());

  // Stored for every reader, also another connection.
  auto other = Open();
  ASSERT_TRUE(other);
  Result<KeyRecord> a = other->GetKey("key_a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->key_hash, "hash_a4");
  EXPECT_EQ(a->previous_key_hash, "");
  Result<std::vector<KeyRecord>> list = other->ListKeys();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].key_hash, "hash_b2");
  EXPECT_EQ((*list)[1].previous_key_hash, "hash_b");
  EXPECT_EQ((*list)[1].previous_hash_expires_micros, std::optional<int64_t>(8000));
  Result<KeySnapshot> snap = other->Snapshot(0);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->keys[1].previous_key_hash, "hash_b");
  EXPECT_EQ(References(*other, "key_a"), (std::vector<std::string>{"g1"})) << "no ledger entry";
}

TEST_P(KeyStoreSuite, ChangeCounterSeesUpdatesAndRotations) {
  auto store = Open();
  auto other = Open();
  ASSERT_TRUE(store && other);
  ASSERT_TRUE(other->CreateKey(Key("key_a", "hash_a")).ok());
  auto before = store->ChangeCounter();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  if (*before < 0) GTEST_SKIP() << "this store has no change counter (callers reload always)";
  KeyChanges changes;
  changes.qps_limit = 3;
  ASSERT_TRUE(other->UpdateKey("key_a", changes).ok());
  auto after_update = store->ChangeCounter();
  ASSERT_TRUE(after_update.ok());
  EXPECT_NE(*after_update, *before);
  ASSERT_TRUE(other->RotateKey("key_a", "hash_a2", std::nullopt).ok());
  EXPECT_NE(*store->ChangeCounter(), *after_update);
}

TEST_P(KeyStoreSuite, ChangeCounterSeesAnotherConnectionsCommit) {
  auto store = Open();
  auto other = Open();  // as the CLI, or another node, would be
  ASSERT_TRUE(store && other);
  auto before = store->ChangeCounter();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  if (*before < 0) GTEST_SKIP() << "this store has no change counter (callers reload always)";
  ASSERT_TRUE(other->CreateKey(Key("key_a", "hash_a")).ok());
  auto after_create = store->ChangeCounter();
  ASSERT_TRUE(after_create.ok());
  EXPECT_NE(*after_create, *before);
  ASSERT_TRUE(other->ApplyGrant("key_a", "g1", 10, 1).ok());
  auto after_grant = store->ChangeCounter();
  EXPECT_NE(*after_grant, *after_create);
  ASSERT_TRUE(other->RevokeKey("key_a", 5).ok());
  EXPECT_NE(*store->ChangeCounter(), *after_grant);
  EXPECT_EQ(store->GetKey("key_a")->revoked_micros, std::optional<int64_t>(5));
}

TEST_P(KeyStoreSuite, CallsFromSeveralThreadsAreSerialized) {
  auto store = Open();
  ASSERT_TRUE(store);
  constexpr int kThreads = 4;
  constexpr int kBlocks = 25;
  for (int t = 0; t < kThreads; ++t) {
    const std::string id = "key_" + std::to_string(t);
    ASSERT_TRUE(store->CreateKey(Key(id, "hash_" + std::to_string(t))).ok());
    ASSERT_TRUE(store->ApplyGrant(id, "g" + std::to_string(t), 1000, 1).ok());
  }
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string id = "key_" + std::to_string(t);
      for (int b = 0; b < kBlocks; ++b) {
        const std::string r = std::to_string(t) + "-" + std::to_string(b);
        if (!Apply(*store, {{id, "a" + r}, {id, "b" + r}}, {{"t" + std::to_string(t), b}}).ok()) {
          ++failures;
        }
        if (!store->ApplyGrant(id, "grant-" + r, 1, 2).ok()) ++failures;
        if (!store->GetKey(id).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  int64_t last_seq = 0;
  size_t entries = 0;
  ASSERT_TRUE(store
                  ->ForEachLedgerEntry("",
                                       [&](const LedgerEntry& e) {
                                         EXPECT_EQ(e.seq, last_seq + 1);  // no gap, no repeat
                                         last_seq = e.seq;
                                         ++entries;
                                         return Status::Ok();
                                       })
                  .ok());
  EXPECT_EQ(entries, static_cast<size_t>(kThreads * (1 + 3 * kBlocks)));
  for (int t = 0; t < kThreads; ++t) {
    const std::string id = "key_" + std::to_string(t);
    EXPECT_EQ(store->GetKey(id)->balance, 1000 - 4 * kBlocks + kBlocks) << id;
    // Each key's balances follow its own ledger order.
    int64_t balance = 0;
    for (const LedgerEntry& e : LedgerOf(*store, id)) {
      balance += e.amount;
      EXPECT_EQ(e.balance_after, balance) << id << " " << e.reference;
    }
  }
  EXPECT_EQ(Markers(*store, "t").size(), static_cast<size_t>(kThreads));
}

}  // namespace soundtrend::store
