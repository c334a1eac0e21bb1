#include "common/status.h"

#include <gtest/gtest.h>

namespace soundtrend {
namespace {

Status FailsWhen(bool fail) {
  ST_RETURN_IF_ERROR(fail ? Status::NotFound("x") : Status::Ok());
  return Status::AlreadyExists("reached the end");
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = Status::InvalidArgument("page must be >= 1");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.ToString(), "InvalidArgument: page must be >= 1");
}

TEST(StatusTest, ReturnIfErrorStopsEarly) {
  EXPECT_EQ(FailsWhen(true).code(), Status::Code::kNotFound);
  EXPECT_EQ(FailsWhen(false).code(), Status::Code::kAlreadyExists);
}

TEST(ResultTest, HoldsValueOrStatus) {
  Result<int> good = 42;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  Result<int> bad = Status::IoError("disk");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "disk");
}

}  // namespace
}  // namespace soundtrend
