// ParseRedisUrl (redis_url.h): the forms serve --redis takes and what it refuses.
#include "store/redis/redis_url.h"

#include <gtest/gtest.h>

namespace soundtrend::store::redis {
namespace {

TEST(RedisUrlTest, ParsesHostAndPortAndRefusesTheRest) {
  auto a = ParseRedisUrl("redis://127.0.0.1:6390");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6390);
  auto b = ParseRedisUrl("redis://cache.internal/");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "cache.internal");
  EXPECT_EQ(b->port, 6379);
  EXPECT_FALSE(ParseRedisUrl("127.0.0.1:6379").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://:6379").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:0").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:99999").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://user:pw@h:6379").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:6379/2").ok());
  EXPECT_FALSE(ParseRedisUrl("rediss://h:6379").ok());
}

}  // namespace
}  // namespace soundtrend::store::redis
