// A charge block: the charges of one ledger group commit packed into one BLOB, so that a
// store writes one row per commit instead of one row (and one index entry) per charge.
// The block is part of the ledger: its charges are ledger entries with consecutive seqs
// from the block's first seq, and readers decode them back into LedgerEntry values.
//
// Format (all integers LEB128 varints, store/varint.h):
//   version (1)
//   key count, then each key id as length + bytes
//   endpoint count, then each endpoint as length + bytes
//   charge count, then per charge: key index, endpoint index, request id (0 and the 16
//   bytes of a canonical lowercase UUID, or its length + 1 and its bytes), time in micros as the
//   zigzag delta from the previous charge's, modulo 2^64 (the first from 0), cost (> 0), balance
//   after the charge.
// A block may hold several such groups back to back (the SQLite store moves a journal's
// groups as one block): readers decode them in order, seqs continuing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "store/key_store.h"

namespace soundtrend::store {

struct PackedCharge {
  std::string_view key_id;
  std::string_view request_id;
  std::string_view endpoint;
  int64_t time_micros = 0;
  int64_t cost = 0;  // > 0; the ledger entry's amount is -cost
  int64_t balance_after = 0;
};

// Replaces `out` with the encoding of `charges` (at least one).
void EncodeChargeBlock(std::span<const PackedCharge> charges, std::string& out);

// The same encoding built one charge at a time, for charges that are not in one array:
// Add's views must stay valid until Finish. Reusable after Finish; not thread-safe.
class ChargeBlockEncoder {
 public:
  ChargeBlockEncoder();
  ~ChargeBlockEncoder();
  void Add(const PackedCharge& charge);
  size_t size() const { return count_; }
  // Replaces `out` with the block of every charge added since the last Finish or Reset (at
  // least one), and starts a new block.
  void Finish(std::string& out);
  // Drops what was added since the last Finish.
  void Reset();

 private:
  class Dictionary;
  std::unique_ptr<Dictionary> keys_;
  std::unique_ptr<Dictionary> endpoints_;
  std::string body_;
  size_t count_ = 0;
  int64_t previous_time_ = 0;
};

// Calls `fn` with the block's charges as ledger entries, in order, seqs from `first_seq`;
// only those of `key_id` when it is not empty. Returns Corruption for a block that does
// not decode, or the first non-OK status `fn` returns (the scan stops there).
Status DecodeChargeBlock(std::string_view block, int64_t first_seq, std::string_view key_id,
                         const std::function<Status(const LedgerEntry&)>& fn);

// Calls `fn` with each charge of the block (every group), in order, as views into `block` (valid
// during the call). Corruption for a block that does not decode; stops at `fn`'s first error.
Status ForEachPackedCharge(std::string_view block,
                           const std::function<Status(const PackedCharge&)>& fn);

// The number of charges in a block's first group (Corruption when it does not decode
// that far): the whole count of a block EncodeChargeBlock wrote.
Result<int64_t> ChargeBlockCount(std::string_view block);

}  // namespace soundtrend::store
