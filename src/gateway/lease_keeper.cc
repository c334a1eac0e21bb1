#include "gateway/lease_keeper.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <optional>
#include <utility>

#include "common/log_throttle.h"
#include "gateway/billing_gateway.h"

namespace soundtrend::gateway {

LeaseKeeper::LeaseKeeper(store::CreditLeases& leases, const Clock& clock,
                         LeaseKeeperOptions options)
    : leases_(leases), clock_(clock), options_(options) {
  thread_ = std::thread([this] { Run(); });
  if (options_.listen) listener_ = std::thread([this] { Listen(); });
}

LeaseKeeper::~LeaseKeeper() { Stop(); }

void LeaseKeeper::Reserve(std::shared_ptr<KeyAccount> account, int64_t cost,
                          std::function<void(ReserveOutcome)> done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back({std::move(account), cost, std::move(done)});
      cv_.notify_all();
      return;
    }
  }
  done(ReserveOutcome::kUnavailable);
}

void LeaseKeeper::OnSignal(const store::LeaseSignal& signal) {
  std::lock_guard lock(mutex_);
  signals_.push_back(signal);
  cv_.notify_all();
}

void LeaseKeeper::Poke() { cv_.notify_all(); }

int64_t LeaseKeeper::leases_taken() const {
  std::lock_guard lock(mutex_);
  return leases_taken_;
}

int64_t LeaseKeeper::recalls_sent() const {
  std::lock_guard lock(mutex_);
  return recalls_sent_;
}

void LeaseKeeper::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopping_ = true;
    stopped_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (listener_.joinable()) listener_.join();
  // Nothing runs any more: what still waits is refused, then the unspent credit goes back.
  std::vector<Waiting> left(std::make_move_iterator(queue_.begin()),
                            std::make_move_iterator(queue_.end()));
  queue_.clear();
  for (auto& [key, recall] : recalls_) {
    for (Waiting& w : recall.requests) left.push_back(std::move(w));
  }
  recalls_.clear();
  for (Waiting& w : left) w.done(ReserveOutcome::kUnavailable);
  ReturnAll();
}

void LeaseKeeper::Listen() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    Result<std::vector<store::LeaseSignal>> got = leases_.Receive(options_.receive_timeout_millis);
    if (!got.ok()) {
      // The store is unreachable: the request path answers what it can (its leases) and
      // 503 for the rest; listen again once it is back.
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::milliseconds(options_.receive_timeout_millis),
                   [&] { return stopping_; });
      continue;
    }
    for (const store::LeaseSignal& s : *got) OnSignal(s);
  }
}

void LeaseKeeper::Run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (queue_.empty() && signals_.empty() && !stopping_) {
      if (recalls_.empty()) {
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || !signals_.empty(); });
      } else {
        cv_.wait_for(lock, std::chrono::milliseconds(options_.idle_tick_millis));
      }
    }
    if (stopping_) return;
    std::deque<Waiting> requests;
    requests.swap(queue_);
    std::deque<store::LeaseSignal> signals;
    signals.swap(signals_);
    lock.unlock();

    for (const store::LeaseSignal& s : signals) {
      if (s.kind == store::LeaseSignal::Kind::kRecall) {
        GiveBack(s.key_id);
        Status sent =
            leases_.Send({store::LeaseSignal::Kind::kReturned, s.key_id, leases_.node_id()});
        if (!sent.ok()) spdlog::warn("leases: answering a recall failed: {}", sent.ToString());
      } else if (auto it = recalls_.find(s.key_id); it != recalls_.end()) {
        it->second.holders.erase(s.node_id);
      }
    }
    for (Waiting& w : requests) Serve(std::move(w), /*after_recall=*/false);
    // Recalls every holder answered, or whose wait is over: their requests try once more.
    const int64_t now = clock_.MonotonicNanos();
    for (auto it = recalls_.begin(); it != recalls_.end();) {
      if (!it->second.holders.empty() && now < it->second.deadline_nanos) {
        ++it;
        continue;
      }
      std::vector<Waiting> waiting = std::move(it->second.requests);
      it = recalls_.erase(it);
      for (Waiting& w : waiting) Serve(std::move(w), /*after_recall=*/true);
    }
    lock.lock();
  }
}

bool LeaseKeeper::TryReserve(AccountState& state, int64_t cost) {
  int64_t current = state.balance.load(std::memory_order_acquire);
  do {
    if (current < cost) return false;
  } while (!state.balance.compare_exchange_weak(current, current - cost, std::memory_order_acq_rel,
                                                std::memory_order_acquire));
  return true;
}

