// ChargeLane: one event loop's charge log, written with no system call and no lock per
// charge, so a loop can make each charge durable against the death of its process before
// it answers the request, and answer at once (no batching of answers behind a commit).
//
// A lane is a series of segment files `<prefix><lane>.<segment>`, each of a fixed size,
// allocated up front (posix_fallocate: a write can never find the disk full) and mapped
// shared into memory; a moved segment is reused as a later one (renamed, its stale records
// fail the CRC under the new number), so a busy lane cycles through a few warm mappings. Append
// copies one record into the mapping: the page cache is the file, so the record survives kill -9 of
// the process as soon as Append returns (not a power loss: nothing is fsynced; a store that
// promises that uses ChargeJournal with sync).
//
// Record: payload length (u32 LE, never 0), CRC-32C of the payload seeded with the
// segment's number (u32 LE), payload. A
// segment's unused tail is zeros, so a reader stops at the first length of 0, at a CRC
// that does not match (a record torn by a crash) or at the segment's end.
// Payload: key id, endpoint and request id, each as a length byte and the bytes, then the
// time in micros (i64 LE) and the cost (i64 LE).
//
// Positions: (segment << 32) | byte offset in it; they increase along the lane. A store
// records the position up to which it has moved a lane's charges into its tables, so that
// a crash between that commit and the deletion of the segments moves nothing twice.
//
// Thread-safety: Append from one thread at a time (the lane's writer). end(), ForEach,
// Release and Retire from one other thread at a time (the mover), concurrently with Append.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace soundtrend::ledger {

using LanePosition = uint64_t;

inline LanePosition MakeLanePosition(uint32_t segment, uint32_t offset) {
  return (static_cast<uint64_t>(segment) << 32) | offset;
}
inline uint32_t LaneSegment(LanePosition p) { return static_cast<uint32_t>(p >> 32); }
inline uint32_t LaneOffset(LanePosition p) { return static_cast<uint32_t>(p); }

// One charge as a lane stores it (views; the longest field is 255 bytes).
struct LaneCharge {
  std::string_view key_id;
  std::string_view request_id;
  std::string_view endpoint;
  int64_t time_micros = 0;
  int64_t cost = 0;
};

class ChargeLane {
 public:
  struct Options {
    uint32_t segment_bytes = 256u << 10;  // >= 4096
  };

  // The file of segment `segment` of lane `lane`.
  static std::string SegmentPath(const std::string& prefix, uint32_t lane, uint32_t segment);
  // Every segment file under `prefix` on disk: lane -> its segment numbers, ascending.
  static Result<std::map<uint32_t, std::vector<uint32_t>>> FindSegments(const std::string& prefix);
  // Reads the segment file `path` (segment number `segment`) from disk and calls `fn` for
  // each complete record that starts at or after `from` (positions in that segment), with
  // the record's end position, in order. Stops at the first empty or damaged record.
  static Status ReadSegmentFile(
      const std::string& path, uint32_t segment, LanePosition from,
      const std::function<Status(LanePosition end, std::string_view payload)>& fn);
  // Decodes a record's payload (views into it). Corruption when it does not decode.
  static Status Decode(std::string_view payload, LaneCharge* out);
  // The records' checksum: CRC-32C of `data` continuing from `crc` (a segment's number for
  // a record); with the CPU's instruction when it has one, else the portable code.
  static uint32_t Crc32c(uint32_t crc, std::string_view data);
  static uint32_t Crc32cPortable(uint32_t crc, std::string_view data);

  // Starts lane `lane` at segment `first_segment` (creating its file: AlreadyExists when it
  // is there).
  static Result<std::unique_ptr<ChargeLane>> Create(std::string prefix, uint32_t lane,
                                                    uint32_t first_segment, Options options);
  // Unmaps every segment; the files stay (Retire deletes them).
  ~ChargeLane();
  ChargeLane(const ChargeLane&) = delete;
  ChargeLane& operator=(const ChargeLane&) = delete;

  // Writer: appends one charge. On OK it is in the lane (and in end()). InvalidArgument for
  // a field longer than 255 bytes; an I/O error when a new segment cannot be created (the
  // charge is then not in the lane).
  Status Append(const LaneCharge& charge);

  // Mover: the position after the last record appended (acquire: every record before it
  // can be read).
  LanePosition end() const { return end_.load(std::memory_order_acquire); }
  // Mover: calls `fn` for every record in [from, to), in order, with its payload (valid until
  // Release). `from` and `to` are positions this lane returned (a start or an end()).
  Status ForEach(LanePosition from, LanePosition to,
                 const std::function<Status(std::string_view payload)>& fn) const;
  // Mover: gives up the segments that end before `upto` (their records were moved): two
  // stay mapped as spares, which later segments reuse (renamed: no new file, no page
  // faults); the others are deleted.
  Status Release(LanePosition upto);
  // Mover, once the writer is done: deletes every segment (all moved). The lane can still
  // be destroyed only.
  Status Retire();

  uint32_t lane() const { return lane_; }
  // The position of the lane's first record.
  LanePosition start() const { return MakeLanePosition(first_segment_, 0); }

 private:
  struct Segment {
    uint32_t number = 0;
    char* base = nullptr;
    uint32_t end = 0;  // where its records end, once the writer has left it
  };
  ChargeLane(std::string prefix, uint32_t lane, uint32_t first_segment, Options options)
      : prefix_(std::move(prefix)), lane_(lane), first_segment_(first_segment), options_(options) {}
  // Makes segment `number` the writer's current one: a spare renamed, or a new file
  // created, allocated and mapped.
  Status StartSegment(uint32_t number);
  // Keeps up to `keep_spares` of `done` as spares, unmaps and deletes the others.
  Status Drop(std::vector<Segment>& done, size_t keep_spares);

  const std::string prefix_;
  const uint32_t lane_;
  const uint32_t first_segment_;
  const Options options_;
  // Writer's state.
  char* base_ = nullptr;  // the current segment's mapping
  uint32_t segment_ = 0;  // its number
  uint32_t offset_ = 0;   // the next record's offset in it
  std::atomic<LanePosition> end_{0};
  // The mapped segments, oldest first. The writer adds, the mover removes (Release).
  mutable std::mutex segments_mutex_;
  std::vector<Segment> segments_;
  // Moved segments kept mapped for reuse (Release keeps two per lane; Retire deletes them).
  std::vector<Segment> spares_;
};

}  // namespace soundtrend::ledger
