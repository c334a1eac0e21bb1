#include "store/charge_block.h"

#include <gtest/gtest.h>

#include <vector>

namespace soundtrend::store {
namespace {

std::vector<LedgerEntry> DecodeAll(std::string_view block, int64_t first_seq,
                                   std::string_view key_id = {}) {
  std::vector<LedgerEntry> out;
  Status st = DecodeChargeBlock(block, first_seq, key_id, [&](const LedgerEntry& e) {
    out.push_back(e);
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

TEST(ChargeBlockTest, RoundTripsEveryFieldInOrderWithConsecutiveSeqs) {
  const std::vector<PackedCharge> charges = {
      {"key_a", "req-1", "/v1/tiktok/trending/music", 1'770'000'000'000'005, 2, 98},
      {"key_b", "req-2", "/v1/account", 1'770'000'000'000'001, 5, 1'000'000'000'000},
      {"key_a", "req-3", "/v1/tiktok/trending/music", 1'770'000'000'000'009, 2, 96},
  };
  std::string block;
  EncodeChargeBlock(charges, block);
  const std::vector<LedgerEntry> got = DecodeAll(block, 41);
  ASSERT_EQ(got.size(), 3u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].seq, 41 + static_cast<int64_t>(i));
    EXPECT_EQ(got[i].kind, LedgerKind::kCharge);
    EXPECT_EQ(got[i].key_id, charges[i].key_id);
    EXPECT_EQ(got[i].reference, charges[i].request_id);
    EXPECT_EQ(got[i].endpoint, charges[i].endpoint);
    EXPECT_EQ(got[i].time_micros, charges[i].time_micros);  // the second goes back in time
    EXPECT_EQ(got[i].amount, -charges[i].cost);
    EXPECT_EQ(got[i].balance_after, charges[i].balance_after);
  }
  EXPECT_EQ(*ChargeBlockCount(block), 3);
}

TEST(ChargeBlockTest, KeyFilterKeepsSeqsOfTheWholeBlock) {
  const std::vector<PackedCharge> charges = {
      {"key_a", "r1", "/e", 10, 2, 8},
      {"key_b", "r2", "/e", 11, 2, 8},
      {"key_a", "r3", "/e", 12, 2, 6},
  };
  std::string block;
  EncodeChargeBlock(charges, block);
  const std::vector<LedgerEntry> a = DecodeAll(block, 100, "key_a");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].seq, 100);
  EXPECT_EQ(a[1].seq, 102);
  EXPECT_EQ(a[1].reference, "r3");
  EXPECT_TRUE(DecodeAll(block, 100, "key_c").empty());
}

TEST(ChargeBlockTest, RepeatedKeysAndEndpointsAreStoredOnce) {
  std::vector<PackedCharge> charges;
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) ids.push_back("00000000-0000-4000-8000-" + std::to_string(i));
  for (int i = 0; i < 100; ++i) {
    charges.push_back({"key_0123456789ab", ids[i], "/v1/tiktok/trending/music", 1000 + i, 2, i});
  }
  std::string block;
  EncodeChargeBlock(charges, block);
  // Per charge: the request id and a handful of varint bytes, no key id or endpoint.
  EXPECT_LT(block.size(), 100 * (ids[99].size() + 8));
  EXPECT_EQ(DecodeAll(block, 1).size(), 100u);
}

TEST(ChargeBlockTest, UuidRequestIdsTakeSixteenBytesAndOtherIdsComeBackExactly) {
  const std::string uuid = "0f8e2b6a-1c3d-4e5f-8a9b-0c1d2e3f4a5b";
  std::string one_uuid, one_text;
  EncodeChargeBlock(std::vector<PackedCharge>{{"k", uuid, "/e", 1, 2, 3}}, one_uuid);
  const std::string upper = "0F8E2B6A-1C3D-4E5F-8A9B-0C1D2E3F4A5B";
  EncodeChargeBlock(std::vector<PackedCharge>{{"k", upper, "/e", 1, 2, 3}}, one_text);
  EXPECT_EQ(one_text.size() - one_uuid.size(), 36u + 1 - (16 + 1));
  const std::vector<PackedCharge> charges = {
      {"k", uuid, "/e", 1, 2, 3},
      {"k", upper, "/e", 2, 2, 1},
      {"k", "", "/e", 3, 1, 0},
      {"k", "0f8e2b6a-1c3d-4e5f-8a9b-0c1d2e3f4a5", "/e", 4, 1, 0},   // 35 characters
      {"k", "0f8e2b6a_1c3d-4e5f-8a9b-0c1d2e3f4a5b", "/e", 5, 1, 0},  // no dash at 8
  };
  std::string block;
  EncodeChargeBlock(charges, block);
  const std::vector<LedgerEntry> got = DecodeAll(block, 1);
  ASSERT_EQ(got.size(), charges.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].reference, charges[i].request_id) << i;
}

TEST(ChargeBlockTest, GroupsBackToBackDecodeInOrderWithSeqsContinuing) {
  std::string first, second;
  EncodeChargeBlock(
      std::vector<PackedCharge>{{"key_a", "r1", "/e", 100, 2, 8}, {"key_a", "r2", "/e", 101, 2, 6}},
      first);
  EncodeChargeBlock(std::vector<PackedCharge>{{"key_b", "r3", "/f", 50, 1, 9}}, second);
  const std::vector<LedgerEntry> got = DecodeAll(first + second, 10);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2].seq, 12);
  EXPECT_EQ(got[2].key_id, "key_b");
  EXPECT_EQ(got[2].endpoint, "/f");
  EXPECT_EQ(got[2].time_micros, 50);  // each group's times start from 0 again
  EXPECT_EQ(got[1].time_micros, 101);
  EXPECT_EQ(DecodeAll(first + second, 10, "key_b").front().seq, 12);
  // A group cut short is still Corruption.
  Status st = DecodeChargeBlock(first + second.substr(0, second.size() - 1), 1, {},
                                [](const LedgerEntry&) { return Status::Ok(); });
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
}

