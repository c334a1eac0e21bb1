#include "app/serve_publish.h"

#include <spdlog/spdlog.h>

#include "common/day.h"
#include "store/change_feed_waiter.h"

namespace soundtrend::app {

PublishLoop::PublishLoop(engine::Publisher& publisher, store::ChartStore& store,
                         std::mutex& store_mutex, api::SnapshotHolder& snapshots,
                         const Clock& clock)
    : publisher_(&publisher),
      store_(store),
      store_mutex_(store_mutex),
      snapshots_(snapshots),
      clock_(clock) {}

PublishLoop::~PublishLoop() { Stop(); }

void PublishLoop::SetCluster(Cluster cluster) { cluster_ = std::move(cluster); }

bool PublishLoop::publishing() const { return publishing_.load(); }

bool PublishLoop::CheckPublisher() {
  if (cluster_.publisher_lock == nullptr) return true;
  std::lock_guard lock(publisher_mutex_);
  Result<bool> held = cluster_.publisher_lock->Hold();
  if (!held.ok()) {
    if (!lock_down_.exchange(true)) {
      spdlog::warn("publisher lock unavailable ({}): saving no editions until it is back",
                   held.status().ToString());
    }
  } else {
    lock_down_ = false;
  }
  const bool now = held.ok() && *held;
  if (now && (!publishing_ || !role_known_)) {
    spdlog::info("publisher: this node saves the chart editions (publisher lock taken)");
    if (unsaved_ && cluster_.on_takeover) {
      // What this node published as a follower was never saved: start from the store.
      Status s = cluster_.on_takeover();
      if (!s.ok()) {
        spdlog::warn("publisher: reloading the charts at takeover failed: {}", s.ToString());
      } else {
        unsaved_ = false;
      }
    }
  } else if (!now && held.ok() && (publishing_ || !role_known_)) {
    spdlog::info(
        "publisher: another node saves the chart editions; this node computes the same "
        "charts from the store and saves none");
  }
  if (held.ok()) role_known_ = true;
  publishing_ = now;
  return now;
}

Result<bool> PublishLoop::PublishOnce() {
  const bool save = CheckPublisher();
  std::lock_guard poll_lock(poll_mutex_);
  std::optional<engine::Publisher::Publication> publication;
  Status saved;
  {
    std::lock_guard store_lock(store_mutex_);
    Result<std::optional<engine::Publisher::Publication>> polled = publisher_->Poll();
    if (!polled.ok()) return polled.status();
    if (!polled->has_value()) return false;
    publication = std::move(**polled);
    if (!publication->new_editions.empty()) {
      if (save) {
        saved = store_.SaveEditions(publication->new_editions);
      } else {
        unsaved_ = true;
      }
    }
  }
  const engine::SyncSummary& sync = publication->sync;
  if (sync.to_seq > sync.from_seq) {
    spdlog::info(
        "batches {}..{} read from the store: {} sounds, {} days of uses{}{}{}, {} of videos",
        sync.from_seq + 1, sync.to_seq, sync.sounds, sync.cell_days,
        sync.first_day ? " (" + FormatDay(*sync.first_day) : "",
        sync.last_day ? ".." + FormatDay(*sync.last_day) : "", sync.first_day ? ")" : "",
        sync.video_days);
  }
  const engine::HistoryStats& history = publication->history;
  if (history.recomputed > 0) {
    spdlog::info("recomputed {} editions of {}..{} ({} changed)", history.recomputed,
                 FormatDay(*history.first_recomputed), FormatDay(*history.last_recomputed),
                 history.changed);
  }
  if (!saved.ok()) {
    spdlog::error("saving {} chart editions failed: {}", publication->new_editions.size(),
                  saved.ToString());
  }
  const Day day = publication->charts->day();
  // Search structures (full rankings, search text) built here, off the request path:
  // no request pays for them on the new snapshot.
  const int64_t prepare_start = clock_.MonotonicNanos();
  publication->charts->PrepareSearch();
  const double prepare_seconds = (clock_.MonotonicNanos() - prepare_start) / 1e9;
  snapshots_.Publish(
      api::ServingSnapshot::Build(std::move(publication->charts), clock_.NowMicros()));
  spdlog::info("published charts of {} ({} editions saved, search prepared in {:.3f}s)",
               FormatDay(day), save && saved.ok() ? publication->new_editions.size() : 0,
               prepare_seconds);
  {
    std::lock_guard lock(mutex_);
    ++publications_;
  }
  if (!saved.ok()) return saved;
  return true;
}

Status PublishLoop::ReplacePublisher(const std::function<Result<engine::Publisher*>()>& fn) {
  std::lock_guard poll_lock(poll_mutex_);
  Result<engine::Publisher*> next = fn();
  if (!next.ok()) return next.status();
  publisher_ = *next;
  return Status();
}

void PublishLoop::Start(std::chrono::milliseconds interval) {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this, interval] { Run(interval); });
}

void PublishLoop::Wake() {
  {
    std::lock_guard lock(mutex_);
    wake_ = true;
  }
  cv_.notify_all();
}

void PublishLoop::Stop() {
  std::thread thread;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    thread = std::move(thread_);
  }
  cv_.notify_all();
  if (thread.joinable()) thread.join();
}

int64_t PublishLoop::publications() const {
  std::lock_guard lock(mutex_);
  return publications_;
}

void PublishLoop::Run(std::chrono::milliseconds interval) {
  using Steady = std::chrono::steady_clock;
  store::ChangeFeedWaiter waiter(cluster_.chart_changes.get(), "chart publication: batch signals");
  // A follower polls more often: it takes a dead publisher's place within follower_poll.
  auto period = [&] {
    return cluster_.publisher_lock != nullptr && !publishing_
               ? std::min<std::chrono::milliseconds>(interval, cluster_.follower_poll)
               : interval;
  };
  auto due_at = Steady::now() + period();
  std::unique_lock lock(mutex_);
  while (true) {
    const bool signalled = waiter.Wait(lock, cv_, due_at, [this] { return stopping_ || wake_; });
    if (stopping_) return;
    if (!signalled && !wake_ && Steady::now() < due_at) continue;
    wake_ = false;
    lock.unlock();
    Result<bool> r = PublishOnce();
    if (!r.ok()) spdlog::warn("chart publication: {}", r.status().ToString());
    lock.lock();
    due_at = Steady::now() + period();
  }
}

}  // namespace soundtrend::app
