// ChartStore: durable storage of everything the chart engine needs. SQLite now
// (store/sqlite), PostgreSQL later; every implementation must pass chart_store_suite.
//
// Contracts:
// - ApplyBatch is atomic and idempotent: either the whole batch is stored and its id
//   recorded, or nothing changes. Applying a batch whose id is already recorded changes
//   nothing and reports `false`. A crash at any point leaves the store as before or after
//   the batch, never between.
// - Daily uses add up: two batches with uses for the same (clip, region, day) sum.
// - Sounds: a later record for the same clip_id replaces the earlier one.
// - Videos: for each (region, clip_id, day) at least the 4 most viewed videos are kept.
// - Batch sequence: every applied batch gets the next number (1, 2, ...) in COMMIT order:
//   a reader that sees a batch with seq S sees every batch with a smaller seq (a store
//   whose ids come from a sequence that commits out of order must serialize the commits).
//   The sounds and (day, region) cells or videos a batch writes carry its seq (a merge of
//   stored rows keeps the newest), so ReadChanges and ForEachCellsVersion can tell what
//   changed after a seq: that is how any process or node learns of another's ingest.
// - Editions are the chart history as a cache of what the engine computes: the ordered
//   top-100 clip ids of each (kind, region, period, day) and the seq of the data they
//   reflect. Saving the same edition again replaces it.
// Implementations are safe to call from one thread at a time unless they say otherwise.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/chart_kind.h"
#include "common/day.h"
#include "common/records.h"
#include "common/regions.h"
#include "common/status.h"

namespace soundtrend::store {

struct EditionRecord {
  RegionId region = 0;
  int period = 7;  // 7, 30 or 120
  Day day = 0;
  std::vector<uint64_t> top_clip_ids;  // rank order, at most 100; empty: no chart that day
  ChartKind kind = ChartKind::kPopular;
  // The batch sequence (see ChartStore) of the data the edition was computed from.
  int64_t data_seq = 0;
  friend bool operator==(const EditionRecord&, const EditionRecord&) = default;
};

// The latest batch that changed the daily uses of (region, day).
struct CellsVersion {
  RegionId region = 0;
  Day day = 0;
  int64_t seq = 0;
  friend bool operator==(const CellsVersion&, const CellsVersion&) = default;
};

struct StoreStats {
  int64_t sounds = 0;
  int64_t daily_cells = 0;  // (clip, region, day) rows
  int64_t videos = 0;
  int64_t batches = 0;
  int64_t editions = 0;
};

class ChartStore {
 public:
  virtual ~ChartStore() = default;

  // Stores `batch` atomically. Returns true when applied, false when its id was already
  // recorded (nothing changed).
  virtual Result<bool> ApplyBatch(const Batch& batch) = 0;
  virtual Result<bool> HasBatch(const std::string& batch_id) = 0;

  // Streaming reads for loading the engine at start-up. Callbacks run on the caller's
  // thread; returning a non-OK status from a callback stops the scan and is returned.
  virtual Status ForEachSound(const std::function<Status(const SoundRecord&)>& fn) = 0;
  // Daily uses in (day, region, clip_id) order.
  virtual Status ForEachDailyUses(const std::function<Status(const DailyUses&)>& fn) = 0;
  virtual Status ForEachVideo(const std::function<Status(const VideoRecord&)>& fn) = 0;

  // The latest day with any uses; nullopt when there are none.
  virtual Result<std::optional<Day>> LatestUsageDay() = 0;

  // Published chart history.
  virtual Status SaveEditions(std::span<const EditionRecord> editions) = 0;
  virtual Status ForEachEdition(const std::function<Status(const EditionRecord&)>& fn) = 0;

  // The seq of the latest applied batch; 0 when none.
  virtual Result<int64_t> LatestBatchSeq() = 0;
  // For every (region, day) whose daily uses a batch with seq > `after_seq` changed: the
  // latest such seq. Order unspecified.
  virtual Status ForEachCellsVersion(int64_t after_seq,
                                     const std::function<Status(const CellsVersion&)>& fn) = 0;

  struct ChangeCallbacks {
    std::function<Status(const SoundRecord&)> sound;
    // Every use the store holds now for (region, day), as daily uses (any order).
    std::function<Status(RegionId, Day, std::span<const DailyUses>)> cells;
    // Every video the store keeps now for (region, day) (the top 4 per clip, any order).
    std::function<Status(RegionId, Day, std::span<const VideoRecord>)> videos;
  };
  // What batches with seq > `after_seq` changed, read from one consistent state of the
  // store: the current record of every sound they wrote, and the whole current content of
  // every (region, day) whose cells or videos they touched (not deltas: applying them twice
  // is harmless). Returns the seq of the latest batch of that state (>= after_seq), the
  // watermark to pass next time. A callback's error stops the read and is returned.
  virtual Result<int64_t> ReadChanges(int64_t after_seq, const ChangeCallbacks& callbacks) = 0;

  virtual Result<StoreStats> Stats() = 0;
};

}  // namespace soundtrend::store
