// One thread that runs the dashboard's work off the event loops: session lookups and
// writes go to the store (SQLite, or a database over the network), which an event loop
// must never wait for. A bounded queue: when it is full, Post refuses (the caller answers
// 503) instead of letting a slow store pile up work.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace soundtrend::dashboard {

class Worker {
 public:
  explicit Worker(size_t max_queued = 1024);
  ~Worker();  // runs what is queued, then joins
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Queues `task`; false (task not run) when the queue is full or the worker stopping.
  bool Post(std::function<void()> task);

 private:
  void Run();
  const size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace soundtrend::dashboard
