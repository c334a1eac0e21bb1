// The packed encodings of chart data a store keeps per (day, region): "segments" of daily
// uses (cells) and of videos, appended one per batch and merged when a key has too many,
// so that a batch writes a few rows instead of one per cell. A storage format shared by
// the implementations (store/sqlite/ and store/postgres/). Integers are LEB128 varints
// (store/varint.h).
//   cells:  per cell (clip_id delta from the previous, zigzag uses), clip ids increasing
//   videos: per video (clip_id delta, video_id, zigzag views, cover length, cover bytes),
//           clip ids non-decreasing
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace soundtrend::store::segments {

inline constexpr size_t kVideosKept = 4;  // per (region, clip, day)
// A (day, region) with more segments than this after a write is merged into one.
inline constexpr int64_t kMaxSegments = 8;

struct Cell {
  uint64_t clip_id;
  int64_t uses;
};

struct Video {
  uint64_t clip_id;
  uint64_t video_id;
  int64_t views;
  std::string_view cover;  // into a segment or a record that outlives the Video
};

void EncodeCells(std::span<const Cell> cells, std::string& out);
Status DecodeCells(std::string_view data, std::vector<Cell>& out);  // appends
// Sorts by clip id (unsigned) and sums duplicates.
void SumCells(std::vector<Cell>& cells);

void EncodeVideos(std::span<const Video> videos, std::string& out);
Status DecodeVideos(std::string_view data, std::vector<Video>& out);  // appends
// `videos` in the order they were written (earlier first): keeps, per clip, the 4 most
// viewed (ties: smaller video_id) of the distinct videos, each with its largest view count
// (ties: the earliest record), ordered by (clip_id, views desc, video_id).
void KeepTopVideos(std::vector<Video>& videos);

}  // namespace soundtrend::store::segments
