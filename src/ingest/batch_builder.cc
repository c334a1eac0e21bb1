#include "ingest/batch_builder.h"

#include <algorithm>
#include <tuple>

namespace soundtrend::ingest {
namespace {

constexpr size_t kInitialSlots = 1 << 12;

inline uint64_t Mix(uint64_t a, uint64_t b) {
  uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 32;
  return h;
}

inline uint64_t PackDayRegion(Day day, RegionId region) {
  return ((static_cast<uint64_t>(static_cast<uint32_t>(day)) << 8) | region) + 1;
}

}  // namespace

BatchBuilder::BatchBuilder() { slots_.assign(kInitialSlots, Slot{0, 0, 0, -1}); }

BatchBuilder::Slot& BatchBuilder::FindOrInsert(uint64_t clip_id, RegionId region, Day day) {
  if ((cell_count_ + 1) * 4 > slots_.size() * 3) Grow();
  const uint64_t dr = PackDayRegion(day, region);
  const size_t mask = slots_.size() - 1;
  size_t i = Mix(clip_id, dr) & mask;
  for (;;) {
    Slot& s = slots_[i];
    if (s.day_region == dr && s.clip_id == clip_id) return s;
    if (s.day_region == 0) {
      s = Slot{clip_id, dr, 0, -1};
      ++cell_count_;
      return s;
    }
    i = (i + 1) & mask;
  }
}

void BatchBuilder::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.size() * 2, Slot{0, 0, 0, -1});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.day_region == 0) continue;
    size_t i = Mix(s.clip_id, s.day_region) & mask;
    while (slots_[i].day_region != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void BatchBuilder::SetCover(TopVideos& top, int k, std::string_view cover) {
  top.cover_at[k] = covers_.size();
  top.cover_len[k] = static_cast<uint32_t>(cover.size());
  covers_.append(cover);
}

void BatchBuilder::AddVideo(Slot& slot, const UseRecord& use) {
  if (slot.videos < 0) {
    slot.videos = static_cast<int32_t>(videos_.size());
    videos_.emplace_back();
  }
  TopVideos& top = videos_[slot.videos];
  // "a ranks above b": more views, then the smaller id.
  auto above = [](int64_t va, uint64_t ia, int64_t vb, uint64_t ib) {
    return va != vb ? va > vb : ia < ib;
  };
  for (int k = 0; k < top.count; ++k) {
    if (top.video_id[k] == use.video_id) {
      if (use.views > top.views[k]) {
        top.views[k] = use.views;
        SetCover(top, k, use.video_cover);
      }
      return;
    }
  }
  int place;
  if (top.count < 4) {
    place = top.count++;
  } else {
    place = 0;  // the lowest ranked entry
    for (int k = 1; k < 4; ++k) {
      if (above(top.views[place], top.video_id[place], top.views[k], top.video_id[k])) place = k;
    }
    if (!above(use.views, use.video_id, top.views[place], top.video_id[place])) return;
  }
  top.views[place] = use.views;
  top.video_id[place] = use.video_id;
  SetCover(top, place, use.video_cover);
}

void BatchBuilder::Add(const ParsedRecord& record) {
  ++records_;
  switch (record.kind) {
    case RecordKind::kUse: {
      const UseRecord& u = record.use;
      Slot& slot = FindOrInsert(u.clip_id, u.region, DayOfUnixSeconds(u.time));
      ++slot.uses;
      if (u.video_id != 0) AddVideo(slot, u);
      return;
    }
    case RecordKind::kDaily: {
      const DailyUses& d = record.daily;
      FindOrInsert(d.clip_id, d.region, d.day).uses += d.uses;
      return;
    }
    case RecordKind::kSound: {
      auto [it, inserted] = sound_index_.try_emplace(record.sound.clip_id, sounds_.size());
      if (inserted) {
        sounds_.push_back(record.sound);
      } else {
        sounds_[it->second] = record.sound;
      }
      return;
    }
  }
}

Batch BatchBuilder::Finish(std::string id) {
  Batch batch;
  batch.id = std::move(id);
  batch.source_records = records_;
  batch.sounds = std::move(sounds_);
  batch.uses.reserve(cell_count_);
  for (const Slot& s : slots_) {
    if (s.day_region == 0) continue;
    const uint64_t packed = s.day_region - 1;
    const Day day = static_cast<Day>(static_cast<uint32_t>(packed >> 8));
    const RegionId region = static_cast<RegionId>(packed & 0xff);
    if (s.uses > 0) batch.uses.push_back(DailyUses{s.clip_id, region, day, s.uses});
    if (s.videos >= 0) {
      TopVideos& top = videos_[s.videos];
      for (int k = 0; k < top.count; ++k) {
        batch.videos.push_back(VideoRecord{top.video_id[k], s.clip_id, region, day,
                                           covers_.substr(top.cover_at[k], top.cover_len[k]),
                                           top.views[k]});
      }
    }
  }
  // (day, region, clip_id) order; days are >= 2000-01-01, so the packed key orders alike.
  std::sort(batch.uses.begin(), batch.uses.end(), [](const DailyUses& a, const DailyUses& b) {
    const uint64_t ka = PackDayRegion(a.day, a.region), kb = PackDayRegion(b.day, b.region);
    return ka != kb ? ka < kb : a.clip_id < b.clip_id;
  });
  std::sort(batch.videos.begin(), batch.videos.end(),
            [](const VideoRecord& a, const VideoRecord& b) {
              return std::tie(a.region, a.clip_id, a.day, b.views, a.video_id) <
                     std::tie(b.region, b.clip_id, b.day, a.views, b.video_id);
            });
  slots_.assign(kInitialSlots, Slot{0, 0, 0, -1});
  cell_count_ = 0;
  videos_.clear();
  covers_.clear();
  sounds_.clear();
  sound_index_.clear();
  records_ = 0;
  return batch;
}

}  // namespace soundtrend::ingest
