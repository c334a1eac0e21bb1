// A cheap spdlog sink for serve's per-request access log.
//
// spdlog's console sinks take one process-wide mutex and make one write() per line on the
// logging thread; at tens of thousands of requests per second that lock and syscall cost
// a large share of throughput. This sink keeps one buffer per logging thread (each event
// loop appends its formatted lines to its own buffer, under a mutex only that thread and
// the flusher ever take) and writes a buffer out when it reaches `flush_bytes`, when a
// line at warn level or above is logged, every `flush_interval` from a background
// thread, on flush(), and when the sink is destroyed. Nothing is dropped and the logging
// thread never waits for another logging thread.
//
// Writes go straight to `fd` (not through stdio) in chunks of at most PIPE_BUF bytes cut
// at line ends, so lines written concurrently to a pipe never interleave mid-line. Lines
// of one thread keep their order; lines of different threads may appear up to
// `flush_interval` apart from their time order. A line that is still buffered is lost if
// the process is killed (SIGKILL); a clean exit writes everything.
#pragma once

#include <spdlog/formatter.h>
#include <spdlog/sinks/sink.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace soundtrend::app {

class BufferedFdSink final : public spdlog::sinks::sink {
 public:
  struct Options {
    size_t flush_bytes = 32 * 1024;
    std::chrono::milliseconds flush_interval{200};
  };
  // `fd` is not owned and must stay open while the sink lives.
  explicit BufferedFdSink(int fd) : BufferedFdSink(fd, Options()) {}
  BufferedFdSink(int fd, Options options);
  ~BufferedFdSink() override;  // stops the flusher thread and writes everything buffered
  BufferedFdSink(const BufferedFdSink&) = delete;
  BufferedFdSink& operator=(const BufferedFdSink&) = delete;

  // spdlog::sinks::sink. Thread-safe.
  void log(const spdlog::details::log_msg& msg) override;
  void flush() override;  // writes every thread's buffer now
  void set_pattern(const std::string& pattern) override;
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

 private:
  struct ThreadBuffer {
    std::mutex mutex;  // the owning thread and the flusher
    spdlog::memory_buf_t text;
    std::unique_ptr<spdlog::formatter> formatter;
    uint64_t formatter_version = 0;
  };
  ThreadBuffer& Local();
  void WriteOut(ThreadBuffer& buffer);  // requires buffer.mutex
  void FlushAll();
  void Run();

  const int fd_;
  const Options options_;
  const uint64_t id_;  // tells this sink's thread-local slots from other sinks'

  std::mutex registry_mutex_;  // buffers_ and prototype_; not taken per line
  std::vector<std::unique_ptr<ThreadBuffer>> buffers_;
  std::unique_ptr<spdlog::formatter> prototype_;
  std::atomic<uint64_t> formatter_version_{1};

  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread flusher_;
};

}  // namespace soundtrend::app
