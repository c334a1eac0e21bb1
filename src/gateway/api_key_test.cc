#include "gateway/api_key.h"

#include <gtest/gtest.h>

#include <set>

namespace soundtrend::gateway {
namespace {

TEST(ApiKeyTest, GeneratedKeyHasPrefixAndFortyBase62Chars) {
  SeededRandom random(1);
  std::string key = GenerateApiKey(random);
  ASSERT_EQ(key.size(), 8u + 40u);
  EXPECT_EQ(key.substr(0, 8), "sk_live_");
  for (char c : key.substr(8)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << c;
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(GenerateApiKey(random));
  EXPECT_EQ(seen.size(), 100u);
}

TEST(ApiKeyTest, KeyIdShape) {
  SeededRandom random(2);
  std::string id = GenerateKeyId(random);
  EXPECT_TRUE(IsValidKeyId(id)) << id;
  EXPECT_FALSE(IsValidKeyId("key_short"));
  EXPECT_FALSE(IsValidKeyId("xey_abcdefghijkl"));
  EXPECT_FALSE(IsValidKeyId("key_abcdefghij-l"));
}

TEST(ApiKeyTest, HashIsSha256Hex) {
  // SHA-256("abc"), FIPS 180-2 test vector.
  EXPECT_EQ(HashApiKey("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_NE(HashApiKey("sk_live_a"), HashApiKey("sk_live_b"));
}

TEST(ApiKeyTest, ParseBearer) {
  EXPECT_EQ(ParseBearerToken("Bearer sk_live_x"), std::optional<std::string_view>("sk_live_x"));
  EXPECT_EQ(ParseBearerToken("bearer   tok  "), std::optional<std::string_view>("tok"));
  EXPECT_EQ(ParseBearerToken("BEARER tok"), std::optional<std::string_view>("tok"));
  EXPECT_FALSE(ParseBearerToken(""));
  EXPECT_FALSE(ParseBearerToken("Bearer"));
  EXPECT_FALSE(ParseBearerToken("Bearer "));
  EXPECT_FALSE(ParseBearerToken("Basic abc"));
  EXPECT_FALSE(ParseBearerToken("Bearertok"));
  EXPECT_FALSE(ParseBearerToken("Bearer a b"));
  EXPECT_FALSE(ParseBearerToken("sk_live_x"));
}

}  // namespace
}  // namespace soundtrend::gateway
