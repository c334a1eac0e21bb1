#include "app/buffered_log_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace soundtrend::app {
namespace {

std::string ReadAll(int fd) {
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  return text;
}

// Many threads, one pipe: every line arrives once, whole, each thread's in order.
TEST(BufferedFdSinkTest, ConcurrentLinesArriveWholeAndInThreadOrder) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::string received;
  std::thread reader([&] { received = ReadAll(fds[0]); });
  constexpr int kThreads = 4;
  constexpr int kLines = 3000;
  {
    BufferedFdSink::Options options;
    options.flush_bytes = 10000;  // several size-triggered writes, each cut into chunks
    auto sink = std::make_shared<BufferedFdSink>(fds[1], options);
    spdlog::logger logger("test", sink);
    logger.set_pattern("%v");
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&logger, t] {
        for (int i = 0; i < kLines; ++i)
          logger.info("t={} i={} {}", t, i, std::string(i % 97, 'x'));
      });
    }
    for (auto& th : threads) th.join();
  }  // the destructor writes what is left
  close(fds[1]);
  reader.join();
  close(fds[0]);

  std::map<int, int> next;  // thread -> next expected i
  std::istringstream lines(received);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    int t = -1, i = -1;
    ASSERT_EQ(std::sscanf(line.c_str(), "t=%d i=%d", &t, &i), 2) << line;
    ASSERT_EQ(line, "t=" + std::to_string(t) + " i=" + std::to_string(i) + " " +
                        std::string(i % 97, 'x'));
    ASSERT_EQ(i, next[t]) << "thread " << t;
    next[t] = i + 1;
    ++count;
  }
  EXPECT_EQ(count, kThreads * kLines);
}

TEST(BufferedFdSinkTest, BuffersInfoWritesWarningsAtOnceFlushAndDestructorWriteTheRest) {
  char path[] = "/tmp/st_log_sink_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  auto size = [&] { return std::filesystem::file_size(path); };
  {
    BufferedFdSink::Options options;
    options.flush_interval = std::chrono::hours(1);  // no timed flush during the test
    auto sink = std::make_shared<BufferedFdSink>(fd, options);
    spdlog::logger logger("test", sink);
    logger.set_pattern("%l %v");
    logger.info("request one");
    EXPECT_EQ(size(), 0u);  // buffered
    logger.warn("trouble");
    EXPECT_EQ(size(), std::string("info request one\nwarning trouble\n").size());
    logger.info("request two");
    logger.flush();
    EXPECT_EQ(size(), std::string("info request one\nwarning trouble\ninfo request two\n").size());
    logger.info("request three");
  }
  lseek(fd, 0, SEEK_SET);
  EXPECT_EQ(ReadAll(fd),
            "info request one\nwarning trouble\ninfo request two\ninfo request three\n");
  close(fd);
  unlink(path);
}

}  // namespace
}  // namespace soundtrend::app
