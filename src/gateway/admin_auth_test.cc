#include "gateway/admin_auth.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace soundtrend::gateway {
namespace {

TEST(AdminAuthTest, AcceptsOnlyTheExactToken) {
  AdminAuth auth("admin-secret-token");
  EXPECT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.IsAuthorized("Bearer admin-secret-token"));
  EXPECT_FALSE(auth.IsAuthorized("Bearer admin-secret-tokeN"));
  EXPECT_FALSE(auth.IsAuthorized("Bearer admin-secret-toke"));
  EXPECT_FALSE(auth.IsAuthorized("Bearer admin-secret-token2"));
  EXPECT_FALSE(auth.IsAuthorized("admin-secret-token"));
  EXPECT_FALSE(auth.IsAuthorized(""));
}

TEST(AdminAuthTest, DisabledWithoutToken) {
  AdminAuth auth("");
  EXPECT_FALSE(auth.enabled());
  EXPECT_FALSE(auth.IsAuthorized("Bearer "));
  EXPECT_FALSE(auth.IsAuthorized("Bearer x"));
}

TEST(AdminAuthTest, NeverAcceptsACustomerKey) {
  AdminAuth misconfigured("sk_live_0123456789012345678901234567890123456789");
  EXPECT_FALSE(misconfigured.enabled());
  EXPECT_FALSE(
      misconfigured.IsAuthorized("Bearer sk_live_0123456789012345678901234567890123456789"));
}

TEST(AdminAuthTest, FromEnvironment) {
  setenv("SOUNDTREND_ADMIN_TOKEN", "from-env-token", 1);
  AdminAuth auth = AdminAuth::FromEnvironment();
  EXPECT_TRUE(auth.IsAuthorized("Bearer from-env-token"));
  unsetenv("SOUNDTREND_ADMIN_TOKEN");
  EXPECT_FALSE(AdminAuth::FromEnvironment().enabled());
}

}  // namespace
}  // namespace soundtrend::gateway
