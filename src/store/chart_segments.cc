#include "store/chart_segments.h"

#include <algorithm>

#include "store/varint.h"

namespace soundtrend::store::segments {
namespace {
Status BadSegment() { return Status::Corruption("stored segment does not decode"); }
}  // namespace

void EncodeCells(std::span<const Cell> cells, std::string& out) {
  out.clear();
  out.reserve(cells.size() * 7);
  uint64_t prev = 0;
  for (const Cell& c : cells) {
    PutVarint(out, c.clip_id - prev);
    PutVarint(out, ZigZag(c.uses));
    prev = c.clip_id;
  }
}

Status DecodeCells(std::string_view data, std::vector<Cell>& out) {
  VarintDecoder d(data);
  uint64_t clip = 0;
  while (!d.done()) {
    uint64_t delta, uses;
    if (!d.Varint(&delta) || !d.Varint(&uses)) return BadSegment();
    clip += delta;
    out.push_back(Cell{clip, UnZigZag(uses)});
  }
  return Status::Ok();
}

void SumCells(std::vector<Cell>& cells) {
  std::sort(cells.begin(), cells.end(),
            [](const Cell& a, const Cell& b) { return a.clip_id < b.clip_id; });
  size_t w = 0;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (w > 0 && cells[w - 1].clip_id == cells[i].clip_id) {
      cells[w - 1].uses += cells[i].uses;
    } else {
      cells[w++] = cells[i];
    }
  }
  cells.resize(w);
}

void EncodeVideos(std::span<const Video> videos, std::string& out) {
  out.clear();
  uint64_t prev = 0;
  for (const Video& v : videos) {
    PutVarint(out, v.clip_id - prev);
    PutVarint(out, v.video_id);
    PutVarint(out, ZigZag(v.views));
    PutVarint(out, v.cover.size());
    out.append(v.cover);
    prev = v.clip_id;
  }
}

Status DecodeVideos(std::string_view data, std::vector<Video>& out) {
  VarintDecoder d(data);
  uint64_t clip = 0;
  while (!d.done()) {
    uint64_t delta, id, views, len;
    std::string_view cover;
    if (!d.Varint(&delta) || !d.Varint(&id) || !d.Varint(&views) || !d.Varint(&len) ||
        !d.Bytes(len, &cover)) {
      return BadSegment();
    }
    clip += delta;
    out.push_back(Video{clip, id, UnZigZag(views), cover});
  }
  return Status::Ok();
}

void KeepTopVideos(std::vector<Video>& videos) {
  std::stable_sort(videos.begin(), videos.end(), [](const Video& a, const Video& b) {
    if (a.clip_id != b.clip_id) return a.clip_id < b.clip_id;
    if (a.video_id != b.video_id) return a.video_id < b.video_id;
    return a.views > b.views;
  });
  size_t w = 0;
  for (size_t i = 0; i < videos.size(); ++i) {
    if (w > 0 && videos[w - 1].clip_id == videos[i].clip_id &&
        videos[w - 1].video_id == videos[i].video_id) {
      continue;
    }
    videos[w++] = videos[i];
  }
  videos.resize(w);
  std::sort(videos.begin(), videos.end(), [](const Video& a, const Video& b) {
    if (a.clip_id != b.clip_id) return a.clip_id < b.clip_id;
    if (a.views != b.views) return a.views > b.views;
    return a.video_id < b.video_id;
  });
  w = 0;
  size_t same = 0;
  for (size_t i = 0; i < videos.size(); ++i) {
    same = (i > 0 && videos[i].clip_id == videos[i - 1].clip_id) ? same + 1 : 0;
    if (same < kVideosKept) videos[w++] = videos[i];
  }
  videos.resize(w);
}

}  // namespace soundtrend::store::segments
