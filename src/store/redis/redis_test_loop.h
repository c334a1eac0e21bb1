// Test-only helpers of the Redis rate store's tests (redis_store_test, redis_auth_test):
// an event loop run by the test thread, the store's shutdown on it, and a capture of
// spdlog's default logger.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "store/redis/redis_rate_store.h"

namespace soundtrend::store::redis {

// An event loop run by the test thread.
struct TestLoop {
  boost::asio::io_context ioc{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work{
      ioc.get_executor()};

  // Runs handlers until `done` holds or `timeout` passes; returns done().
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      if (ioc.stopped()) ioc.restart();
      ioc.run_one_for(std::chrono::milliseconds(5));
    }
    return true;
  }
};

// Shuts `store` down and runs `loop` until it has nothing left: nothing of the store keeps
// a loop busy once it has closed its connection.
inline void ShutdownAndDrain(RedisRateStore& store, TestLoop& loop) {
  store.Shutdown();
  loop.work.reset();
  loop.ioc.restart();
  loop.ioc.run_for(std::chrono::milliseconds(5000));
  EXPECT_TRUE(loop.ioc.stopped()) << "the store left work on the loop";
}

// Captures spdlog's default logger's lines while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  int Count(const std::string& text) const {
    const std::string all = out_.str();
    int n = 0;
    for (size_t pos = all.find(text); pos != std::string::npos; pos = all.find(text, pos + 1)) ++n;
    return n;
  }
  std::string Text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace soundtrend::store::redis
