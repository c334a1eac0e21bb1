#include "store/varint.h"

#include <gtest/gtest.h>

#include <limits>

namespace soundtrend::store {
namespace {

TEST(VarintTest, RoundTripsBoundaryValues) {
  const uint64_t values[] = {
      0, 1, 127, 128, 16383, 16384, uint64_t{1} << 35, std::numeric_limits<uint64_t>::max()};
  std::string out;
  for (uint64_t v : values) PutVarint(out, v);
  EXPECT_EQ(out.size(), 1 + 1 + 1 + 2 + 2 + 3 + 6 + 10u);
  VarintDecoder d(out);
  for (uint64_t v : values) {
    uint64_t got = 0;
    ASSERT_TRUE(d.Varint(&got));
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(d.done());
}

TEST(VarintTest, ZigZagKeepsSmallMagnitudesShort) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{-64}, int64_t{63},
                    std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(UnZigZag(ZigZag(v)), v);
  }
  EXPECT_EQ(ZigZag(-1), 1u);
  EXPECT_EQ(ZigZag(1), 2u);
  EXPECT_LT(ZigZag(-64), 128u);
}

TEST(VarintTest, TruncatedInputFailsAndLeavesTheOutputAlone) {
  std::string out;
  PutVarint(out, 300);
  VarintDecoder d(std::string_view(out).substr(0, 1));
  uint64_t got = 7;
  EXPECT_FALSE(d.Varint(&got));
  EXPECT_EQ(got, 7u);
  std::string_view bytes;
  VarintDecoder e("ab");
  EXPECT_FALSE(e.Bytes(3, &bytes));
  EXPECT_TRUE(e.Bytes(2, &bytes));
  EXPECT_EQ(bytes, "ab");
}

}  // namespace
}  // namespace soundtrend::store
