// ChargeJournal: an append-only file where a store stages groups of charges before moving
// them into its tables in bulk. One Append is one write(2) of one record (and one
// fdatasync with Options::sync), where a database transaction costs several syscalls, lock
// calls and page writes. (Per-loop charges that need only survive kill -9 go to charge
// lanes instead, store/charge_lane.h: no system call at all.)
//
// Record: payload length (u32 LE), CRC-32 of id + payload (u32 LE), id (u64 LE), payload.
// Ids increase by one per record and keep increasing across Clear and reopen (see
// Open's `first_id`), so a store can remember "moved up to id N" in its own tables and
// skip those records if it crashes between moving them and Clear.
//
// Durability: Append returns after write(2) (the record survives the death of the
// process); with Options::sync each Append also fdatasyncs (survives power loss). A crash
// in the middle of an Append leaves a torn record at the end: Open cuts it off (its
// charges were never acknowledged).
//
// Ownership: Open takes an exclusive flock on the file for the life of the object; a second
// Open (this process or another) fails until it is closed or its process dies.
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace soundtrend::ledger {

class ChargeJournal {
 public:
  struct Options {
    bool sync = false;  // fdatasync after every Append
  };

  // Opens (creating) and locks `path`. FailedPrecondition when another open journal holds
  // it. Reads its records; cuts off a torn or corrupt tail (bytes_cut() tells how many):
  // from the first record that is partial, fails its CRC or does not carry the previous
  // record's id + 1.
  // The next record's id is max(`first_id`, last record's id + 1).
  static Result<std::unique_ptr<ChargeJournal>> Open(const std::string& path, Options options,
                                                     uint64_t first_id = 1);
  ~ChargeJournal();
  ChargeJournal(const ChargeJournal&) = delete;
  ChargeJournal& operator=(const ChargeJournal&) = delete;

  // Appends a record; returns its id. On error nothing of it stays in the file.
  Result<uint64_t> Append(std::string_view payload);
  // Calls `fn` for every record in the journal, in order; stops at (and returns) the first
  // non-OK status `fn` returns.
  Status ForEach(const std::function<Status(uint64_t id, std::string_view payload)>& fn) const;
  // Removes every record. Ids continue from where they were.
  Status Clear();

  bool empty() const { return records_.empty(); }
  uint64_t next_id() const { return next_id_; }
  size_t bytes_cut() const { return bytes_cut_; }

 private:
  ChargeJournal(int fd, Options options) : fd_(fd), options_(options) {}
  int fd_;
  Options options_;
  std::string records_;  // the file's content (valid records only)
  // Where each record of records_ starts: ForEach walks them without checking the CRCs
  // again (they were checked when read, or computed when appended).
  std::vector<size_t> starts_;
  uint64_t next_id_ = 1;
  size_t bytes_cut_ = 0;
};

}  // namespace soundtrend::ledger
