#include "demo/names.h"

#include <gtest/gtest.h>

#include <set>

#include "common/json_writer.h"

namespace soundtrend::demo {
namespace {

bool HasNonAscii(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return true;
  return false;
}

TEST(DemoNamesTest, NamesAreNonEmptyValidUtf8AndSomeAreNonAscii) {
  std::mt19937_64 rng(7);
  int non_ascii_titles = 0, non_ascii_artists = 0;
  for (int i = 0; i < 5000; ++i) {
    const std::string title = MakeSongTitle(rng);
    const std::string artist = MakeArtistName(rng);
    const std::string user = MakeUserName(rng);
    ASSERT_FALSE(title.empty());
    ASSERT_FALSE(artist.empty());
    ASSERT_FALSE(user.empty());
    ASSERT_TRUE(json::IsValidUtf8(title)) << title;
    ASSERT_TRUE(json::IsValidUtf8(artist)) << artist;
    ASSERT_FALSE(HasNonAscii(user)) << user;
    non_ascii_titles += HasNonAscii(title);
    non_ascii_artists += HasNonAscii(artist);
  }
  EXPECT_GT(non_ascii_titles, 100);
  EXPECT_GT(non_ascii_artists, 100);
}

TEST(DemoNamesTest, SameEngineStateGivesSameNames) {
  std::mt19937_64 a(99), b(99), c(100);
  std::vector<std::string> from_a, from_b, from_c;
  for (int i = 0; i < 50; ++i) {
    from_a.push_back(MakeSongTitle(a) + "|" + MakeArtistName(a));
    from_b.push_back(MakeSongTitle(b) + "|" + MakeArtistName(b));
    from_c.push_back(MakeSongTitle(c) + "|" + MakeArtistName(c));
  }
  EXPECT_EQ(from_a, from_b);
  EXPECT_NE(from_a, from_c);
}

TEST(DemoNamesTest, NamesAreVaried) {
  std::mt19937_64 rng(1);
  std::set<std::string> titles, artists;
  for (int i = 0; i < 2000; ++i) {
    titles.insert(MakeSongTitle(rng));
    artists.insert(MakeArtistName(rng));
  }
  EXPECT_GT(titles.size(), 800u);
  EXPECT_GT(artists.size(), 800u);
}

}  // namespace
}  // namespace soundtrend::demo
