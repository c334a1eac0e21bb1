// ChartEngine: computes the docs/api.md §4 and §8 chart editions from usage data, in memory.
//
// Inputs are the same deltas the chart store receives (sounds, daily uses, videos), whole
// (day, region) replacements read back from the store, plus the chart history saved earlier
// (store::EditionRecord, a cache). Outputs are immutable ChartSets (every edition of one
// day and the data to answer for any earlier day, see chart_set.h) and the EditionRecords
// the store should save.
//
// Rules implemented (docs/api.md §4, §8), with the interpretations this file decides:
// - Popular edition (region, P, D): window [D-P+1, D]; usage_count = uses in the window;
//   rank by usage desc, then uses on day D desc, then clip_id asc; only sounds with >= 1 use
//   are ranked; the chart is the top 100.
// - Surging edition (region, P, D): u = uses in [D-P+1, D], p = uses in [D-2P+1, D-P];
//   eligible when u >= 50 and u + 10 >= 2 (p + 10); ranked by growth (u + 10) / (p + 10)
//   desc (exact), then u desc, then clip_id asc; the chart is the first 100 eligible.
// - Editions exist for every day from the first day with uses ("data begins") on; those of
//   past days (top 100 only, the "history") are computed because movement, on_list_times,
//   new_to_top_100 and the §7 history fields depend on them. Each kind has its own history.
// - Movement compares with the edition of day D-P of the same kind, region and period; a
//   sound not on its top 100 (or no such edition) is new: type 4, no rank_diff.
// - on_list_times = number of editions of this kind+region+period with day <= D whose top
//   100 lists the sound (today's included); 0 for a search hit never listed.
// - new_to_top_100 = the sound is on no top 100 of this kind+region+period with day <
//   D-P+1 (editions inside the current window, today's included, do not count).
// - Trend: see trend.h (P=120 buckets are stamped with their LAST day, as chart_set.h says).
//   "First use" is the sound's first day with uses in the region over all data.
// - Related: up to 4 distinct videos of the sound in the region during the window, most
//   viewed first, ties to the smaller video_id.
// - Sounds with uses but no catalog record are ranked with a placeholder record (clip_id
//   set, song_id 0, empty title/author) until their record arrives.
//
// History is always what a computation from scratch on the data held gives (docs/api.md §4 "Late
// data and corrections"). When uses arrive for (or replace) day X of a region whose
// history is computed, exactly the editions whose data span holds X are recomputed at the
// next ComputeHistoryThrough / Publish: popular (P) days X..X+P-1, surging (P) days
// X..X+2P-1 (later editions' movement, on_list_times and new_to_top_100 are derived from
// the recomputed top lists when an edition is built, so they follow). Loaded records are a
// cache: each carries the data_seq of the data it was computed from, and
// InvalidateHistory drops those that data stored since then affects; a day with no record
// is computed.
//
// Uses for the same (clip, region, day) add up; a later sound record replaces the earlier;
// videos are kept per (region, clip, day), the 4 most viewed (a repeated video_id keeps its
// largest views).
//
// Performance: sounds get dense indices per region; each (region, day) is an immutable
// column of (sound, uses) cells; window sums per region over 7, 14, 30, 60, 120 and 240 days
// (the popular windows and, for surging, the double ones: p = sum(2P) - sum(P)) are kept and
// slid by one day, per region, so publishing D+1 after D costs a few columns per chart plus
// a scan for the top 100; far jumps rebuild a region's sums from its columns.
//
// Thread-safety: a ChartEngine is used by one thread at a time (callers serialize). The
// ChartSets it returns are immutable, share nothing mutable with the engine and may be read
// by any number of threads while the engine keeps working.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/day.h"
#include "common/records.h"
#include "common/regions.h"
#include "engine/chart_set.h"
#include "store/chart_store.h"

namespace soundtrend::engine {

namespace internal {
struct SoundInfo;
struct UsesColumn;
struct VideoColumn;
struct RegionState;
}  // namespace internal

struct EngineStats {
  int64_t sounds = 0;            // distinct clip ids known (catalog or uses)
  int64_t region_sounds = 0;     // distinct (region, sound) pairs with a dense index
  int64_t cells = 0;             // (region, sound, day) cells with uses
  int64_t videos = 0;            // videos kept
  std::optional<Day> first_day;  // first day with uses
  std::optional<Day> last_day;   // last day with uses
  std::optional<Day> history_through;
};

// What InvalidateHistory found.
struct InvalidationStats {
  int64_t keys = 0;      // (region, day) keys that made at least one edition stale
  int64_t editions = 0;  // editions made stale
  std::optional<Day> first_day, last_day;  // of those keys
};

// What a ComputeHistoryThrough or Publish did to the history (added up over calls).
struct HistoryStats {
  int64_t computed = 0;    // editions computed for the first time (no record before)
  int64_t recomputed = 0;  // editions computed again because their data changed
  int64_t changed = 0;     // recomputed editions whose top list differs from before
  std::optional<Day> first_recomputed, last_recomputed;  // days of the recomputed ones
  std::optional<Day> first_computed, last_computed;      // days of the computed ones
};

class ChartEngine {
 public:
  ChartEngine();
  ~ChartEngine();
  ChartEngine(const ChartEngine&) = delete;
  ChartEngine& operator=(const ChartEngine&) = delete;

