#include "ledger/charge_lane.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace soundtrend::ledger {
namespace {

struct Charge {
  std::string key_id, request_id, endpoint;
  int64_t time_micros = 0, cost = 0;
  bool operator==(const Charge&) const = default;
};

Charge Nth(int i) {
  return {"key_" + std::to_string(i % 3), "req-" + std::to_string(i), "/v1/tiktok/trending/music",
          1'700'000'000'000'000 + i, 2 + i % 2};
}

LaneCharge View(const Charge& c) {
  return {c.key_id, c.request_id, c.endpoint, c.time_micros, c.cost};
}

Charge Own(std::string_view payload) {
  LaneCharge c;
  EXPECT_TRUE(ChargeLane::Decode(payload, &c).ok());
  return {std::string(c.key_id), std::string(c.request_id), std::string(c.endpoint), c.time_micros,
          c.cost};
}

class ChargeLaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("st_lane_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    prefix_ = (dir_ / "db-charges.").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<ChargeLane> MakeLane(uint32_t lane, uint32_t first_segment,
                                       uint32_t segment_bytes = 4096) {
    auto l = ChargeLane::Create(prefix_, lane, first_segment, {segment_bytes});
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    return l.ok() ? std::move(l).value() : nullptr;
  }

  static std::vector<Charge> Read(const ChargeLane& lane, LanePosition from, LanePosition to) {
    std::vector<Charge> out;
    EXPECT_TRUE(lane.ForEach(from, to,
                             [&](std::string_view p) {
                               out.push_back(Own(p));
                               return Status::Ok();
                             })
                    .ok());
    return out;
  }

  // What another process finds on disk: every record of every segment of `lane` from `from`.
  std::vector<std::pair<LanePosition, Charge>> ReadFiles(uint32_t lane, LanePosition from = 0) {
    std::vector<std::pair<LanePosition, Charge>> out;
    auto found = ChargeLane::FindSegments(prefix_);
    EXPECT_TRUE(found.ok());
    for (uint32_t segment : (*found)[lane]) {
      EXPECT_TRUE(ChargeLane::ReadSegmentFile(ChargeLane::SegmentPath(prefix_, lane, segment),
                                              segment, from,
                                              [&](LanePosition end, std::string_view p) {
                                                out.emplace_back(end, Own(p));
                                                return Status::Ok();
                                              })
                      .ok());
    }
    return out;
  }

  std::filesystem::path dir_;
  std::string prefix_;
};

TEST_F(ChargeLaneTest, AppendedChargesReadBackInOrder) {
  auto lane = MakeLane(0, 1, 1 << 20);
  ASSERT_TRUE(lane);
  const LanePosition start = lane->end();
  EXPECT_EQ(start, MakeLanePosition(1, 0));
  EXPECT_EQ(lane->start(), start);
  std::vector<Charge> written;
  for (int i = 0; i < 10; ++i) {
    written.push_back(Nth(i));
    ASSERT_TRUE(lane->Append(View(written.back())).ok());
  }
  EXPECT_EQ(Read(*lane, start, lane->end()), written);
  // A window in the middle: from a position the lane returned.
  const LanePosition middle = lane->end();
  Charge later = Nth(10);
  later.request_id = "550e8400-e29b-41d4-a716-446655440000";
  ASSERT_TRUE(lane->Append(View(later)).ok());
  EXPECT_EQ(Read(*lane, middle, lane->end()), std::vector<Charge>{later});
}

TEST_F(ChargeLaneTest, SegmentsRollOverAndReleaseDeletesTheMovedOnes) {
  auto lane = MakeLane(3, 7);
  ASSERT_TRUE(lane);
  std::vector<Charge> written;
  for (int i = 0; i < 200; ++i) {  // ~80 bytes each: several 4 KiB segments
    written.push_back(Nth(i));
    ASSERT_TRUE(lane->Append(View(written.back())).ok());
  }
  const LanePosition end = lane->end();
  EXPECT_GT(LaneSegment(end), 9u);
  EXPECT_EQ(Read(*lane, lane->start(), end), written);
  auto found = ChargeLane::FindSegments(prefix_);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->count(3), 1u);
  EXPECT_EQ((*found)[3].front(), 7u);
  EXPECT_EQ((*found)[3].back(), LaneSegment(end));

