// LeaseKeeper: a node's credit leases (store/credit_leases.h, docs/api.md §10), off the
// request path.
//
// The node's in-memory balance of a key (AccountState::balance) is what it holds of its
// lease, unspent: Reserve takes from it at once, on the loop (a CAS, no round trip). When it
// is too small, the request waits (asynchronously, its loop goes on) for this keeper's
// thread, which takes a new lease with one conditional UPDATE and answers every request of
// the key waiting for it. The lease size follows the key's rate: the credits the previous
// lease lasted for, per `horizon`, bounded by [cost, max_lease]; the store bounds it by
// free / share, so near zero each lease is one request's cost.
//
// Exact at exhaustion: when the store has less than one cost free, the keeper does not
// answer 402 while another node holds unspent credit of the key: it sends a recall
// (LeaseSignal kRecall), and waits (the request, not a thread) until every other holder has
// answered kReturned or `recall_wait` has passed on the injected clock, then tries once
// more; only then is it 402. A holder that hears a recall gives back all it holds unspent
// at once (ReturnLease) and answers. From then on, for `scarce` time, every node's lease of
// that key is one request's cost, taken for a request that is waiting: nobody sits on
// credit of a key another node runs out of.
//
// Stop (destructor, a graceful stop): waiting requests get kUnavailable, and every unspent
// credit goes back to the store (ReturnAll).
//
// Thread-safety: every method from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "gateway/gateway.h"
#include "store/credit_leases.h"

namespace soundtrend::gateway {

struct AccountState;

struct LeaseKeeperOptions {
  int64_t horizon_nanos = 1'000'000'000;  // a lease lasts about this long at the key's rate
  int64_t first_lease_costs = 8;          // a key's first lease on this node, in costs
  int64_t max_lease = 1'000'000;
  int64_t share = 4;                          // the store bounds a lease by free / share
  int64_t recall_wait_nanos = 1'000'000'000;  // how long a recall waits for answers
  // After a recall (sent or heard) a key is scarce for this long: its leases are one
  // request's cost, so no node sits on credit another node is refused for.
  int64_t scarce_nanos = 10'000'000'000;
  int receive_timeout_millis = 50;  // the listener's poll (how fast it stops)
  int64_t idle_tick_millis = 10;    // the keeper's wake-up while requests wait
  bool listen = true;               // run the signal listener thread
};

class LeaseKeeper {
 public:
  LeaseKeeper(store::CreditLeases& leases, const Clock& clock, LeaseKeeperOptions options = {});
  ~LeaseKeeper();  // Stop() if not done

  // Fills the key's in-memory balance from a new lease, then reserves `cost` from it, and
  // calls `done` once (on the keeper's thread) with kReserved, kNoCredit (nothing free and
  // no other node holds unspent credit) or kUnavailable (the store cannot be reached).
  void Reserve(std::shared_ptr<KeyAccount> account, int64_t cost,
               std::function<void(ReserveOutcome)> done);

  // Waiting requests get kUnavailable; the threads stop; every unspent credit goes back.
  void Stop();

  // The decision of a signal received (the listener thread calls it; tests too).
  void OnSignal(const store::LeaseSignal& signal);
  // Wakes the keeper's thread (tests, after moving the injected clock).
  void Poke();

  // For tests and /metrics.
  int64_t leases_taken() const;
  int64_t recalls_sent() const;

 private:
  struct Waiting {
    std::shared_ptr<KeyAccount> account;
    int64_t cost = 0;
    std::function<void(ReserveOutcome)> done;
  };
  // A key whose free credits ran out while other nodes held some: its requests wait for
  // the holders' answers.
  struct Recall {
    std::vector<Waiting> requests;
    std::set<std::string> holders;  // not answered yet
    int64_t deadline_nanos = 0;
  };
  struct KeyLease {
    std::weak_ptr<AccountState> state;
    int64_t last_grant = 0;
    int64_t last_grant_nanos = 0;
    int64_t scarce_until_nanos = 0;
  };

  void Run();
  void Listen();
  // One request: from the balance, or a new lease, or a recall (added to recalls_).
  void Serve(Waiting w, bool after_recall);
  bool TryReserve(AccountState& state, int64_t cost);
  int64_t LeaseSize(const KeyLease& lease, int64_t cost, int64_t now) const;
  void GiveBack(const std::string& key_id);
  void ReturnAll();

  store::CreditLeases& leases_;
  const Clock& clock_;
  const LeaseKeeperOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Waiting> queue_;
  std::deque<store::LeaseSignal> signals_;
  bool stopping_ = false;
  bool stopped_ = false;
  // The keeper thread's own.
  std::map<std::string, Recall> recalls_;
  // Keys this node leased (under mutex_: the listener's recall reads it).
  std::map<std::string, KeyLease> keys_;
  int64_t leases_taken_ = 0;
  int64_t recalls_sent_ = 0;

  std::thread thread_;
  std::thread listener_;
};

}  // namespace soundtrend::gateway
