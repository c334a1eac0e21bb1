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
  BatchBuilder();
  void Add(const ParsedRecord& record);
  // Records added since the last Finish.
  int64_t records() const { return records_; }
  size_t cells() const { return cell_count_; }
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
    int32_t videos;  // index into videos_, -1 when none
  };
  Slot& FindOrInsert(uint64_t clip_id, RegionId region, Day day);
  void Grow();
  void AddVideo(Slot& slot, const UseRecord& use);

  std::vector<Slot> slots_;  // open addressing, linear probing, power-of-two size
  size_t cell_count_ = 0;
  void SetCover(TopVideos& top, int k, std::string_view cover);

  std::vector<TopVideos> videos_;
  std::string covers_;  // arena of the kept covers (a replaced cover stays until Finish)
  std::vector<SoundRecord> sounds_;
  std::unordered_map<uint64_t, size_t> sound_index_;
  int64_t records_ = 0;
};

}  // namespace soundtrend::ingest
