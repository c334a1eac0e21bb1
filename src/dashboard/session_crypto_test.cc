#include "dashboard/session_crypto.h"

#include <gtest/gtest.h>

#include <set>

namespace soundtrend::dashboard {
namespace {

TEST(SessionCryptoTest, TokensAreWellFormedAndDistinct) {
  SeededRandom random(7);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string t = NewSessionToken(random);
    EXPECT_EQ(t.size(), 43u);
    EXPECT_TRUE(IsWellFormedToken(t)) << t;
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_FALSE(IsWellFormedToken(""));
  EXPECT_FALSE(IsWellFormedToken(std::string(43, '=')));
  EXPECT_FALSE(IsWellFormedToken(std::string(44, 'a')));
}

TEST(SessionCryptoTest, DerivedValuesDependOnTheTokenAndRevealIt) {
  SeededRandom random(1);
  const std::string a = NewSessionToken(random);
  const std::string b = NewSessionToken(random);
  EXPECT_EQ(SessionIdHash(a).size(), 64u);
  EXPECT_EQ(SessionIdHash(a), SessionIdHash(a));
  EXPECT_NE(SessionIdHash(a), SessionIdHash(b));
  EXPECT_NE(CsrfTokenFor(a), CsrfTokenFor(b));
  EXPECT_EQ(CsrfTokenFor(a).size(), 43u);
  // Neither derived value holds the token, nor are they the same value.
  EXPECT_EQ(SessionIdHash(a).find(a), std::string::npos);
  EXPECT_NE(CsrfTokenFor(a), a);
  EXPECT_NE(SessionIdHash(a), CsrfTokenFor(a));
}

TEST(SessionCryptoTest, SealedSecretOpensOnlyUnderItsTokenAndUnaltered) {
  SeededRandom random(3);
  const std::string token = NewSessionToken(random);
  const std::string other = NewSessionToken(random);
  const std::string key = "sk_live_abcdefghijklmnopqrstuvwxyz0123456789";
  const std::string sealed = SealSecret(token, key, random);
  EXPECT_EQ(sealed.find(key), std::string::npos);
  EXPECT_EQ(sealed.find("sk_live_"), std::string::npos);
  auto opened = OpenSecret(token, sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, key);
  EXPECT_EQ(OpenSecret(other, sealed).status().code(), Status::Code::kUnauthenticated);
  std::string altered = sealed;
  altered[20] ^= 1;
  EXPECT_EQ(OpenSecret(token, altered).status().code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(OpenSecret(token, "short").status().code(), Status::Code::kUnauthenticated);
  // A fresh nonce each time: the same secret seals differently.
  EXPECT_NE(SealSecret(token, key, random), sealed);
}

TEST(SessionCryptoTest, Base64UrlMatchesRfc4648Vectors) {
  EXPECT_EQ(Base64Url(""), "");
  EXPECT_EQ(Base64Url("f"), "Zg");
  EXPECT_EQ(Base64Url("fo"), "Zm8");
  EXPECT_EQ(Base64Url("foo"), "Zm9v");
  EXPECT_EQ(Base64Url("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Url("\xfb\xff"), "-_8");
}

TEST(SessionCryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
}

}  // namespace
}  // namespace soundtrend::dashboard
