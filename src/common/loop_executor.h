// LoopExecutor: the event loop running the calling thread, for code that starts work on a
// loop, waits for something off it (a shared rate limit's answer, a credit lease from the
// database) and must finish on that same loop, without depending on the HTTP server.
// The server (http/server.cc) sets one on each of its loop threads.
#pragma once

#include <functional>

namespace soundtrend {

class LoopExecutor {
 public:
  virtual ~LoopExecutor() = default;
  // Runs `task` on the loop later, in posting order. Thread-safe. A task posted while the
  // loop is running is run, unless the loop is being destroyed (then it is destroyed
  // unrun: what it owns, e.g. an HTTP Respond, must cope with that).
  virtual void Post(std::function<void()> task) = 0;
};

// The executor of the event loop this thread runs; null on any other thread.
LoopExecutor* CurrentLoopExecutor();
// Sets the calling thread's executor (a loop's thread at its start; tests). Null clears it.
void SetCurrentLoopExecutor(LoopExecutor* executor);

// Posts `task` to `executor`, or runs it at once when `executor` is null (off any loop).
inline void PostOrRun(LoopExecutor* executor, std::function<void()> task) {
  if (executor != nullptr) {
    executor->Post(std::move(task));
  } else {
    task();
  }
}

}  // namespace soundtrend
