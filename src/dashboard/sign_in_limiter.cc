#include "dashboard/sign_in_limiter.h"

#include <algorithm>
#include <functional>
#include <vector>

namespace soundtrend::dashboard {

SignInLimiter::SignInLimiter(const Clock& clock, SignInLimit limit)
    : clock_(clock), limit_(limit) {}

bool SignInLimiter::TryAttempt(std::string_view address, int64_t* retry_after_seconds) {
  const int64_t now = clock_.MonotonicNanos();
  const int64_t interval = limit_.interval_nanos;
  const int64_t tolerance = interval * (limit_.burst - 1);
  Shard& shard = shards_[std::hash<std::string_view>{}(address) % kShards];
  std::lock_guard lock(shard.mutex);
  auto it = shard.tat.find(address);
  if (it == shard.tat.end() && shard.tat.size() >= kMaxEntriesPerShard) {
    // Drop the addresses whose limit has recovered; if that leaves more than half, also
    // those closest to recovering, down to half: one scan per half a shard of new
    // addresses, so the cost per attempt stays constant.
    std::erase_if(shard.tat, [now](const auto& e) { return e.second <= now; });
    if (shard.tat.size() > kMaxEntriesPerShard / 2) {
      std::vector<int64_t> times;
      times.reserve(shard.tat.size());
      for (const auto& e : shard.tat) times.push_back(e.second);
      auto middle = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
      std::nth_element(times.begin(), middle, times.end());
      const int64_t cut = *middle;
      std::erase_if(shard.tat, [cut](const auto& e) { return e.second < cut; });
      for (auto e = shard.tat.begin();
           e != shard.tat.end() && shard.tat.size() > kMaxEntriesPerShard / 2;) {
        e = e->second == cut ? shard.tat.erase(e) : std::next(e);
      }
    }
  }
  if (it == shard.tat.end()) it = shard.tat.emplace(std::string(address), now).first;
  const int64_t tat = std::max(it->second, now);
  if (tat - now > tolerance) {
    if (retry_after_seconds != nullptr) {
      const int64_t wait = tat - tolerance - now;
      *retry_after_seconds = std::max<int64_t>(1, (wait + 999'999'999) / 1'000'000'000);
    }
    return false;
  }
  it->second = tat + interval;
  return true;
}

}  // namespace soundtrend::dashboard
