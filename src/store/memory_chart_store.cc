#include "store/memory_chart_store.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

namespace soundtrend::store {

namespace {

using Key = std::pair<Day, RegionId>;  // (day, region): the order of ForEachDailyUses

struct Cells {
  std::map<uint64_t, int64_t> uses;  // by clip
  int64_t seq = 0;
};

struct Videos {
  std::map<std::pair<uint64_t, uint64_t>, VideoRecord> by_clip_video;  // largest views kept
  int64_t seq = 0;
};

// The 4 most viewed (ties: smaller video_id) per clip, ordered by (clip, views desc, id).
std::vector<VideoRecord> TopVideos(const Videos& videos) {
  std::vector<VideoRecord> all;
  for (const auto& [key, v] : videos.by_clip_video) all.push_back(v);
  std::sort(all.begin(), all.end(), [](const VideoRecord& a, const VideoRecord& b) {
    if (a.clip_id != b.clip_id) return a.clip_id < b.clip_id;
    if (a.views != b.views) return a.views > b.views;
    return a.video_id < b.video_id;
  });
  std::vector<VideoRecord> kept;
  size_t same = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    same = (i > 0 && all[i].clip_id == all[i - 1].clip_id) ? same + 1 : 0;
    if (same < 4) kept.push_back(all[i]);
  }
  return kept;
}

}  // namespace

struct MemoryChartStore::State {
  std::mutex mu;
  struct Data {
    int64_t seq = 0;
    std::map<std::string, int64_t> batches;                      // id -> seq
    std::map<uint64_t, std::pair<SoundRecord, int64_t>> sounds;  // (record, seq)
    std::map<Key, Cells> cells;
    std::map<Key, Videos> videos;
    std::map<std::tuple<ChartKind, RegionId, int, Day>, EditionRecord> editions;
  } data;
  int64_t save_calls = 0;
};

std::shared_ptr<MemoryChartStore::State> MemoryChartStore::NewState() {
  return std::make_shared<State>();
}

MemoryChartStore::MemoryChartStore(std::shared_ptr<State> state, int64_t fail_apply_after_rows)
    : state_(std::move(state)), fail_apply_after_rows_(fail_apply_after_rows) {}

MemoryChartStore::~MemoryChartStore() = default;

Result<bool> MemoryChartStore::ApplyBatch(const Batch& batch) {
  if (batch.id.empty()) return Status::InvalidArgument("batch id is empty");
  for (const DailyUses& u : batch.uses)
    if (u.region >= kRegionCount) return Status::InvalidArgument("region id out of range");
  for (const VideoRecord& v : batch.videos)
    if (v.region >= kRegionCount) return Status::InvalidArgument("region id out of range");
  std::lock_guard lock(state_->mu);
  if (state_->data.batches.count(batch.id)) return false;
  State::Data next = state_->data;  // applied whole or not at all
  const int64_t seq = next.seq + 1;
  int64_t rows = 0;
  auto count_row = [&]() -> Status {
    ++rows;
    if (fail_apply_after_rows_ >= 0 && rows > fail_apply_after_rows_)
      return Status::IoError("injected failure");
    return Status::Ok();
  };
  for (const SoundRecord& s : batch.sounds) {
    ST_RETURN_IF_ERROR(count_row());
    next.sounds[s.clip_id] = {s, seq};
  }
  for (const DailyUses& u : batch.uses) {
    ST_RETURN_IF_ERROR(count_row());
    Cells& cells = next.cells[{u.day, u.region}];
    cells.uses[u.clip_id] += u.uses;
    cells.seq = seq;
  }
  for (const VideoRecord& v : batch.videos) {
    ST_RETURN_IF_ERROR(count_row());
    Videos& videos = next.videos[{v.day, v.region}];
    auto [it, inserted] = videos.by_clip_video.try_emplace({v.clip_id, v.video_id}, v);
    if (!inserted && v.views > it->second.views) it->second = v;
    videos.seq = seq;
  }
  next.batches[batch.id] = seq;
  next.seq = seq;
  state_->data = std::move(next);
  return true;
}

Result<bool> MemoryChartStore::HasBatch(const std::string& batch_id) {
  std::lock_guard lock(state_->mu);
  return state_->data.batches.count(batch_id) > 0;
}

Status MemoryChartStore::ForEachSound(const std::function<Status(const SoundRecord&)>& fn) {
  std::lock_guard lock(state_->mu);
  for (const auto& [clip, s] : state_->data.sounds) ST_RETURN_IF_ERROR(fn(s.first));
  return Status::Ok();
}

