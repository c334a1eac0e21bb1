#include "ingest/batch_builder.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <tuple>
#include <utility>

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

constexpr uint64_t kMaxSlots = uint64_t{1} << 26;
constexpr size_t kHugePage = size_t{2} << 20;

// Zeroed memory for `bytes`; large tables are mapped with transparent huge pages asked
// for (random probes into a table of tens of MB otherwise miss the TLB on most probes).
void* ZeroedTable(size_t bytes) {
  if (bytes < kHugePage) return std::calloc(bytes, 1);
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}
void FreeTable(void* p, size_t bytes) {
  if (!p) return;
  if (bytes < kHugePage) {
    std::free(p);
  } else {
    munmap(p, bytes);
  }
}

struct Entry {
  uint64_t clip_id;
  uint64_t day_region;
  int64_t uses;
  int32_t videos;
};

}  // namespace

BatchBuilder::BatchBuilder(int64_t expected_records) {
  size_t want = kInitialSlots;
  const uint64_t need = static_cast<uint64_t>(std::max<int64_t>(expected_records, 0)) * 4 / 3;
  while (want < need && want < kMaxSlots) want *= 2;
  initial_capacity_ = want;
  Allocate(want);
}

BatchBuilder::~BatchBuilder() { FreeTable(slots_, capacity_ * sizeof(Slot)); }

BatchBuilder::BatchBuilder(BatchBuilder&& other) noexcept { *this = std::move(other); }

BatchBuilder& BatchBuilder::operator=(BatchBuilder&& other) noexcept {
  if (this == &other) return *this;
  FreeTable(slots_, capacity_ * sizeof(Slot));
  slots_ = std::exchange(other.slots_, nullptr);
  capacity_ = std::exchange(other.capacity_, 0);
  initial_capacity_ = other.initial_capacity_;
  cell_count_ = std::exchange(other.cell_count_, 0);
  for (size_t i = 0; i < kQueue; ++i) queue_[i] = std::move(other.queue_[i]);
  queue_head_ = std::exchange(other.queue_head_, 0);
  queue_size_ = std::exchange(other.queue_size_, 0);
  videos_ = std::move(other.videos_);
  covers_ = std::move(other.covers_);
  sounds_ = std::move(other.sounds_);
  sound_index_ = std::move(other.sound_index_);
  records_ = std::exchange(other.records_, 0);
  return *this;
}

void BatchBuilder::Allocate(size_t slots) {
  FreeTable(slots_, capacity_ * sizeof(Slot));
  // Zeroed: an all-zero slot is empty.
  slots_ = static_cast<Slot*>(ZeroedTable(slots * sizeof(Slot)));
  if (!slots_) throw std::bad_alloc();
  capacity_ = slots;
  cell_count_ = 0;
}