  ASSERT_TRUE(lane->Release(end).ok());
  found = ChargeLane::FindSegments(prefix_);
  // Two moved segments stay as spares (under their old numbers), the others are deleted.
  EXPECT_EQ((*found)[3], (std::vector<uint32_t>{7, 8, LaneSegment(end)}));
  // Appends go on after a release, and the lane can be read from where it was released.
  ASSERT_TRUE(lane->Append(View(Nth(500))).ok());
  EXPECT_EQ(Read(*lane, end, lane->end()), std::vector<Charge>{Nth(500)});
  ASSERT_TRUE(lane->Retire().ok());
  found = ChargeLane::FindSegments(prefix_);
  EXPECT_TRUE(found->empty());
}

TEST_F(ChargeLaneTest, AnotherProcessReadsTheFilesAfterTheWriterDies) {
  std::vector<LanePosition> ends;
  {
    auto lane = MakeLane(0, 1);
    ASSERT_TRUE(lane);
    for (int i = 0; i < 120; ++i) {
      ASSERT_TRUE(lane->Append(View(Nth(i))).ok());
      ends.push_back(lane->end());
    }
  }  // no Retire: what a killed process leaves
  auto all = ReadFiles(0);
  ASSERT_EQ(all.size(), 120u);
  for (int i = 0; i < 120; ++i) {
    EXPECT_EQ(all[i].first, ends[i]);
    EXPECT_EQ(all[i].second, Nth(i));
  }
  // From a position: only what follows it (a store's "moved up to here" marker).
  auto rest = ReadFiles(0, ends[99]);
  ASSERT_EQ(rest.size(), 20u);
  EXPECT_EQ(rest.front().second, Nth(100));
  EXPECT_TRUE(ReadFiles(0, ends.back()).empty());
  // A new lane over an existing segment is refused.
  EXPECT_EQ(ChargeLane::Create(prefix_, 0, 1, {4096}).status().code(),
            Status::Code::kAlreadyExists);
  EXPECT_TRUE(MakeLane(1, 1));  // another lane number is another series of files
}

TEST_F(ChargeLaneTest, ATornRecordEndsTheSegment) {
  LanePosition before_last = 0;
  {
    auto lane = MakeLane(0, 1, 1 << 20);
    ASSERT_TRUE(lane);
    for (int i = 0; i < 5; ++i) {
      before_last = lane->end();
      ASSERT_TRUE(lane->Append(View(Nth(i))).ok());
    }
  }
  const std::string path = ChargeLane::SegmentPath(prefix_, 0, 1);
  {  // one payload byte of the last record damaged: its CRC no longer matches
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(LaneOffset(before_last) + 8 + 2);
    f.put('#');
  }
  auto all = ReadFiles(0);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all.back().first, before_last);
  {  // a length that runs past the file
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    const uint32_t huge = 1u << 30;
    f.write(reinterpret_cast<const char*>(&huge), 4);
  }
  EXPECT_TRUE(ReadFiles(0).empty());
}

