// ParseRedisUrl (redis_url.h): the forms serve --redis takes and what it refuses; a
// refusal's message never shows the password.
#include "store/redis/redis_url.h"

#include <gtest/gtest.h>

namespace soundtrend::store::redis {
namespace {

TEST(RedisUrlTest, ParsesHostAndPortAndRefusesTheRest) {
  auto a = ParseRedisUrl("redis://127.0.0.1:6390");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6390);
  EXPECT_EQ(a->user, "");
  EXPECT_EQ(a->password, "");
  EXPECT_EQ(a->db, 0);
  auto b = ParseRedisUrl("redis://cache.internal/");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "cache.internal");
  EXPECT_EQ(b->port, 6379);
  EXPECT_FALSE(ParseRedisUrl("127.0.0.1:6379").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://:6379").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:0").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:99999").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:63x9").ok());
  EXPECT_FALSE(ParseRedisUrl("http://h:6379").ok());
}

TEST(RedisUrlTest, PasswordUserAndDatabase) {
  auto p = ParseRedisUrl("redis://:s3cret@10.0.0.5:6380/2");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->host, "10.0.0.5");
  EXPECT_EQ(p->port, 6380);
  EXPECT_EQ(p->user, "");  // AUTH s3cret (the default user)
  EXPECT_EQ(p->password, "s3cret");
  EXPECT_EQ(p->db, 2);
  auto u = ParseRedisUrl("redis://limiter:pw@cache.internal/15");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->host, "cache.internal");
  EXPECT_EQ(u->port, 6379);
  EXPECT_EQ(u->user, "limiter");  // AUTH limiter pw (an ACL user)
  EXPECT_EQ(u->password, "pw");
  EXPECT_EQ(u->db, 15);
  // Percent-encoded, and a password with raw ':' '@' '/' still splits at the last '@'.
  auto e = ParseRedisUrl("redis://us%65r:p%40ss%3Aw%2Fd@h:1/0");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->user, "user");
  EXPECT_EQ(e->password, "p@ss:w/d");
  EXPECT_EQ(e->db, 0);
  auto raw = ParseRedisUrl("redis://:a:b@c/d@h:7/3");
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_EQ(raw->password, "a:b@c/d");
  EXPECT_EQ(raw->host, "h");
  EXPECT_EQ(raw->port, 7);
  EXPECT_EQ(raw->db, 3);
  // The database alone, and the trailing slash.
  auto d = ParseRedisUrl("redis://h:6379/4");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->db, 4);
  EXPECT_EQ(d->password, "");
  EXPECT_EQ(ParseRedisUrl("redis://:pw@h:6379/")->db, 0);
  // IPv6 in brackets.
  auto v6 = ParseRedisUrl("redis://:pw@[::1]:6390/1");
  ASSERT_TRUE(v6.ok()) << v6.status().ToString();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 6390);
  EXPECT_EQ(ParseRedisUrl("redis://[fd00::7]")->port, 6379);
  EXPECT_FALSE(ParseRedisUrl("redis://::1:6379").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://[::1:6379").ok());

  EXPECT_FALSE(ParseRedisUrl("redis://h:6379/x").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:6379/-1").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:6379/1/2").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:6379/?db=1").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://user@h:6379").ok());  // a user, no password
  EXPECT_FALSE(ParseRedisUrl("redis://user:@h:6379").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://:pw%4@h").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://:pw@").ok());
}

TEST(RedisUrlTest, TlsIsRefusedClearly) {
  auto tls = ParseRedisUrl("rediss://:pw@h:6379");
  ASSERT_FALSE(tls.ok());
  EXPECT_EQ(tls.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(tls.status().message().find("TLS (rediss://) is not supported"), std::string::npos)
      << tls.status().message();
}

// Every refusal names the URL with the password masked.
TEST(RedisUrlTest, MessagesNeverShowThePassword) {
  for (const char* url :
       {"rediss://:topsecret@h:6379", "redis://u:topsecret@h:0", "redis://:topsecret@h/x",
        "redis://:topsecret@h?db=2", "redis://u:topsecret@", "redis://:top%secret@h"}) {
    auto r = ParseRedisUrl(url);
    ASSERT_FALSE(r.ok()) << url;
    const std::string message(r.status().message());
    EXPECT_EQ(message.find("secret"), std::string::npos) << message;
    EXPECT_NE(message.find(":***@"), std::string::npos) << message;
  }
  EXPECT_EQ(RedactRedisUrl("redis://u:pw@h:1/2"), "redis://u:***@h:1/2");
  EXPECT_EQ(RedactRedisUrl("redis://:a@b@h"), "redis://:***@h");
  EXPECT_EQ(RedactRedisUrl("redis://h:1"), "redis://h:1");
}

}  // namespace
}  // namespace soundtrend::store::redis
