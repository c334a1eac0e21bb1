#include "dashboard/sign_in_limiter.h"

#include <gtest/gtest.h>

namespace soundtrend::dashboard {
namespace {

TEST(SignInLimiterTest, BurstThenOneAttemptPerInterval) {
  FakeClock clock;
  SignInLimiter limiter(clock, {/*burst=*/3, /*interval_nanos=*/6'000'000'000});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.TryAttempt("10.0.0.1")) << i;
  int64_t retry = 0;
  EXPECT_FALSE(limiter.TryAttempt("10.0.0.1", &retry));
  EXPECT_EQ(retry, 6);
  clock.AdvanceSeconds(5.9);
  EXPECT_FALSE(limiter.TryAttempt("10.0.0.1", &retry));
  EXPECT_EQ(retry, 1);
  clock.AdvanceSeconds(0.1);
  EXPECT_TRUE(limiter.TryAttempt("10.0.0.1"));
  EXPECT_FALSE(limiter.TryAttempt("10.0.0.1"));
}

TEST(SignInLimiterTest, AddressesAreLimitedSeparately) {
  FakeClock clock;
  SignInLimiter limiter(clock, {2, 1'000'000'000});
  EXPECT_TRUE(limiter.TryAttempt("a"));
  EXPECT_TRUE(limiter.TryAttempt("a"));
  EXPECT_FALSE(limiter.TryAttempt("a"));
  EXPECT_TRUE(limiter.TryAttempt("b"));
  EXPECT_TRUE(limiter.TryAttempt("::1"));
}

TEST(SignInLimiterTest, RefusedAttemptsDoNotPushTheLimitFurther) {
  FakeClock clock;
  SignInLimiter limiter(clock, {1, 1'000'000'000});
  EXPECT_TRUE(limiter.TryAttempt("a"));
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(limiter.TryAttempt("a"));
  clock.AdvanceSeconds(1);
  EXPECT_TRUE(limiter.TryAttempt("a"));
}

TEST(SignInLimiterTest, ManyAddressesStayBoundedAndStillLimit) {
  FakeClock clock;
  SignInLimiter limiter(clock, {1, 1'000'000'000});
  for (int i = 0; i < 100'000; ++i) EXPECT_TRUE(limiter.TryAttempt("10." + std::to_string(i)));
  // The table was trimmed many times over; the latest address is still limited.
  EXPECT_FALSE(limiter.TryAttempt("10.99999"));
  clock.AdvanceSeconds(2);
  EXPECT_TRUE(limiter.TryAttempt("10.99999"));
}

}  // namespace
}  // namespace soundtrend::dashboard
