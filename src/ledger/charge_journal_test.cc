#include "ledger/charge_journal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace soundtrend::ledger {
namespace {

class ChargeJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("st_journal_" + std::to_string(getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                .string();
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }

  static std::vector<std::pair<uint64_t, std::string>> All(const ChargeJournal& j) {
    std::vector<std::pair<uint64_t, std::string>> out;
    EXPECT_TRUE(j.ForEach([&](uint64_t id, std::string_view p) {
                   out.emplace_back(id, std::string(p));
                   return Status::Ok();
                 }).ok());
    return out;
  }

  std::string path_;
};

TEST_F(ChargeJournalTest, RecordsSurviveReopenInOrderWithIncreasingIds) {
  {
    auto j = ChargeJournal::Open(path_, {});
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    EXPECT_TRUE((*j)->empty());
    EXPECT_EQ(*(*j)->Append("first"), 1u);
    EXPECT_EQ(*(*j)->Append(""), 2u);
    EXPECT_EQ(*(*j)->Append(std::string(70000, 'x')), 3u);
  }
  auto j = ChargeJournal::Open(path_, {});
  ASSERT_TRUE(j.ok());
  const auto all = All(**j);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0], std::make_pair(uint64_t{1}, std::string("first")));
  EXPECT_EQ(all[1].second, "");
  EXPECT_EQ(all[2].second.size(), 70000u);
  EXPECT_EQ((*j)->next_id(), 4u);
  EXPECT_EQ((*j)->bytes_cut(), 0u);
}

TEST_F(ChargeJournalTest, ClearKeepsIdsIncreasingAndFirstIdRaisesThem) {
  {
    auto j = ChargeJournal::Open(path_, {});
    ASSERT_TRUE((*j)->Append("a").ok());
    ASSERT_TRUE((*j)->Clear().ok());
    EXPECT_TRUE((*j)->empty());
    EXPECT_EQ(*(*j)->Append("b"), 2u);
  }
  EXPECT_EQ(std::filesystem::file_size(path_), 16u + 1);  // only "b" is left
  auto j = ChargeJournal::Open(path_, {}, /*first_id=*/10);
  EXPECT_EQ((*j)->next_id(), 10u);
}

TEST_F(ChargeJournalTest, TornOrDamagedTailIsCutOffAndAppendsFollowTheLastGoodRecord) {
  {
    auto j = ChargeJournal::Open(path_, {});
    ASSERT_TRUE((*j)->Append("kept").ok());
    ASSERT_TRUE((*j)->Append("torn record").ok());
  }
  const uintmax_t full = std::filesystem::file_size(path_);
  std::filesystem::resize_file(path_, full - 3);  // a crash in the middle of the 2nd write
  {
    auto j = ChargeJournal::Open(path_, {});
    ASSERT_TRUE(j.ok());
    EXPECT_EQ((*j)->bytes_cut(), 16u + 11 - 3);
    EXPECT_EQ(All(**j).size(), 1u);
    EXPECT_EQ(*(*j)->Append("next"), 2u);
  }
  {
    // A flipped payload byte fails the CRC: that record and everything after it go.
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(16 + 1);  // inside "kept"
    f.put('X');
  }
  auto j = ChargeJournal::Open(path_, {});
  ASSERT_TRUE(j.ok());
  EXPECT_TRUE(All(**j).empty());
  EXPECT_EQ(std::filesystem::file_size(path_), 0u);
}

TEST_F(ChargeJournalTest, ARecordWhoseIdDoesNotFollowThePreviousOneStartsTheDamagedTail) {
  {
    auto j = ChargeJournal::Open(path_, {}, /*first_id=*/41);
    ASSERT_TRUE((*j)->Append("first").ok());
    ASSERT_TRUE((*j)->Append("second").ok());
  }
  std::string bytes;
  {
    std::ifstream in(path_, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string first = bytes.substr(0, 16 + 5);
  {
    // The first record written twice (its CRC is valid: it covers its own id), then the
    // real second record.
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << first << bytes;
  }
  auto j = ChargeJournal::Open(path_, {});
  ASSERT_TRUE(j.ok());
  const auto all = All(**j);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], std::make_pair(uint64_t{41}, std::string("first")));
  EXPECT_EQ((*j)->bytes_cut(), bytes.size());
  EXPECT_EQ((*j)->next_id(), 42u);
}

TEST_F(ChargeJournalTest, OnlyOneOpenJournalHoldsTheFile) {
  auto first = ChargeJournal::Open(path_, {});
  ASSERT_TRUE(first.ok());
  auto second = ChargeJournal::Open(path_, {});
  EXPECT_EQ(second.status().code(), Status::Code::kFailedPrecondition);
  first->reset();
  EXPECT_TRUE(ChargeJournal::Open(path_, {}).ok());
}

TEST_F(ChargeJournalTest, SyncedAppendsWork) {
  auto j = ChargeJournal::Open(path_, {.sync = true});
  ASSERT_TRUE(j.ok());
  EXPECT_TRUE((*j)->Append("durable").ok());
  EXPECT_EQ(All(**j).size(), 1u);
}

}  // namespace
}  // namespace soundtrend::ledger
