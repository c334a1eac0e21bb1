#include "dashboard/usage_recorder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>

namespace soundtrend::dashboard {
namespace {

template <size_t N>
void CopyTruncated(std::array<char, N>& out, std::string_view s) {
  const size_t n = std::min(s.size(), N - 1);
  std::memcpy(out.data(), s.data(), n);
  out[n] = '\0';
}

void Count(store::DailyUsage& d, int status, int64_t cost) {
  if (status >= 200 && status < 300) {
    ++d.ok;
  } else if (status == 402) {
    ++d.payment_required;
  } else if (status == 429) {
    ++d.rate_limited;
  } else if (status >= 400 && status < 500) {
    ++d.other_client_errors;
  } else if (status >= 500) {
    ++d.server_errors;
  }
  d.credits += cost;
}

std::atomic<uint64_t> next_recorder_id{1};

// Ends a Record's sequence (even again) however the Record leaves.
struct SequenceEnd {
  std::atomic<uint64_t>& sequence;
  ~SequenceEnd() { sequence.fetch_add(1, std::memory_order_release); }
};

}  // namespace

UsageRecorder::UsageRecorder(std::unique_ptr<store::UsageStore> store, UsageOptions options)
    : id_(next_recorder_id.fetch_add(1, std::memory_order_relaxed)),
      options_(options),
      store_(std::move(store)) {
  if (options_.flush_interval_millis > 0) thread_ = std::thread([this] { Run(); });
}

UsageRecorder::~UsageRecorder() {
  {
    std::lock_guard lock(run_mutex_);
    stopping_ = true;
  }
  run_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  const Status s = Flush();
  if (!s.ok()) spdlog::warn("usage counters: last flush failed: {}", s.ToString());
}

UsageRecorder::Shard& UsageRecorder::ShardOfThisThread() {
  struct Cache {
    uint64_t recorder = 0;
    Shard* shard = nullptr;
  };
  thread_local Cache cache;
  if (cache.recorder == id_) return *cache.shard;
  // This thread's first Record on this recorder (or since it recorded on another one).
  std::lock_guard lock(shards_mutex_);
  const std::thread::id me = std::this_thread::get_id();
  Shard* shard = nullptr;
  for (auto& s : shards_) {
    // A finished thread's id may be reused: its shard is then the new thread's.
    if (s->owner == me) shard = s.get();
  }
  if (shard == nullptr) {
    shards_.push_back(std::make_unique<Shard>());
    shard = shards_.back().get();
    shard->owner = me;
  }
  cache = Cache{id_, shard};
  return *shard;
}

void UsageRecorder::Record(const RequestOutcome& o) {
  if (o.key_id.empty()) return;
  Shard& shard = ShardOfThisThread();
  const Day day = DayOfUnixSeconds(o.time_micros / 1'000'000);
  // Odd from here to the end: a Flush that switched maps meanwhile waits for it. Both are
  // sequentially consistent, like Flush's switch and read of the sequence: either Flush sees
  // this Record under way, or this Record sees the switch.
  shard.sequence.fetch_add(1, std::memory_order_seq_cst);
  SequenceEnd end{shard.sequence};
  KeyMap& keys = shard.maps[shard.active.load(std::memory_order_seq_cst)];
  auto it = keys.find(o.key_id);
  if (it == keys.end()) {
    it = keys.emplace(std::string(o.key_id), KeyState{}).first;
    it->second.ring.resize(options_.keep_recent);
  }
  KeyState& k = it->second;
  store::DailyUsage* d = nullptr;
  for (auto& existing : k.days)
    if (existing.day == day) d = &existing;
  if (d == nullptr) {
    k.days.push_back(store::DailyUsage{it->first, day});
    d = &k.days.back();
  }
  Count(*d, o.status, o.cost);
  if (k.ring.empty()) return;
  Pending& p = k.ring[k.next];
  CopyTruncated(p.request_id, o.request_id);
  CopyTruncated(p.endpoint, o.endpoint);
  p.time_micros = o.time_micros;
  p.status = o.status;
  p.cost = o.cost;
  k.next = (k.next + 1) % k.ring.size();
  k.count = std::min(k.count + 1, k.ring.size());
}

void UsageRecorder::OnOutcome(const api::KeyedOutcome& o) noexcept {
  try {
    Record(RequestOutcome{o.key_id, o.endpoint, o.request_id, o.status, o.cost, o.time_micros});
  } catch (...) {
    // Display counters (the ledger is exact): this request goes uncounted.
  }
}

Status UsageRecorder::Flush() {
  std::lock_guard store_lock(store_mutex_);  // one flush at a time, in order
  // What a failed flush left comes first (counts add up; requests are trimmed by the store).
  std::vector<store::DailyUsage> counts = std::move(unstored_counts_);
  std::vector<store::RequestRecord> requests = std::move(unstored_requests_);
  unstored_counts_.clear();
  unstored_requests_.clear();
  std::vector<Shard*> shards;
  {
    std::lock_guard lock(shards_mutex_);
    for (auto& s : shards_) shards.push_back(s.get());
  }
  for (Shard* shard : shards) {
    // Only a Flush (store_mutex_ held) switches maps: the owner writes the other one from
    // its next Record on; one under way on this one is waited for.
    const int drained = shard->active.load(std::memory_order_relaxed);
    shard->active.store(1 - drained, std::memory_order_seq_cst);
    const uint64_t sequence = shard->sequence.load(std::memory_order_seq_cst);
    if (sequence % 2 == 1) {
      while (shard->sequence.load(std::memory_order_acquire) == sequence) {
        std::this_thread::yield();
      }
    }
    KeyMap taken;
    taken.swap(shard->maps[drained]);
    for (auto& [key, state] : taken) {
      for (auto& d : state.days) counts.push_back(std::move(d));
      for (size_t i = 0; i < state.count; ++i) {
        const Pending& p = state.ring[(state.next + state.ring.size() - 1 - i) % state.ring.size()];
        requests.push_back(store::RequestRecord{key, p.time_micros, std::string(p.endpoint.data()),
                                                p.status, p.cost,
                                                std::string(p.request_id.data())});
      }
    }
  }
  Status s = store_->Add(counts, requests, options_.keep_recent);
  if (!s.ok()) {
    unstored_counts_ = std::move(counts);
    if (requests.size() > kMaxUnstoredRequests) {
      requests.erase(requests.begin(), requests.end() - kMaxUnstoredRequests);
    }
    unstored_requests_ = std::move(requests);
  }
  return s;
}

Result<UsageView> UsageRecorder::Read(std::string_view key_id, Day from, Day to) {
  ST_RETURN_IF_ERROR(Flush());
  std::lock_guard store_lock(store_mutex_);
  UsageView view;
  auto days = store_->Daily(key_id, from, to);
  if (!days.ok()) return days.status();
  view.days = std::move(days).value();
  auto recent = store_->Recent(key_id, options_.keep_recent);
  if (!recent.ok()) return recent.status();
  view.recent = std::move(recent).value();
  return view;
}

void UsageRecorder::Run() {
  std::unique_lock lock(run_mutex_);
  while (!run_cv_.wait_for(lock, std::chrono::milliseconds(options_.flush_interval_millis),
                           [this] { return stopping_; })) {
    lock.unlock();
    const Status s = Flush();
    if (!s.ok()) spdlog::warn("usage counters: flush failed, kept for the next: {}", s.ToString());
    lock.lock();
  }
}

}  // namespace soundtrend::dashboard
