// ChangeFeedWaiter: how a polling thread (the gateway's key reload, the chart publication)
// waits for a change of a ChangeFeed (store/change_feed.h) or its next poll, whichever comes
// first.
#pragma once

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>

#include "store/change_feed.h"

namespace soundtrend::store {

// A polling thread's wait for "a change, or the next poll" (the gateway's key reload, the
// chart publication): on the feed in slices of at most kSlice (so that a stop is seen within
// one), or, without a feed or while it is unavailable, on the thread's condition variable
// until the poll is due. The feed's outage is logged once and its return once, as
// "<what> unavailable (...); polling" and "<what> are back".
class ChangeFeedWaiter {
 public:
  static constexpr std::chrono::milliseconds kSlice{100};

  // `feed` may be null (SQLite: polling only).
  ChangeFeedWaiter(ChangeFeed* feed, std::string what) : feed_(feed), what_(std::move(what)) {}

  // Called with `lock` held (the mutex `cv` waits with); returns with it held. true: a change
  // was signalled. `stop`: the thread's reasons to stop waiting (checked under `lock`).
  template <typename Stop>
  bool Wait(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
            std::chrono::steady_clock::time_point due, Stop stop) {
    if (feed_ == nullptr) {
      cv.wait_until(lock, due, stop);
      return false;
    }
    if (stop()) return false;
    const auto left = std::max(std::chrono::milliseconds(0),
                               std::chrono::duration_cast<std::chrono::milliseconds>(
                                   due - std::chrono::steady_clock::now()));
    lock.unlock();
    Result<bool> changed = feed_->WaitForChange(static_cast<int>(std::min(left, kSlice).count()));
    lock.lock();
    if (changed.ok()) {
      if (down_) spdlog::info("{} are back", what_);
      down_ = false;
      return *changed;
    }
    if (!down_) {
      spdlog::warn("{} unavailable ({}); polling", what_, changed.status().ToString());
    }
    down_ = true;
    // Until the next poll: a reconnect at most once per poll period.
    cv.wait_for(lock, left, stop);
    return false;
  }

 private:
  ChangeFeed* const feed_;
  const std::string what_;
  bool down_ = false;
};

}  // namespace soundtrend::store