void BatchBuilder::Grow() {
  Slot* old = slots_;
  const size_t old_capacity = capacity_;
  slots_ = static_cast<Slot*>(ZeroedTable(old_capacity * 2 * sizeof(Slot)));
  if (!slots_) throw std::bad_alloc();
  capacity_ = old_capacity * 2;
  const size_t mask = capacity_ - 1;
  for (size_t k = 0; k < old_capacity; ++k) {
    const Slot& s = old[k];
    if (s.day_region == 0) continue;
    size_t i = Mix(s.clip_id, s.day_region) & mask;
    while (slots_[i].day_region != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
  FreeTable(old, old_capacity * sizeof(Slot));
}

void BatchBuilder::Enqueue(uint64_t clip_id, uint64_t day_region, int64_t uses,
                           const UseRecord* video) {
  if (!slots_) Allocate(initial_capacity_ ? initial_capacity_ : kInitialSlots);
  if (queue_size_ == kQueue) {
    Apply(queue_[queue_head_]);
    queue_head_ = (queue_head_ + 1) % kQueue;
    --queue_size_;
  }
  Pending& p = queue_[(queue_head_ + queue_size_) % kQueue];
  ++queue_size_;
  p.clip_id = clip_id;
  p.day_region = day_region;
  p.hash = Mix(clip_id, day_region);
  p.uses = uses;
  if (video) {
    p.video_id = video->video_id;
    p.views = video->views;
    p.cover.assign(video->video_cover);
  } else {
    p.video_id = 0;
  }
  __builtin_prefetch(&slots_[p.hash & (capacity_ - 1)], 1);
}

void BatchBuilder::Apply(Pending& p) {
  if ((cell_count_ + 1) * 4 > capacity_ * 3) Grow();
  const size_t mask = capacity_ - 1;
  size_t i = p.hash & mask;
  for (;;) {
    Slot& s = slots_[i];
    if (s.day_region == p.day_region && s.clip_id == p.clip_id) break;
    if (s.day_region == 0) {
      s = Slot{p.clip_id, p.day_region, 0, 0};
      ++cell_count_;
      break;
    }
    i = (i + 1) & mask;
  }
  Slot& slot = slots_[i];
  slot.uses += p.uses;
  if (p.video_id != 0) AddVideo(slot, p.video_id, p.views, p.cover);
}

void BatchBuilder::Drain() {
  while (queue_size_ > 0) {
    Apply(queue_[queue_head_]);
    queue_head_ = (queue_head_ + 1) % kQueue;
    --queue_size_;
  }
  queue_head_ = 0;
}

void BatchBuilder::SetCover(TopVideos& top, int k, std::string_view cover) {
  top.cover_at[k] = covers_.size();
  top.cover_len[k] = static_cast<uint32_t>(cover.size());
  covers_.append(cover);
}

void BatchBuilder::AddVideo(Slot& slot, uint64_t video_id, int64_t views, std::string_view cover) {
  if (slot.videos == 0) {
    videos_.emplace_back();
    slot.videos = static_cast<int32_t>(videos_.size());
  }
  TopVideos& top = videos_[slot.videos - 1];
  // "a ranks above b": more views, then the smaller id.
  auto above = [](int64_t va, uint64_t ia, int64_t vb, uint64_t ib) {
    return va != vb ? va > vb : ia < ib;
  };
  for (int k = 0; k < top.count; ++k) {
    if (top.video_id[k] == video_id) {
      if (views > top.views[k]) {
        top.views[k] = views;
        SetCover(top, k, cover);
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
    if (!above(views, video_id, top.views[place], top.video_id[place])) return;
  }
  top.views[place] = views;
  top.video_id[place] = video_id;
  SetCover(top, place, cover);
}

void BatchBuilder::Add(const ParsedRecord& record) {
  ++records_;
  switch (record.kind) {
    case RecordKind::kUse: {
      const UseRecord& u = record.use;
      Enqueue(u.clip_id, PackDayRegion(DayOfUnixSeconds(u.time), u.region), 1,
              u.video_id != 0 ? &u : nullptr);
      return;
    }
    case RecordKind::kDaily: {
      const DailyUses& d = record.daily;
      Enqueue(d.clip_id, PackDayRegion(d.day, d.region), d.uses, nullptr);
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
  Drain();
  Batch batch;
  batch.id = std::move(id);
  batch.source_records = records_;
  batch.sounds = std::move(sounds_);

  // The cells in (day, region, clip_id) order: bucketed by (day, region) when the days
  // span a short range (the usual case), then each bucket sorted by clip id.
  std::vector<Entry> entries;
  entries.reserve(cell_count_);
  uint64_t min_dr = ~uint64_t{0}, max_dr = 0;
  for (size_t k = 0; k < capacity_; ++k) {
    const Slot& s = slots_[k];
    if (s.day_region == 0) continue;
    entries.push_back(Entry{s.clip_id, s.day_region, s.uses, s.videos});
    min_dr = std::min(min_dr, s.day_region);
    max_dr = std::max(max_dr, s.day_region);
  }
  auto by_clip = [](const Entry& a, const Entry& b) { return a.clip_id < b.clip_id; };
  if (!entries.empty() && max_dr - min_dr < (uint64_t{1} << 20)) {
    const size_t buckets = static_cast<size_t>(max_dr - min_dr) + 1;
    std::vector<uint32_t> start(buckets + 1, 0);
    for (const Entry& e : entries) ++start[e.day_region - min_dr + 1];
    for (size_t b = 0; b < buckets; ++b) start[b + 1] += start[b];
    std::vector<Entry> sorted(entries.size());
    std::vector<uint32_t> at(start.begin(), start.end() - 1);
    for (const Entry& e : entries) sorted[at[e.day_region - min_dr]++] = e;
    for (size_t b = 0; b < buckets; ++b) {
      if (start[b + 1] - start[b] > 1) {
        std::sort(sorted.begin() + start[b], sorted.begin() + start[b + 1], by_clip);
      }
    }
    entries.swap(sorted);
  } else {
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.day_region != b.day_region ? a.day_region < b.day_region : a.clip_id < b.clip_id;
    });
  }

  batch.uses.reserve(entries.size());
  batch.videos.reserve(videos_.size());
  for (const Entry& e : entries) {
    const uint64_t packed = e.day_region - 1;
    const Day day = static_cast<Day>(static_cast<uint32_t>(packed >> 8));
    const RegionId region = static_cast<RegionId>(packed & 0xff);
    if (e.uses > 0) batch.uses.push_back(DailyUses{e.clip_id, region, day, e.uses});
    if (e.videos > 0) {
      TopVideos& top = videos_[e.videos - 1];
      int order[4] = {0, 1, 2, 3};
      std::sort(order, order + top.count, [&](int a, int b) {
        return top.views[a] != top.views[b] ? top.views[a] > top.views[b]
                                            : top.video_id[a] < top.video_id[b];
      });
      for (int j = 0; j < top.count; ++j) {
        const int k = order[j];
        batch.videos.push_back(VideoRecord{top.video_id[k], e.clip_id, region, day,
                                           covers_.substr(top.cover_at[k], top.cover_len[k]),
                                           top.views[k]});
      }
    }
  }
  Allocate(initial_capacity_);
  videos_.clear();
  covers_.clear();
  sounds_.clear();
  sound_index_.clear();
  records_ = 0;
  return batch;
}

}  // namespace soundtrend::ingest
