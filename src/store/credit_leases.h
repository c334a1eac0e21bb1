// CreditLeases: credits exact across nodes (docs/api.md §10, README "Run as a cluster").
//
// A key's durable balance B lives in the shared store. A node answers from a lease: part of
// B moved to that node (the store keeps leased = the sum of every node's lease, and
// leased <= B), reserved in memory per request, charged in the node's own ledger logs
// before the answer and moved into the store in blocks. When a block of a node's charges
// is applied, B and that node's lease go down together, so B - leased (the free credits)
// never changes by a charge: what a node may still spend is its lease, and no two nodes
// can spend the same credit. Unspent credit goes back (ReturnLease) on a graceful stop, on
// a recall by another node, and when a killed node restarts (SettleLeases after its logs
// were moved); `soundtrend ledger settle --node ID` does the last for a node that never
// comes back.
//
// Thread-safety: every method from any thread (the implementation serializes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace soundtrend::store {

struct LeaseGrant {
  int64_t granted = 0;     // credits added to this node's lease (0: the free credits < min)
  int64_t free_after = 0;  // the key's free credits after it (when granted > 0)
};

struct NodeLease {
  std::string key_id;
  std::string node_id;
  int64_t amount = 0;
};

// A message between nodes about one key's leases (PostgreSQL: LISTEN/NOTIFY).
struct LeaseSignal {
  enum class Kind {
    kRecall,    // node_id has no credit left for key_id: holders, give your unspent back
    kReturned,  // node_id gave back what it held unspent of key_id (answering a recall)
  };
  Kind kind = Kind::kRecall;
  std::string key_id;
  std::string node_id;  // the sender
  friend bool operator==(const LeaseSignal&, const LeaseSignal&) = default;
};

class CreditLeases {
 public:
  virtual ~CreditLeases() = default;

  // The node whose leases this object takes and returns, and whose charge blocks reduce
  // them.
  virtual const std::string& node_id() const = 0;

  // Moves min(want, max(min, free / share)), rounded down to a multiple of `min`, of the
  // key's free credits into this node's lease, when free >= min; else nothing (granted 0). `share`
  // >= 1 spreads what is left over the nodes near zero: there a lease is one request's cost
  // (`min`). One conditional UPDATE, one round trip. NotFound for an unknown key.
  virtual Result<LeaseGrant> TakeLease(std::string_view key_id, int64_t want, int64_t min,
                                       int64_t share) = 0;
  // Gives `amount` of this node's lease on the key back to the free credits (the caller
  // knows it is unspent). FailedPrecondition when the lease is smaller.
  virtual Status ReturnLease(std::string_view key_id, int64_t amount) = 0;
  // Gives back every lease `node_id` holds; call once all of its charges are in the store
  // (what it holds then is unspent). Returns the credits given back.
  virtual Result<int64_t> SettleLeases(std::string_view node_id) = 0;
  // Every lease with an amount > 0 (all nodes), by key then node.
  virtual Result<std::vector<NodeLease>> Leases() = 0;
  // The nodes other than this one holding a lease > 0 on the key.
  virtual Result<std::vector<std::string>> OtherHolders(std::string_view key_id) = 0;

  // Sends `signal` to every node listening (this one's own signals are not delivered back).
  virtual Status Send(const LeaseSignal& signal) = 0;
  // Waits up to `timeout_millis` for signals from other nodes (one thread at a time): what
  // arrived, empty when none did. Unavailable when the store cannot be reached.
  virtual Result<std::vector<LeaseSignal>> Receive(int timeout_millis) = 0;
};

}  // namespace soundtrend::store
