// BatchBuilder: aggregates validated records into one Batch.
//
// Contracts: raw uses are counted per (clip_id, region, UTC day of `time`); `daily`
// records add their `uses` to the same cells; the result has at most one DailyUses per
// cell, sorted by (day, region, clip_id). For each (region, clip_id, day) the 4 most
// viewed videos are kept (ties: the smaller video_id; the same video seen twice keeps its
// largest view count). A later sound record for a clip replaces the earlier one. Memory is
// proportional to the distinct cells, videos kept and sounds, not to the records.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/records.h"
#include "ingest/record_parser.h"

namespace soundtrend::ingest {

class BatchBuilder {
 public:
  // `expected_records` (a hint, 0 = unknown) sizes the cell table up front.
  explicit BatchBuilder(int64_t expected_records = 0);
  ~BatchBuilder();
  BatchBuilder(BatchBuilder&& other) noexcept;
  BatchBuilder& operator=(BatchBuilder&& other) noexcept;
  BatchBuilder(const BatchBuilder&) = delete;
  BatchBuilder& operator=(const BatchBuilder&) = delete;

  void Add(const ParsedRecord& record);
  // Records added since the last Finish.
  int64_t records() const { return records_; }
  size_t cells() {
    Drain();
    return cell_count_;
  }
  // Returns the aggregated batch with `id` and source_records = records(), and resets.
  Batch Finish(std::string id);

 private:
  struct TopVideos {
    int count = 0;
    int64_t views[4];
    uint64_t video_id[4];
    uint64_t cover_at[4];  // cover = covers_.substr(cover_at, cover_len)
    uint32_t cover_len[4];
  };
  struct Slot {
    uint64_t clip_id;
    uint64_t day_region;  // (day << 8 | region) + 1; 0 marks an empty slot
    int64_t uses;
    int32_t videos;  // 1 + index into videos_, 0 when none (an all-zero slot is empty)
  };
  // Cells are added through a short queue: the slot of each queued cell is prefetched
  // when it is queued and updated kQueue cells later (hides the cache misses of a table
  // much larger than the caches). Order per cell is preserved.
  struct Pending {
    uint64_t clip_id;
    uint64_t day_region;
    uint64_t hash;
    int64_t uses;
    uint64_t video_id;  // 0: none
    int64_t views;
    std::string cover;
  };
  static constexpr size_t kQueue = 16;

  void Enqueue(uint64_t clip_id, uint64_t day_region, int64_t uses, const UseRecord* video);
  void Apply(Pending& p);
  void Drain();
  void Allocate(size_t slots);
  void Grow();
  void AddVideo(Slot& slot, uint64_t video_id, int64_t views, std::string_view cover);
  void SetCover(TopVideos& top, int k, std::string_view cover);

  Slot* slots_ = nullptr;  // calloc'ed: open addressing, linear probing, power of two
  size_t capacity_ = 0;
  size_t initial_capacity_ = 0;
  size_t cell_count_ = 0;
  Pending queue_[kQueue];
  size_t queue_head_ = 0, queue_size_ = 0;

  std::vector<TopVideos> videos_;
  std::string covers_;  // arena of the kept covers (a replaced cover stays until Finish)
  std::vector<SoundRecord> sounds_;
  std::unordered_map<uint64_t, size_t> sound_index_;
  int64_t records_ = 0;
};

}  // namespace soundtrend::ingest
