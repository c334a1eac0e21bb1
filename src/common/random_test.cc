#include "common/random.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace soundtrend {
namespace {

TEST(RandomTest, Base62HasOnlyAlphabetAndLength) {
  SeededRandom r(7);
  const std::string s = r.Base62(1000);
  ASSERT_EQ(s.size(), 1000u);
  std::set<char> seen(s.begin(), s.end());
  for (char c : seen) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << c;
  EXPECT_GT(seen.size(), 55u);  // 1000 draws over 62 symbols hit nearly all of them
}

TEST(RandomTest, SeededIsRepeatableSecureIsNot) {
  SeededRandom a(1), b(1);
  EXPECT_EQ(a.Base62(40), b.Base62(40));
  EXPECT_NE(SecureRandom::Instance().Base62(40), SecureRandom::Instance().Base62(40));
}

// Fills with 0x00, 0x01, ...: the uuid shows every byte in order, with the version and
// variant bits set.
class CountingRandom final : public RandomSource {
 public:
  void Fill(std::span<uint8_t> out) override {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i);
  }
};

TEST(RandomTest, UuidV4ShowsTheBytesInOrder) {
  CountingRandom r;
  EXPECT_EQ(r.UuidV4(), "00010203-0405-4607-8809-0a0b0c0d0e0f");
}

TEST(RandomTest, UuidV4Format) {
  const std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 100; ++i)
    EXPECT_TRUE(std::regex_match(SecureRandom::Instance().UuidV4(), re));
}

}  // namespace
}  // namespace soundtrend
