// The serve command's chart publication: an engine::Publisher polled at start and then
// periodically on one background thread. Each poll reads what batches were stored since
// the last one (by this server's ingest, the CLI or another node: no signal needed); each
// publication saves the computed and recomputed chart history to the chart store and swaps
// a freshly built api::ServingSnapshot into the holder, so requests see the old snapshot or
// the new one, never a mix, and never wait for it.
//
// With several nodes on one store (SetCluster): a batch stored by any node wakes every
// node's loop, and one node at a time (the publisher lock's holder) saves the editions.
//
// The chart store is shared with the ingest path (POST /admin/v1/ingest), which writes
// batches from request threads; `store_mutex` serializes every use of the store between
// the two. The request path (GET /v1/...) never touches it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "api/snapshot.h"
#include "common/clock.h"
#include "common/status.h"
#include "engine/chart_engine.h"
#include "engine/publisher.h"
#include "store/change_feed.h"
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

  // Several nodes on one chart store (README "Run as a cluster"). Every node computes the
  // charts itself from the stored batches (the engine is deterministic: the same batches
  // and closed day give the same bytes; the detail and search endpoints need the engine's
  // data on every node anyway), but only the holder of `publisher_lock` saves editions to
  // the store: one writer of the history at a time.
  struct Cluster {
    // Wakes the loop when any node (or the CLI) stores a batch (PostgreSQL: LISTEN
    // soundtrend_charts), so every node publishes it within a round trip plus its compute.
    std::unique_ptr<store::ChangeFeed> chart_changes;
    // Taken at a publication when free; a node that does not hold it saves nothing.
    std::unique_ptr<store::PublisherLock> publisher_lock;
    // Called (no publication running; it may ReplacePublisher) when this node takes the
    // lock after it published without saving: a fresh engine loaded from the store, so
    // that the next publication computes and saves whatever the store lacks.
    std::function<Status()> on_takeover;
    // How often a node without the lock tries to take it (a poll each time: cheap when no
    // batch came), so that a dead publisher's place is taken within about this long.
    std::chrono::milliseconds follower_poll{1000};
  };
  // Call before Start.
  void SetCluster(Cluster cluster);
  // Whether this node saves editions (true without a lock: one node alone).
  bool publishing() const;

 private:
  void Run(std::chrono::milliseconds interval);
  // With a lock: takes or checks it, logs a change of role, runs on_takeover when due.
  // Returns whether this publication saves editions.
  bool CheckPublisher();

  engine::Publisher* publisher_;  // guarded by poll_mutex_
  store::ChartStore& store_;
  std::mutex& store_mutex_;
  api::SnapshotHolder& snapshots_;
  const Clock& clock_;

  Cluster cluster_;
  std::mutex publisher_mutex_;  // CheckPublisher; taken before poll_mutex_
  std::atomic<bool> publishing_{true};
  bool role_known_ = false;           // a role was logged (guarded by publisher_mutex_)
  std::atomic<bool> unsaved_{false};  // published editions it did not save
  std::atomic<bool> lock_down_{false};

  std::mutex poll_mutex_;  // one PublishOnce at a time (publication order = swap order)
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool wake_ = false;
  int64_t publications_ = 0;
  std::thread thread_;
};

}  // namespace soundtrend::app