  // Data deltas (already validated by ingest).
  void AddSound(const SoundRecord& sound);
  void AddDailyUses(const DailyUses& uses);
  void AddVideo(const VideoRecord& video);
  void AddBatch(const Batch& batch);
  // Replaces every use of (region, day) with `uses` (each with that region and day, uses
  // > 0, a clip at most once), e.g. the cells the store holds for that key now.
  void ReplaceDailyUses(RegionId region, Day day, std::span<const DailyUses> uses);
  // Replaces every video of (region, day) with `videos` (each with that region and day).
  void ReplaceVideos(RegionId region, Day day, std::span<const VideoRecord> videos);

  // Saved history, e.g. from ChartStore::ForEachEdition at start-up: taken as the edition
  // its data_seq gives (see InvalidateHistory). Replaces an edition of the same key.
  // Ignores periods other than 7/30/120.
  void LoadEdition(const store::EditionRecord& edition);
  // The data of `key` (region, day) changed up to batch `seq`: every edition of the region
  // whose span holds that day and whose data_seq is older is computed again.
  InvalidationStats InvalidateHistory(std::span<const store::CellsVersion> keys);
  // The data_seq of the editions computed from now on (the store's batch sequence the
  // engine's data reflects). Default 0.
  void set_data_seq(int64_t seq) { data_seq_ = seq; }
  int64_t data_seq() const { return data_seq_; }

  // Computes every edition (top 100 of every kind x region x period) of every day from data
  // begin through `day` that is missing or affected by changed data; returns their records
  // to save (new ones and recomputed ones, changed or not, all with data_seq()).
  std::vector<store::EditionRecord> ComputeHistoryThrough(Day day, HistoryStats* stats = nullptr);

  // The ChartSet of `day` (the history before it is computed first). Records of editions
  // computed (including day `day`'s own) are appended to `new_editions` when non-null.
  std::shared_ptr<const ChartSet> Publish(Day day, std::vector<store::EditionRecord>* new_editions,
                                          HistoryStats* stats = nullptr);

  // Increases with every data delta or loaded edition; lets a publisher notice changes.
  uint64_t data_version() const { return data_version_; }
  std::optional<Day> first_day() const;
  std::optional<Day> last_day() const;
  EngineStats Stats() const;

 private:
  struct Selection {
    std::vector<uint32_t> locals;  // rank order, at most 100
    size_t ranked_count = 0;
  };

  uint32_t GlobalIndex(uint64_t clip_id);
  uint32_t LocalIndex(internal::RegionState& region, uint32_t global);
  void EnsureDay(Day day);
  internal::UsesColumn& MutableUses(internal::RegionState& region, Day day);
  void NormalizeColumns();
  void MarkDirty(internal::RegionState& region, Day day);
  void ResolveDirty();
  void UpdateUseBounds(internal::RegionState& region);
  void PositionState(internal::RegionState& region, Day day);
  void RebuildState(internal::RegionState& region, Day day);
  // Require the region positioned at `day`. Also tighten the region's block bounds.
  Selection SelectTop(internal::RegionState& region, int period_index, Day day);
  Selection SelectSurging(internal::RegionState& region, int period_index, Day day);
  // Computes the edition (region, series, day) (the region positioned at `day`), records it
  // in the history and appends its record.
  Selection ComputeEdition(internal::RegionState& region, int series, Day day,
                           std::vector<store::EditionRecord>& records, HistoryStats* stats);
  // Records `locals` as the top of (region, series, day); true when it differs from the
  // previous top (none counts as empty).
  bool RecordTop(internal::RegionState& region, int series, Day day, std::vector<uint32_t> locals);
  store::EditionRecord ToRecord(const internal::RegionState& region, int series, Day day) const;
  void SnapshotIndexes();

  // Catalog.
  std::unordered_map<uint64_t, uint32_t> clip_to_global_;
  std::vector<uint64_t> clip_ids_;  // by global index
  struct SoundTable;
  std::unique_ptr<SoundTable> sounds_;

  // Per region data, window state and history.
  std::vector<std::unique_ptr<internal::RegionState>> regions_;
  std::optional<Day> base_day_;  // day of index 0 of every per-day vector (same for all)
  int day_count_ = 0;            // columns per region
  std::optional<Day> first_use_day_, last_use_day_;
  std::vector<std::pair<RegionId, Day>> dirty_columns_;
  int64_t region_sound_count_ = 0;
  std::optional<Day> history_through_;
  int64_t data_seq_ = 0;
  uint64_t data_version_ = 0;
};

}  // namespace soundtrend::engine
