// Domain records shared by ingest, store, engine and demo. Plain data, validated by the
// ingest layer before anything else sees them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/day.h"
#include "common/regions.h"

namespace soundtrend {

// A catalog entry. A later record for the same clip_id replaces the earlier one.
struct SoundRecord {
  uint64_t clip_id = 0;  // > 0
  uint64_t song_id = 0;  // > 0
  std::string title;     // UTF-8, non-empty
  std::string author;    // UTF-8
  std::string cover;     // URL, may be empty
  int32_t duration = 0;  // seconds, >= 0
  bool commercial = false;
  bool promoted = false;
  std::string music_url;  // URL of the audio, optional (empty: none)

  friend bool operator==(const SoundRecord&, const SoundRecord&) = default;
};

// Uses of one sound in one region on one UTC day. Raw use records are aggregated into
// these before storage; the pre-aggregated input format maps onto them directly.
struct DailyUses {
  uint64_t clip_id = 0;
  RegionId region = 0;
  Day day = 0;
  int64_t uses = 0;  // > 0

  friend bool operator==(const DailyUses&, const DailyUses&) = default;
};

// A video that used a sound, for `related_items`. The store keeps, for each
// (region, clip_id, day), at least the 4 most viewed videos (ties: smaller video_id).
struct VideoRecord {
  uint64_t video_id = 0;
  uint64_t clip_id = 0;
  RegionId region = 0;
  Day day = 0;
  std::string cover;  // URL
  int64_t views = 0;

  friend bool operator==(const VideoRecord&, const VideoRecord&) = default;
};

// One validated unit of ingest, applied all-or-nothing and at most once (by id).
struct Batch {
  std::string id;  // content hash of the input, or an id the client chose
  std::vector<SoundRecord> sounds;
  std::vector<DailyUses> uses;  // at most one entry per (clip_id, region, day)
  std::vector<VideoRecord> videos;
  int64_t source_records = 0;  // input records that produced this batch (for reporting)
};

}  // namespace soundtrend
