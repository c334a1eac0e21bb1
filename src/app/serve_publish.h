// The serve command's chart publication: an engine::Publisher polled at start and then
// periodically on one background thread. Each poll reads what batches were stored since
// the last one (by this server's ingest, the CLI or another node: no signal needed); each
// publication saves the computed and recomputed chart history to the chart store and swaps
// a freshly built api::ServingSnapshot into the holder, so requests see the old snapshot or
// the new one, never a mix, and never wait for it.
//
// The chart store is shared with the ingest path (POST /admin/v1/ingest), which writes
// batches from request threads; `store_mutex` serializes every use of the store between
// the two. The request path (GET /v1/...) never touches it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "api/snapshot.h"
#include "common/clock.h"
#include "common/status.h"
#include "engine/chart_engine.h"
#include "engine/publisher.h"
#include "store/chart_store.h"

namespace soundtrend::app {

class PublishLoop {
 public:
  // Every reference must outlive the loop.
  PublishLoop(engine::Publisher& publisher, store::ChartStore& store, std::mutex& store_mutex,
              api::SnapshotHolder& snapshots, const Clock& clock);
  ~PublishLoop();  // Stop()
  PublishLoop(const PublishLoop&) = delete;
  PublishLoop& operator=(const PublishLoop&) = delete;

  // Polls the publisher once, on the calling thread (holding store_mutex while it reads the
  // store's changes and computes). When it publishes: saves the new editions, builds every
  // edition's search structures (ChartSet::PrepareSearch, so no request builds them) and publishes
  // the new snapshot. Returns true when a new snapshot was published. A failed save is returned as
  // the error, but the snapshot is published anyway (the engine keeps the history in memory; the
  // log says what was lost).
  Result<bool> PublishOnce();

  // Starts the background thread: PublishOnce every `interval`, or sooner after Wake().
  // Call at most once.
  void Start(std::chrono::milliseconds interval);
  // Asks the background thread to poll now (e.g. after data was ingested). Thread-safe.
  void Wake();
  // Stops and joins the background thread, interrupting its wait. Idempotent.
  void Stop();

  // Runs `fn` while no publication is in progress (holding the poll lock), so that it may
  // replace what the publisher reads; `fn` returns the publisher to poll from now on
  // (must outlive the loop, or the next ReplacePublisher). Lock order: poll lock, then
  // store_mutex (as in PublishOnce). Returns fn's status; on error the publisher is kept.
  Status ReplacePublisher(const std::function<Result<engine::Publisher*>()>& fn);

  // Snapshots published so far (by PublishOnce on any thread).
  int64_t publications() const;

 private:
  void Run(std::chrono::milliseconds interval);

  engine::Publisher* publisher_;  // guarded by poll_mutex_
  store::ChartStore& store_;
  std::mutex& store_mutex_;
  api::SnapshotHolder& snapshots_;
  const Clock& clock_;

  std::mutex poll_mutex_;  // one PublishOnce at a time (publication order = swap order)
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool wake_ = false;
  int64_t publications_ = 0;
  std::thread thread_;
};

}  // namespace soundtrend::app
