#include "engine/store_sync.h"

#include <vector>

namespace soundtrend::engine {

Result<LoadSummary> LoadEngine(store::ChartStore& store, ChartEngine& engine) {
  LoadSummary summary;
  // The watermark first: the data read below holds at least every batch up to it (batches
  // stored meanwhile are read again by the next SyncEngine, which replaces whole days).
  Result<int64_t> seq = store.LatestBatchSeq();
  if (!seq.ok()) return seq.status();
  summary.seq = *seq;
  ST_RETURN_IF_ERROR(store.ForEachSound([&](const SoundRecord& s) {
    engine.AddSound(s);
    return Status::Ok();
  }));
  ST_RETURN_IF_ERROR(store.ForEachDailyUses([&](const DailyUses& u) {
    engine.AddDailyUses(u);
    return Status::Ok();
  }));
  ST_RETURN_IF_ERROR(store.ForEachVideo([&](const VideoRecord& v) {
    engine.AddVideo(v);
    return Status::Ok();
  }));
  ST_RETURN_IF_ERROR(store.ForEachEdition([&](const store::EditionRecord& e) {
    engine.LoadEdition(e);
    ++summary.editions_loaded;
    return Status::Ok();
  }));
  std::vector<store::CellsVersion> versions;
  ST_RETURN_IF_ERROR(store.ForEachCellsVersion(0, [&](const store::CellsVersion& v) {
    versions.push_back(v);
    return Status::Ok();
  }));
  summary.stale = engine.InvalidateHistory(versions);
  engine.set_data_seq(summary.seq);
  return summary;
}

Result<SyncSummary> SyncEngine(store::ChartStore& store, ChartEngine& engine, int64_t after_seq) {
  SyncSummary summary;
  summary.from_seq = after_seq;
  store::ChartStore::ChangeCallbacks callbacks;
  callbacks.sound = [&](const SoundRecord& s) {
    engine.AddSound(s);
    ++summary.sounds;
    return Status::Ok();
  };
  callbacks.cells = [&](RegionId region, Day day, std::span<const DailyUses> uses) {
    engine.ReplaceDailyUses(region, day, uses);
    ++summary.cell_days;
    if (!summary.first_day || day < *summary.first_day) summary.first_day = day;
    if (!summary.last_day || day > *summary.last_day) summary.last_day = day;
    return Status::Ok();
  };
  callbacks.videos = [&](RegionId region, Day day, std::span<const VideoRecord> videos) {
    engine.ReplaceVideos(region, day, videos);
    ++summary.video_days;
    return Status::Ok();
  };
  Result<int64_t> through = store.ReadChanges(after_seq, callbacks);
  if (!through.ok()) return through.status();
  summary.to_seq = *through;
  engine.set_data_seq(*through);
  return summary;
}

}  // namespace soundtrend::engine
