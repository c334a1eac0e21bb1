#include "app/logging.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace soundtrend::app {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(JsonLogFormatterTest, LinesParseAndObjectsAreMerged) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  spdlog::logger logger("soundtrend", sink);
  logger.set_formatter(MakeJsonLogFormatter());
  logger.info("loaded {} sounds \"quoted\"\n", 3);
  logger.warn(R"({"event":"request","path":"/x","query":"a=1&b=%20","status":200})");
  std::istringstream lines(out.str());
  std::string line;
  simdjson::dom::parser parser;
  ASSERT_TRUE(std::getline(lines, line));
  simdjson::dom::element first = parser.parse(line);
  EXPECT_EQ(std::string_view(first["level"]), "info");
  EXPECT_EQ(std::string_view(first["logger"]), "soundtrend");
  EXPECT_EQ(std::string_view(first["message"]), "loaded 3 sounds \"quoted\"\n");
  const std::string_view time = first["time"];
  EXPECT_EQ(time.size(), 27u) << time;  // 2026-12-01T12:00:00.123456Z
  EXPECT_EQ(time.back(), 'Z');
  ASSERT_TRUE(std::getline(lines, line));
  simdjson::dom::element second = parser.parse(line);
  EXPECT_EQ(std::string_view(second["level"]), "warning");
  EXPECT_EQ(std::string_view(second["query"]), "a=1&b=%20");
  EXPECT_EQ(int64_t(second["status"]), 200);
  EXPECT_EQ(second["message"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_FALSE(std::getline(lines, line));
}

TEST(LogFileTest, ReopenMovesTheSameDescriptorToANewFile) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("st_logfile_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "serve.log").string();
  auto file = LogFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const int fd = (*file)->fd();
  ASSERT_EQ(::write(fd, "one\n", 4), 4);
  std::filesystem::rename(path, path + ".1");  // what logrotate does
  ASSERT_EQ(::write(fd, "two\n", 4), 4);       // still the old file
  ASSERT_TRUE((*file)->Reopen().ok());
  EXPECT_EQ((*file)->fd(), fd);
  ASSERT_EQ(::write(fd, "three\n", 6), 6);
  EXPECT_EQ(Read(path + ".1"), "one\ntwo\n");
  EXPECT_EQ(Read(path), "three\n");
  EXPECT_FALSE(LogFile::Open((dir / "missing" / "x.log").string()).ok());
  // Empty path: stderr, and Reopen does nothing.
  auto stderr_file = LogFile::Open("");
  ASSERT_TRUE(stderr_file.ok());
  EXPECT_EQ((*stderr_file)->fd(), STDERR_FILENO);
  EXPECT_TRUE((*stderr_file)->Reopen().ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace soundtrend::app