Status MemoryChartStore::ForEachDailyUses(const std::function<Status(const DailyUses&)>& fn) {
  std::lock_guard lock(state_->mu);
  for (const auto& [key, cells] : state_->data.cells)
    for (const auto& [clip, n] : cells.uses)
      ST_RETURN_IF_ERROR(fn(DailyUses{clip, key.second, key.first, n}));
  return Status::Ok();
}

Status MemoryChartStore::ForEachVideo(const std::function<Status(const VideoRecord&)>& fn) {
  std::lock_guard lock(state_->mu);
  for (const auto& [key, videos] : state_->data.videos)
    for (const VideoRecord& v : TopVideos(videos)) ST_RETURN_IF_ERROR(fn(v));
  return Status::Ok();
}

Result<std::optional<Day>> MemoryChartStore::LatestUsageDay() {
  std::lock_guard lock(state_->mu);
  if (state_->data.cells.empty()) return std::optional<Day>();
  return std::optional<Day>(state_->data.cells.rbegin()->first.first);
}

Status MemoryChartStore::SaveEditions(std::span<const EditionRecord> editions) {
  for (const EditionRecord& e : editions) {
    if (e.region >= kRegionCount) return Status::InvalidArgument("region id out of range");
    if (!PeriodIndex(e.period))
      return Status::InvalidArgument("edition period must be 7, 30 or 120");
  }
  std::lock_guard lock(state_->mu);
  ++state_->save_calls;
  for (const EditionRecord& e : editions)
    state_->data.editions[{e.kind, e.region, e.period, e.day}] = e;
  return Status::Ok();
}

Status MemoryChartStore::ForEachEdition(const std::function<Status(const EditionRecord&)>& fn) {
  std::lock_guard lock(state_->mu);
  for (const auto& [key, e] : state_->data.editions) ST_RETURN_IF_ERROR(fn(e));
  return Status::Ok();
}

Result<int64_t> MemoryChartStore::LatestBatchSeq() {
  std::lock_guard lock(state_->mu);
  return state_->data.seq;
}

Status MemoryChartStore::ForEachCellsVersion(int64_t after_seq,
                                             const std::function<Status(const CellsVersion&)>& fn) {
  std::lock_guard lock(state_->mu);
  for (const auto& [key, cells] : state_->data.cells)
    if (cells.seq > after_seq)
      ST_RETURN_IF_ERROR(fn(CellsVersion{key.second, key.first, cells.seq}));
  return Status::Ok();
}

Result<int64_t> MemoryChartStore::ReadChanges(int64_t after_seq, const ChangeCallbacks& callbacks) {
  std::lock_guard lock(state_->mu);
  const State::Data& data = state_->data;
  for (const auto& [clip, s] : data.sounds)
    if (s.second > after_seq && callbacks.sound) ST_RETURN_IF_ERROR(callbacks.sound(s.first));
  std::vector<DailyUses> uses;
  for (const auto& [key, cells] : data.cells) {
    if (cells.seq <= after_seq || !callbacks.cells) continue;
    uses.clear();
    for (const auto& [clip, n] : cells.uses)
      uses.push_back(DailyUses{clip, key.second, key.first, n});
    ST_RETURN_IF_ERROR(callbacks.cells(key.second, key.first, uses));
  }
  for (const auto& [key, videos] : data.videos) {
    if (videos.seq <= after_seq || !callbacks.videos) continue;
    ST_RETURN_IF_ERROR(callbacks.videos(key.second, key.first, TopVideos(videos)));
  }
  return std::max(after_seq, data.seq);
}

Result<StoreStats> MemoryChartStore::Stats() {
  std::lock_guard lock(state_->mu);
  StoreStats stats;
  stats.sounds = static_cast<int64_t>(state_->data.sounds.size());
  for (const auto& [key, cells] : state_->data.cells)
    stats.daily_cells += static_cast<int64_t>(cells.uses.size());
  for (const auto& [key, videos] : state_->data.videos)
    stats.videos += static_cast<int64_t>(TopVideos(videos).size());
  stats.batches = static_cast<int64_t>(state_->data.batches.size());
  stats.editions = static_cast<int64_t>(state_->data.editions.size());
  return stats;
}

int64_t MemoryChartStore::save_calls() const {
  std::lock_guard lock(state_->mu);
  return state_->save_calls;
}

}  // namespace soundtrend::store
