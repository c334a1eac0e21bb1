#include "store/usage_store_suite.h"

#include <stdlib.h>

#include <filesystem>

namespace soundtrend::store {

void UsageStoreSuite::SetUp() {
  std::string tmpl = ::testing::TempDir() + "usage_store_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  dir_ = tmpl;
  location_ = dir_ + "/usage.db";
}

void UsageStoreSuite::TearDown() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::unique_ptr<UsageStore> UsageStoreSuite::Open() {
  auto store = GetParam().open(location_);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::string UsageStoreSuiteName(const ::testing::TestParamInfo<UsageStoreSuiteParam>& info) {
  return info.param.name;
}

namespace {

DailyUsage Count(std::string key, Day day, int64_t ok, int64_t p402 = 0, int64_t r429 = 0,
                 int64_t c4xx = 0, int64_t s5xx = 0) {
  return DailyUsage{std::move(key), day, ok, p402, r429, c4xx, s5xx, ok * 2};
}

RequestRecord Request(std::string key, int64_t time, std::string id, int status = 200) {
  return RequestRecord{std::move(key),        time,         "/v1/tiktok/trending/music", status,
                       status == 200 ? 2 : 0, std::move(id)};
}

TEST_P(UsageStoreSuite, CountsAddUpWithinACallAcrossCallsAndAcrossNodes) {
  auto node_a = Open();
  auto node_b = Open();
  ASSERT_TRUE(node_a && node_b);
  const std::vector<DailyUsage> first = {Count("key_a", 100, 3, 1), Count("key_a", 100, 2, 0, 4),
                                         Count("key_a", 101, 1), Count("key_b", 100, 7)};
  ASSERT_TRUE(node_a->Add(first, {}, 50).ok());
  const std::vector<DailyUsage> second = {Count("key_a", 100, 10, 0, 0, 5, 1)};
  ASSERT_TRUE(node_b->Add(second, {}, 50).ok());
  auto daily = node_a->Daily("key_a", 0, 1000);
  ASSERT_TRUE(daily.ok()) << daily.status().ToString();
  ASSERT_EQ(daily->size(), 2u);
  EXPECT_EQ((*daily)[0], (DailyUsage{"key_a", 100, 15, 1, 4, 5, 1, 30}));
  EXPECT_EQ((*daily)[1], (DailyUsage{"key_a", 101, 1, 0, 0, 0, 0, 2}));
  auto b = node_b->Daily("key_b", 100, 100);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0].ok, 7);
}

TEST_P(UsageStoreSuite, DailyKeepsToItsRangeInDayOrder) {
  auto store = Open();
  ASSERT_TRUE(store);
  const std::vector<DailyUsage> counts = {Count("key_a", 105, 5), Count("key_a", 101, 1),
                                          Count("key_a", 103, 3), Count("key_a", 99, 9)};
  ASSERT_TRUE(store->Add(counts, {}, 50).ok());
  auto daily = store->Daily("key_a", 101, 104);
  ASSERT_TRUE(daily.ok());
  ASSERT_EQ(daily->size(), 2u);
  EXPECT_EQ((*daily)[0].day, 101);
  EXPECT_EQ((*daily)[1].day, 103);
  auto none = store->Daily("key_zzz", 0, 1000);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(UsageStoreSuite, RecentIsNewestFirstAndTrimmedPerKey) {
  auto store = Open();
  ASSERT_TRUE(store);
  std::vector<RequestRecord> requests;
  for (int i = 0; i < 8; ++i)
    requests.push_back(Request("key_a", 1000 + i, "a" + std::to_string(i)));
  requests.push_back(Request("key_a", 1007, "a7b", 429));  // same time: by request id
  requests.push_back(Request("key_b", 5, "b0"));
  ASSERT_TRUE(store->Add({}, requests, 5).ok());
  auto recent = store->Recent("key_a", 100);
  ASSERT_TRUE(recent.ok()) << recent.status().ToString();
  ASSERT_EQ(recent->size(), 5u);
  EXPECT_EQ((*recent)[0].request_id, "a7b");
  EXPECT_EQ((*recent)[0].status, 429);
  EXPECT_EQ((*recent)[0].cost, 0);
  EXPECT_EQ((*recent)[1].request_id, "a7");
  EXPECT_EQ((*recent)[4].request_id, "a4");
  EXPECT_EQ((*recent)[1], requests[7]);
  auto limited = store->Recent("key_a", 2);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 2u);
  // Another node's later requests push the oldest out; key_b is untouched.
  auto other = Open();
  ASSERT_TRUE(other);
  const std::vector<RequestRecord> later = {Request("key_a", 2000, "late")};
  ASSERT_TRUE(other->Add({}, later, 5).ok());
  recent = store->Recent("key_a", 100);
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 5u);
  EXPECT_EQ((*recent)[0].request_id, "late");
  EXPECT_EQ((*recent)[4].request_id, "a5");
  auto b = store->Recent("key_b", 100);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 1u);
}

// Keys, request ids and endpoints come from outside: every character round-trips, and many
// rows of many keys in one call are all stored (implementations may batch them).
TEST_P(UsageStoreSuite, AnyStringRoundTripsAndManyRowsGoInOneCall) {
  auto store = Open();
  ASSERT_TRUE(store);
  const std::string odd = "k\"ey,{a}\\ 'x' NULL \xc3\xa9";
  RequestRecord weird = Request(odd, 7, "id\"},{\\");
  weird.endpoint = "/v1/\"quoted\"/{x},y";
  std::vector<RequestRecord> requests = {weird};
  std::vector<DailyUsage> counts = {Count(odd, 3, 1)};
  for (int k = 0; k < 20; ++k) {
    counts.push_back(Count("key_" + std::to_string(k), 4, k));
    for (int i = 0; i < 30; ++i) {
      requests.push_back(Request("key_" + std::to_string(k), i, "r" + std::to_string(i)));
    }
  }
  ASSERT_TRUE(store->Add(counts, requests, 25).ok());
  auto recent = store->Recent(odd, 10);
  ASSERT_TRUE(recent.ok()) << recent.status().ToString();
  ASSERT_EQ(recent->size(), 1u);
  EXPECT_EQ((*recent)[0], weird);
  auto daily = store->Daily(odd, 0, 10);
  ASSERT_TRUE(daily.ok());
  ASSERT_EQ(daily->size(), 1u);
  EXPECT_EQ((*daily)[0].ok, 1);
  for (int k = 0; k < 20; ++k) {
    const std::string key = "key_" + std::to_string(k);
    auto r = store->Recent(key, 100);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 25u) << key;
    EXPECT_EQ((*r)[0].request_id, "r29");
    EXPECT_EQ((*r)[24].request_id, "r5");
    auto d = store->Daily(key, 4, 4);
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d->size(), 1u);
    EXPECT_EQ((*d)[0].ok, k);
    EXPECT_EQ((*d)[0].credits, 2 * k);
  }
}

}  // namespace
}  // namespace soundtrend::store
