// Sign-in attempts per client address (issue 14): GCRA with a burst of `burst` attempts and
// then one every `interval`; every attempt counts, right or wrong. A refused attempt takes
// nothing (it does not push the next allowed time further).
//
// Per node: each serving process limits the attempts it receives (behind a load balancer
// that spreads one address over N nodes, an address gets up to N times the rate).
// Addresses are the TCP peer's: behind a reverse proxy every client shares the proxy's.
//
// Thread-safe: the table is split in shards, each behind its own mutex (no global lock);
// when a shard reaches its bound, entries whose limit has recovered are dropped, then, if
// more than half remain, those nearest to recovery (under a flood of more than ~64,000
// addresses at once, such an address may get its burst again early).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace soundtrend::dashboard {

struct SignInLimit {
  int64_t burst = 10;
  int64_t interval_nanos = 6'000'000'000;  // 10 a minute after the burst
};

class SignInLimiter {
 public:
  explicit SignInLimiter(const Clock& clock, SignInLimit limit = {});

  // True when `address` may try now (the attempt is counted). False: `*retry_after_seconds`
  // (when not null) is the wait until the next attempt is allowed, >= 1.
  bool TryAttempt(std::string_view address, int64_t* retry_after_seconds = nullptr);

 private:
  static constexpr size_t kShards = 16;
  static constexpr size_t kMaxEntriesPerShard = 4096;
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    std::mutex mutex;
    // Theoretical arrival time (monotonic ns) by address.
    std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>> tat;
  };
  const Clock& clock_;
  SignInLimit limit_;
  std::array<Shard, kShards> shards_;
};

}  // namespace soundtrend::dashboard