int64_t LeaseKeeper::LeaseSize(const KeyLease& lease, int64_t cost, int64_t now) const {
  if (now < lease.scarce_until_nanos) return cost;
  int64_t want = cost * options_.first_lease_costs;
  if (lease.last_grant > 0) {
    // What the last lease lasted for, scaled to the horizon: the key's rate on this node.
    const int64_t elapsed = std::max<int64_t>(1, now - lease.last_grant_nanos);
    const double scaled = static_cast<double>(lease.last_grant) *
                          static_cast<double>(options_.horizon_nanos) /
                          static_cast<double>(elapsed);
    want = scaled >= static_cast<double>(options_.max_lease) ? options_.max_lease
                                                             : static_cast<int64_t>(scaled);
  }
  want = std::clamp<int64_t>(want, cost, std::max(cost, options_.max_lease));
  return want / cost * cost;
}

void LeaseKeeper::Serve(Waiting w, bool after_recall) {
  AccountState& state = w.account->state();
  if (TryReserve(state, w.cost)) return w.done(ReserveOutcome::kReserved);
  const std::string& key = w.account->key_id();
  if (!after_recall) {
    if (auto it = recalls_.find(key); it != recalls_.end()) {
      it->second.requests.push_back(std::move(w));  // decided with the recall under way
      return;
    }
  }
  const int64_t now = clock_.MonotonicNanos();
  KeyLease lease;
  {
    std::lock_guard lock(mutex_);
    KeyLease& known = keys_[key];
    if (known.state.expired()) known.state = w.account->shared_state();
    lease = known;
  }
  const int64_t want = LeaseSize(lease, w.cost, now);
  for (int attempt = 0; attempt < 3; ++attempt) {
    Result<store::LeaseGrant> g = leases_.TakeLease(key, want, w.cost, options_.share);
    if (!g.ok()) {
      // The store is unreachable: 503 for what this node cannot decide alone (one line a
      // second, with the count left out).
      static LogThrottle throttle(1'000'000'000);
      if (std::optional<int64_t> left_out = throttle.Occur(clock_.MonotonicNanos())) {
        spdlog::warn("leases: taking a lease of {} failed: {} ({} such errors not logged)", key,
                     g.status().ToString(), *left_out);
      }
      return w.done(ReserveOutcome::kUnavailable);
    }
    if (g->granted == 0) break;
    {
      std::lock_guard lock(mutex_);
      KeyLease& known = keys_[key];
      known.last_grant = g->granted;
      known.last_grant_nanos = now;
      ++leases_taken_;
    }
    state.shared_free.store(g->free_after, std::memory_order_relaxed);
    state.balance.fetch_add(g->granted, std::memory_order_acq_rel);
    if (TryReserve(state, w.cost)) return w.done(ReserveOutcome::kReserved);
    // The loops took it first: their requests are served; this one takes another lease.
  }
  state.shared_free.store(0, std::memory_order_relaxed);
  if (after_recall) return w.done(ReserveOutcome::kNoCredit);
  Result<std::vector<std::string>> holders = leases_.OtherHolders(key);
  if (!holders.ok()) return w.done(ReserveOutcome::kUnavailable);
  if (holders->empty()) return w.done(ReserveOutcome::kNoCredit);
  // Other nodes hold credit of this key: ask them for what they have not spent, and decide
  // once they answered (or the wait is over).
  Recall& recall = recalls_[key];
  recall.holders.insert(holders->begin(), holders->end());
  recall.deadline_nanos = now + options_.recall_wait_nanos;
  recall.requests.push_back(std::move(w));
  {
    std::lock_guard lock(mutex_);
    keys_[key].scarce_until_nanos = now + options_.scarce_nanos;
  }
  Status sent = leases_.Send({store::LeaseSignal::Kind::kRecall, key, leases_.node_id()});
  if (!sent.ok()) spdlog::warn("leases: sending a recall of {} failed: {}", key, sent.ToString());
  std::lock_guard lock(mutex_);
  ++recalls_sent_;
}

void LeaseKeeper::GiveBack(const std::string& key_id) {
  std::shared_ptr<AccountState> state;
  {
    std::lock_guard lock(mutex_);
    auto it = keys_.find(key_id);
    if (it == keys_.end()) return;
    state = it->second.state.lock();
    // Another node is short of this key's credits: from now on leases of one cost.
    it->second.last_grant = 0;
    it->second.scarce_until_nanos = clock_.MonotonicNanos() + options_.scarce_nanos;
  }
  if (state == nullptr) return;
  const int64_t unspent = state->balance.exchange(0, std::memory_order_acq_rel);
  if (unspent <= 0) return;
  Status st = leases_.ReturnLease(key_id, unspent);
  if (!st.ok()) {
    state->balance.fetch_add(unspent, std::memory_order_acq_rel);  // still ours
    spdlog::warn("leases: giving back {} credits of {} failed: {}", unspent, key_id, st.ToString());
  }
}

void LeaseKeeper::ReturnAll() {
  std::vector<std::string> keys;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, lease] : keys_) keys.push_back(key);
  }
  for (const std::string& key : keys) GiveBack(key);
}

}  // namespace soundtrend::gateway
