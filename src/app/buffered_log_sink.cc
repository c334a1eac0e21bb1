#include "app/buffered_log_sink.h"

#include <limits.h>
#include <spdlog/pattern_formatter.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace soundtrend::app {

namespace {

std::atomic<uint64_t> next_sink_id{1};

// Writes [data, data + size) to fd, retrying partial writes and EINTR; gives up on other
// errors (a closed stderr must not stop the server).
void WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

BufferedFdSink::BufferedFdSink(int fd, Options options)
    : fd_(fd),
      options_(options),
      id_(next_sink_id.fetch_add(1)),
      prototype_(std::make_unique<spdlog::pattern_formatter>()) {
  flusher_ = std::thread([this] { Run(); });
}

BufferedFdSink::~BufferedFdSink() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  flusher_.join();
  FlushAll();
}

BufferedFdSink::ThreadBuffer& BufferedFdSink::Local() {
  // (sink id, buffer) of every sink this thread logged to; sink ids are never reused.
  thread_local std::vector<std::pair<uint64_t, ThreadBuffer*>> slots;
  for (const auto& [id, buffer] : slots) {
    if (id == id_) return *buffer;
  }
  std::lock_guard lock(registry_mutex_);
  buffers_.push_back(std::make_unique<ThreadBuffer>());
  ThreadBuffer* buffer = buffers_.back().get();
  slots.emplace_back(id_, buffer);
  return *buffer;
}

void BufferedFdSink::log(const spdlog::details::log_msg& msg) {
  ThreadBuffer& buffer = Local();
  const uint64_t version = formatter_version_.load(std::memory_order_acquire);
  std::lock_guard lock(buffer.mutex);
  if (buffer.formatter_version != version) {
    std::lock_guard registry_lock(registry_mutex_);
    buffer.formatter = prototype_->clone();
    buffer.formatter_version = formatter_version_.load(std::memory_order_relaxed);
  }
  buffer.formatter->format(msg, buffer.text);
  if (buffer.text.size() >= options_.flush_bytes || msg.level >= spdlog::level::warn) {
    WriteOut(buffer);
  }
}

void BufferedFdSink::WriteOut(ThreadBuffer& buffer) {
  const char* data = buffer.text.data();
  const size_t size = buffer.text.size();
  size_t pos = 0;
  while (pos < size) {
    size_t end = std::min(size, pos + PIPE_BUF);
    if (end < size) {
      // Cut after the last complete line of the chunk; a line longer than PIPE_BUF goes
      // out whole.
      const char* last = static_cast<const char*>(memrchr(data + pos, '\n', end - pos));
      if (last != nullptr) {
        end = static_cast<size_t>(last - data) + 1;
      } else {
        const char* next = static_cast<const char*>(memchr(data + end, '\n', size - end));
        end = next != nullptr ? static_cast<size_t>(next - data) + 1 : size;
      }
    }
    WriteAll(fd_, data + pos, end - pos);
    pos = end;
  }
  buffer.text.clear();
}

void BufferedFdSink::FlushAll() {
  std::vector<ThreadBuffer*> buffers;
  {
    std::lock_guard lock(registry_mutex_);
    for (const auto& b : buffers_) buffers.push_back(b.get());
  }
  for (ThreadBuffer* b : buffers) {
    std::lock_guard lock(b->mutex);
    if (b->text.size() > 0) WriteOut(*b);
  }
}

void BufferedFdSink::flush() { FlushAll(); }

void BufferedFdSink::set_pattern(const std::string& pattern) {
  set_formatter(std::make_unique<spdlog::pattern_formatter>(pattern));
}

void BufferedFdSink::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
  std::lock_guard lock(registry_mutex_);
  prototype_ = std::move(formatter);
  formatter_version_.fetch_add(1, std::memory_order_release);
}

void BufferedFdSink::Run() {
  std::unique_lock lock(stop_mutex_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, options_.flush_interval, [this] { return stopping_; });
    lock.unlock();
    FlushAll();
    lock.lock();
  }
}

}  // namespace soundtrend::app
