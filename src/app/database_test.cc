#include "app/database.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace soundtrend::app {
namespace {

class DatabaseCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("st_dbcheck_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(DatabaseCheckTest, ExistingAccessRefusesAMissingFileAndCreatesNothing) {
  const std::string path = (dir_ / "data" / "soundtrend.db").string();
  auto r = CheckDatabase(path, DbAccess::kExisting);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(r.status().message().rfind("no database at " + path, 0), 0u) << r.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data"));
}

TEST_F(DatabaseCheckTest, CreateAccessMakesTheParentAndSaysSo) {
  const std::string path = (dir_ / "data" / "soundtrend.db").string();
  auto r = CheckDatabase(path, DbAccess::kCreate);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->created);
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / "data"));
  std::ofstream(path) << "";
  EXPECT_FALSE(CheckDatabase(path, DbAccess::kCreate)->created);
  EXPECT_TRUE(CheckDatabase(path, DbAccess::kExisting).ok());
}

TEST_F(DatabaseCheckTest, UrlsAndDirectoriesAreRefusedByName) {
  for (DbAccess access : {DbAccess::kExisting, DbAccess::kCreate}) {
    // A PostgreSQL URL is a database to connect to, never a file name (none listens on
    // port 1: Unavailable).
    auto pg = CheckDatabase("postgresql://st@127.0.0.1:1/postgres?connect_timeout=2", access);
    ASSERT_FALSE(pg.ok());
    EXPECT_EQ(pg.status().code(), Status::Code::kUnavailable);
    EXPECT_NE(pg.status().message().find("PostgreSQL"), std::string::npos);
    EXPECT_FALSE(CheckDatabase("redis://x", access).ok());
    EXPECT_FALSE(CheckDatabase(dir_.string(), access).ok());
    EXPECT_FALSE(CheckDatabase("", access).ok());
  }
  EXPECT_FALSE(std::filesystem::exists("postgresql:"));
}

}  // namespace
}  // namespace soundtrend::app
