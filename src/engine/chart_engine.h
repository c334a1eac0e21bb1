// ChartEngine: computes the SPEC §4 chart editions from usage data, in memory.
//
// Inputs are the same deltas the chart store receives (sounds, daily uses, videos) plus the
// published chart history (store::EditionRecord). Outputs are immutable ChartSets (every
// edition of one day, see chart_set.h) and the EditionRecords the store must persist.
//
// Rules implemented (SPEC §4), with the interpretations this file decides:
// - Edition (region, P, D): window [D-P+1, D]; usage_count = uses in the window; rank by
//   usage desc, then uses on day D desc, then clip_id asc; only sounds with >= 1 use are
//   ranked; the chart is the top 100.
// - Editions exist for every day from the first day with uses ("data begins") on. Editions
//   of past days are computed (top 100 only) because the fields below depend on them.
// - Movement compares with the edition of day D-P of the same region and period; a sound
//   not on its top 100 (or no such edition) is new: type 4, no rank_diff.
// - on_list_times = number of editions of this region+period with day <= D whose top 100
//   lists the sound (today's included); 0 for a search hit never listed.
// - new_to_top_100 = the sound is on no top 100 of this region+period with day < D-P+1
//   (editions inside the current window, today's included, do not count).
// - Trend: see trend.h (P=120 buckets are stamped with their LAST day, as chart_set.h says).
//   "First use" is the sound's first day with uses in the region over all data.
// - Related: up to 4 distinct videos of the sound in the region during the window, most
//   viewed first, ties to the smaller video_id.
// - Sounds with uses but no catalog record are ranked with a placeholder record (clip_id
//   set, song_id 0, empty title/author) until their record arrives.
// - Published history wins over recomputation for past days: a loaded EditionRecord is
//   kept as it is. Publish(D) always recomputes day D itself from the data; when that
//   differs from (or is missing in) the history, the history is updated and the record is
//   returned for saving.
// - A day up to which history is known (the latest day of any loaded or computed edition)
//   counts as complete: a region+period without a record for such a day had no chart.
//
// Uses for the same (clip, region, day) add up; a later sound record replaces the earlier;
// videos are kept per (region, clip, day), the 4 most viewed (a repeated video_id keeps its
// largest views).
//
// Performance: sounds get dense indices per region; each (region, day) is an immutable
// column of (sound, uses) cells; window sums per region and period are kept and slid by
// one day (add day D, subtract day D-P), so publishing D+1 after D costs two columns per
// chart plus a scan for the top 100; far jumps rebuild the sums from the columns.
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
  // Published history, e.g. from ChartStore::ForEachEdition at start-up. Replaces an
  // edition of the same (region, period, day). Ignores periods other than 7/30/120.
  void LoadEdition(const store::EditionRecord& edition);

  // Computes the history (top 100 of every region x period) of every day from data begin
  // through `day` that has none yet; returns the new records to persist.
  std::vector<store::EditionRecord> ComputeHistoryThrough(Day day);

  // The ChartSet of `day` (history before it is computed first). Records new or changed
  // history (including day `day` itself) are appended to `new_editions` when non-null.
  std::shared_ptr<const ChartSet> Publish(Day day, std::vector<store::EditionRecord>* new_editions);

  // Increases with every data delta or loaded edition; lets a publisher notice changes.
  uint64_t data_version() const { return data_version_; }
  std::optional<Day> first_day() const;
  std::optional<Day> last_day() const;
  EngineStats Stats() const;

 private:
  static constexpr int kPeriodCount = 3;
  static constexpr int kMaxPeriod = 120;

  uint32_t GlobalIndex(uint64_t clip_id);
  uint32_t LocalIndex(internal::RegionState& region, uint32_t global);
  void EnsureDay(Day day);
  internal::UsesColumn& MutableUses(internal::RegionState& region, Day day);
  void NormalizeColumns();
  void PositionState(Day day);
  void RebuildState(Day day);
  struct Selection {
    std::vector<uint32_t> locals;  // rank order, at most 100
    std::vector<int64_t> usage;
    size_t ranked_count = 0;
  };
  // Also tightens the region's block bounds (see RegionState).
  Selection SelectTop(internal::RegionState& region, int period_index, Day day);
  // Records `locals` as the top of (region, period_index, day), replacing any earlier one.
  // Returns true when the history changed.
  bool RecordTop(RegionId region, int period_index, Day day, std::vector<uint32_t> locals);
  store::EditionRecord ToRecord(RegionId region, int period_index, Day day) const;

  // Catalog.
  std::unordered_map<uint64_t, uint32_t> clip_to_global_;
  std::vector<uint64_t> clip_ids_;  // by global index
  struct SoundTable;
  std::unique_ptr<SoundTable> sounds_;

  // Per region data and state.
  std::vector<std::unique_ptr<internal::RegionState>> regions_;
  std::optional<Day> base_day_;  // day of column index 0 (same for every region)
  int day_count_ = 0;            // columns per region
  std::optional<Day> first_use_day_, last_use_day_;
  std::vector<std::pair<RegionId, Day>> dirty_columns_;
  int64_t region_sound_count_ = 0;

  // Incremental window sums: valid for windows ending at state_day_.
  std::optional<Day> state_day_;

  // History per (region, period).
  struct History {
    std::map<Day, std::vector<uint32_t>> tops;                   // locals in rank order
    std::unordered_map<uint32_t, std::vector<Day>> listed_days;  // sorted
  };
  std::vector<History> history_;  // index region * 3 + period index
  std::optional<Day> history_through_;

  uint64_t data_version_ = 0;
};

}  // namespace soundtrend::engine