TEST_F(ChargeLaneTest, RefusesFieldsLongerThan255BytesAndDecodeRefusesGarbage) {
  auto lane = MakeLane(0, 1);
  ASSERT_TRUE(lane);
  const LanePosition end = lane->end();
  Charge c = Nth(1);
  c.request_id = std::string(256, 'r');
  EXPECT_EQ(lane->Append(View(c)).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(lane->end(), end);
  c.request_id = std::string(255, 'r');
  EXPECT_TRUE(lane->Append(View(c)).ok());
  EXPECT_EQ(Read(*lane, end, lane->end()), std::vector<Charge>{c});
  LaneCharge out;
  EXPECT_EQ(ChargeLane::Decode("", &out).code(), Status::Code::kCorruption);
  EXPECT_EQ(ChargeLane::Decode(std::string("\x05"
                                           "ab",
                                           3),
                               &out)
                .code(),
            Status::Code::kCorruption);
}

TEST(ChargeLaneChecksumTest, IsCrc32cWithTheCpuOrWithout) {
  // The standard check value of CRC-32C (iSCSI, RFC 3720): files read the same on any CPU.
  EXPECT_EQ(ChargeLane::Crc32c(0, "123456789"), 0xE3069283u);
  EXPECT_EQ(ChargeLane::Crc32cPortable(0, "123456789"), 0xE3069283u);
  std::string data;
  for (int i = 0; i < 100; ++i) {
    data.push_back(static_cast<char>(i * 37));
    EXPECT_EQ(ChargeLane::Crc32c(7, data), ChargeLane::Crc32cPortable(7, data)) << i;
  }
  EXPECT_NE(ChargeLane::Crc32c(7, data), ChargeLane::Crc32c(8, data));  // seeded by segment
}

// The writer appends while a mover reads up to end() and releases what it read: every
// charge is seen once, in order, and the released segments are gone.
TEST_F(ChargeLaneTest, AMoverReadsWhileTheWriterAppends) {
  auto lane = MakeLane(0, 1);
  ASSERT_TRUE(lane);
  constexpr int kCharges = 20000;
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (int i = 0; i < kCharges; ++i) ASSERT_TRUE(lane->Append(View(Nth(i))).ok());
    writing = false;
  });
  int seen = 0;
  bool in_order = true;
  LanePosition moved = lane->start();
  for (;;) {
    const bool last_round = !writing.load();
    const LanePosition end = lane->end();
    ASSERT_TRUE(lane->ForEach(moved, end,
                              [&](std::string_view p) {
                                in_order = in_order && Own(p) == Nth(seen);
                                ++seen;
                                return Status::Ok();
                              })
                    .ok());
    ASSERT_TRUE(lane->Release(end).ok());
    moved = end;
    if (last_round) break;
  }
  writer.join();
  EXPECT_EQ(seen, kCharges);
  EXPECT_TRUE(in_order);
  auto found = ChargeLane::FindSegments(prefix_);
  EXPECT_LE((*found)[0].size(), 3u);  // the current segment and at most two spares
  EXPECT_EQ((*found)[0].back(), LaneSegment(moved));
}

// Moved segments are reused as later ones: what a crash leaves then reads back as the new
// records only, never the old ones still in the reused files.
TEST_F(ChargeLaneTest, ReusedSegmentsNeverShowTheirOldRecords) {
  auto lane = MakeLane(0, 1);
  ASSERT_TRUE(lane);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(lane->Append(View(Nth(i))).ok());
  const LanePosition moved = lane->end();
  ASSERT_TRUE(lane->Release(moved).ok());
  auto before = ChargeLane::FindSegments(prefix_);
  ASSERT_EQ((*before)[0].size(), 3u);  // two spares and the current segment
  std::vector<std::pair<LanePosition, Charge>> written;
  for (int i = 1000; i < 1150; ++i) {  // fills the current segment and two more: the spares
    Charge c = Nth(i);
    c.request_id = "new-" + std::to_string(i);
    ASSERT_TRUE(lane->Append(View(c)).ok());
    written.emplace_back(lane->end(), c);
  }
  EXPECT_EQ(LaneSegment(lane->end()), LaneSegment(moved) + 2);
  auto after = ChargeLane::FindSegments(prefix_);
  EXPECT_EQ((*after)[0], (std::vector<uint32_t>{LaneSegment(moved), LaneSegment(moved) + 1,
                                                LaneSegment(moved) + 2}));  // no new file
  EXPECT_EQ(Read(*lane, moved, lane->end()).size(), written.size());
  lane.reset();  // as a killed process leaves it
  EXPECT_EQ(ReadFiles(0, moved), written);
}

}  // namespace
}  // namespace soundtrend::ledger
