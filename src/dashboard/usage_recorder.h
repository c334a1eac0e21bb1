// Per-key usage for the customer's overview (issue 14): every keyed request's outcome, as
// the paid-endpoint wrapper reports it, counted per key and UTC day (200 / 402 / 429 / other
// 4xx / 5xx, credits) with the key's latest requests, and added to the UsageStore every
// flush interval, so that every node of a cluster contributes its own.
//
// Record is on the request path: no lock, no I/O, and no allocation once a key has been
// seen in the current interval. Each thread (each event loop) records into its own shard,
// found through a thread-local pointer; a shard has two maps, one the thread writes and one
// the flusher drains: Flush swaps which is which (an atomic index) and waits for a Record
// already under way on the old one to end (a sequence counter, odd during a Record; the
// wait lasts at most one Record). Only the latest `keep_recent` requests of a key per shard
// are kept between flushes. Flush (the recorder's thread every interval, and Read before
// reading) moves the shards' contents into the store in one call; what a failed one could
// not store is added by the next (counts whole; the latest 10,000 requests).
//
// Thread-safety: every method may be called from any thread. A shard is written by the
// thread that owns it only.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/paid_endpoint.h"
#include "common/clock.h"
#include "common/day.h"
#include "common/status.h"
#include "store/usage_store.h"

namespace soundtrend::dashboard {

struct RequestOutcome {
  std::string_view key_id;  // the public key id; empty: not counted (no key)
  std::string_view endpoint;
  std::string_view request_id;
  int status = 200;
  int64_t cost = 0;  // credits charged
  int64_t time_micros = 0;
};

struct UsageOptions {
  size_t keep_recent = 50;
  int64_t flush_interval_millis = 1000;  // 0: no thread (tests flush by hand)
};

struct UsageView {
  std::vector<store::DailyUsage> days;       // day ascending, days with counts only
  std::vector<store::RequestRecord> recent;  // newest first
};

// The paid-endpoint wrapper's outcome hook (ServingDependencies::outcomes): OnOutcome is
// Record, on the answering event loop.
class UsageRecorder final : public api::OutcomeListener {
 public:
  UsageRecorder(std::unique_ptr<store::UsageStore> store, UsageOptions options = {});
  ~UsageRecorder();  // flushes what is left
  UsageRecorder(const UsageRecorder&) = delete;
  UsageRecorder& operator=(const UsageRecorder&) = delete;

  void Record(const RequestOutcome& outcome);
  // api::OutcomeListener: Record; a failed allocation loses that one count, never the reply.
  void OnOutcome(const api::KeyedOutcome& outcome) noexcept override;
  Status Flush();
  // Flushes, then reads `key_id`'s days in [from, to] and its latest requests.
  Result<UsageView> Read(std::string_view key_id, Day from, Day to);

 private:
  struct Pending {
    std::array<char, 40> request_id{};
    std::array<char, 64> endpoint{};
    int64_t time_micros = 0;
    int status = 0;
    int64_t cost = 0;
  };
  struct KeyState {
    std::vector<store::DailyUsage> days;  // usually one: today
    std::vector<Pending> ring;            // keep_recent slots
    size_t next = 0;
    size_t count = 0;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using KeyMap = std::unordered_map<std::string, KeyState, StringHash, std::equal_to<>>;
  // One thread's counts. maps[active] is the owner's; the other is the flusher's.
  struct Shard {
    std::thread::id owner;
    alignas(64) std::atomic<uint64_t> sequence{0};  // odd while the owner records
    std::atomic<int> active{0};
    std::array<KeyMap, 2> maps;
  };

  Shard& ShardOfThisThread();
  void Run();

  const uint64_t id_;  // tells this recorder from an earlier one at the same address
  UsageOptions options_;
  std::mutex shards_mutex_;  // a thread's first Record, and Flush
  std::vector<std::unique_ptr<Shard>> shards_;
  std::mutex store_mutex_;
  std::unique_ptr<store::UsageStore> store_;
  // Left by a failed flush (store_mutex_), added by the next one; the requests bounded.
  static constexpr size_t kMaxUnstoredRequests = 10000;
  std::vector<store::DailyUsage> unstored_counts_;
  std::vector<store::RequestRecord> unstored_requests_;
  std::mutex run_mutex_;
  std::condition_variable run_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace soundtrend::dashboard
