// Signals between the nodes that share one database (docs/api.md §10, README "Run as a
// cluster"); PostgreSQL implements them (store/postgres/pg_change_feed.h), SQLite needs
// none (one machine: every change is polled from the one file).
//
// ChangeFeed: a wake-up when another connection committed a change of one kind (keys and
// grants; chart batches). It carries no data: the waiter re-reads what changed (the key
// store's change counter; the chart store's batches after its watermark), so a missed or
// doubled signal costs at most one poll, and the periodic poll stays the safety net.
//
// PublisherLock: at most one node at a time holds it (the node that saves chart editions);
// it is freed when its holder's connection goes (a killed node's included).
//
// Thread-safety: one thread at a time per object.
#pragma once

#include "common/status.h"

namespace soundtrend::store {

class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;
  // Waits up to `timeout_millis` for a change committed by any connection (this process's
  // own included). true: one or more arrived, or the feed (re)connected and may have missed
  // some: look now. false: none within the timeout. Unavailable: the database cannot be
  // reached (it reconnects at a later call; poll meanwhile).
  virtual Result<bool> WaitForChange(int timeout_millis) = 0;
};

class PublisherLock {
 public:
  virtual ~PublisherLock() = default;
  // Takes the lock when it is free, or checks that this object still holds it. true: this
  // node holds it now. false: another node does. Unavailable: the database cannot be
  // reached; the lock is then taken as lost (its session may be gone).
  virtual Result<bool> Hold() = 0;
};

}  // namespace soundtrend::store