TEST(ChargeBlockTest, StopsAtTheFirstErrorOfTheCallback) {
  const std::vector<PackedCharge> charges = {{"k", "r1", "/e", 1, 2, 4},
                                             {"k", "r2", "/e", 2, 2, 2}};
  std::string block;
  EncodeChargeBlock(charges, block);
  int calls = 0;
  Status st = DecodeChargeBlock(block, 1, {}, [&](const LedgerEntry&) {
    ++calls;
    return Status::Internal("stop");
  });
  EXPECT_EQ(st.code(), Status::Code::kInternal);
  EXPECT_EQ(calls, 1);
}

TEST(ChargeBlockTest, ACostOrBalanceOutOfRangeIsCorruption) {
  // Found by fuzz/charge_log_fuzz.cc (issue 12): a cost varint past INT64_MAX decoded into
  // a negative cost, i.e. a charge that adds credits.
  for (auto [cost, balance] :
       {std::pair<int64_t, int64_t>{-1, 5}, {0, 5}, {INT64_MIN, 5}, {2, -1}}) {
    PackedCharge c;
    c.key_id = "key_000000000001";
    c.endpoint = "/v1/x";
    c.request_id = "r";
    c.cost = cost;
    c.balance_after = balance;
    std::string block;
    EncodeChargeBlock(std::span<const PackedCharge>(&c, 1), block);
    const Status st = ForEachPackedCharge(block, [](const PackedCharge&) { return Status::Ok(); });
    EXPECT_EQ(st.code(), Status::Code::kCorruption) << cost << " " << balance;
  }
}

TEST(ChargeBlockTest, TimesAtTheEndsOfInt64RoundTripWithoutOverflow) {
  // Found by fuzz/charge_log_fuzz.cc (issue 12): summing the time deltas of a damaged
  // block overflowed int64 (undefined behaviour; UBSan in the debug preset). The deltas
  // are now modulo 2^64 both ways: every time encodes, every block decodes without it.
  const std::vector<int64_t> times = {INT64_MAX, INT64_MIN, 0, -1, INT64_MAX, INT64_MIN + 1};
  std::vector<PackedCharge> charges;
  for (int64_t t : times) charges.push_back({"k", "r", "/e", t, 1, 0});
  std::string block;
  EncodeChargeBlock(charges, block);
  const std::vector<LedgerEntry> got = DecodeAll(block, 1);
  ASSERT_EQ(got.size(), times.size());
  for (size_t i = 0; i < times.size(); ++i) EXPECT_EQ(got[i].time_micros, times[i]) << i;
}

TEST(ChargeBlockTest, MalformedBlocksAreCorruption) {
  const std::vector<PackedCharge> charges = {{"k", "r1", "/e", 1, 2, 4},
                                             {"k", "r2", "/e", 2, 2, 2}};
  std::string block;
  EncodeChargeBlock(charges, block);
  auto decode = [](std::string_view b) {
    return DecodeChargeBlock(b, 1, {}, [](const LedgerEntry&) { return Status::Ok(); });
  };
  ASSERT_TRUE(decode(block).ok());
  for (size_t cut = 0; cut < block.size(); ++cut) {
    EXPECT_EQ(decode(block.substr(0, cut)).code(), Status::Code::kCorruption) << cut;
  }
  EXPECT_EQ(decode(block + "x").code(), Status::Code::kCorruption);  // trailing bytes
  std::string other_version = block;
  other_version[0] = 2;
  EXPECT_EQ(decode(other_version).code(), Status::Code::kCorruption);
  EXPECT_EQ(ChargeBlockCount("").status().code(), Status::Code::kCorruption);
}

TEST(ChargeBlockEncoderTest, OneChargeAtATimeEncodesAsTheArrayAndStartsAfreshAfterFinish) {
  const std::vector<PackedCharge> first = {
      {"key_a", "550e8400-e29b-41d4-a716-446655440000", "/v1/x", 100, 2, 8},
      {"key_b", "text-id", "/v1/y", 90, 2, 6},
      {"key_a", "550e8400-e29b-41d4-a716-446655440001", "/v1/x", 120, 3, 5}};
  std::string expected, got;
  EncodeChargeBlock(first, expected);
  ChargeBlockEncoder encoder;
  encoder.Add({"key_z", "dropped", "/v1/z", 1, 1, 1});
  encoder.Reset();
  for (const PackedCharge& c : first) encoder.Add(c);
  EXPECT_EQ(encoder.size(), 3u);
  encoder.Finish(got);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(encoder.size(), 0u);
  // A second block owes nothing to the first (dictionaries and time deltas start again).
  const std::vector<PackedCharge> second = {{"key_c", "r", "/v1/z", 7, 1, 0}};
  EncodeChargeBlock(second, expected);
  encoder.Add(second[0]);
  encoder.Finish(got);
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace soundtrend::store
