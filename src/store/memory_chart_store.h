// An in-memory store::ChartStore: every contract of store/chart_store.h (it passes
// chart_store_suite), nothing durable beyond the process. For tests of the engine, the
// publisher and the build, which need a store that behaves like the real ones.
//
// Stores made from the same State see the same data (the suite's "reopen"); a store's
// batch applies to a copy of the state that replaces it only when the batch succeeded.
// Thread-safe: every method locks the state.
#pragma once

#include <cstdint>
#include <memory>

#include "store/chart_store.h"

namespace soundtrend::store {

class MemoryChartStore final : public ChartStore {
 public:
  struct State;
  static std::shared_ptr<State> NewState();

  // `fail_apply_after_rows` >= 0: ApplyBatch fails (kIoError, nothing applied) after that
  // many rows (sounds, cells, videos) of a batch, as the suite's fault injection asks.
  explicit MemoryChartStore(std::shared_ptr<State> state = NewState(),
                            int64_t fail_apply_after_rows = -1);
  ~MemoryChartStore() override;

  Result<bool> ApplyBatch(const Batch& batch) override;
  Result<bool> HasBatch(const std::string& batch_id) override;
  Status ForEachSound(const std::function<Status(const SoundRecord&)>& fn) override;
  Status ForEachDailyUses(const std::function<Status(const DailyUses&)>& fn) override;
  Status ForEachVideo(const std::function<Status(const VideoRecord&)>& fn) override;
  Result<std::optional<Day>> LatestUsageDay() override;
  Status SaveEditions(std::span<const EditionRecord> editions) override;
  Status ForEachEdition(const std::function<Status(const EditionRecord&)>& fn) override;
  Result<int64_t> LatestBatchSeq() override;
  Status ForEachCellsVersion(int64_t after_seq,
                             const std::function<Status(const CellsVersion&)>& fn) override;
  Result<int64_t> ReadChanges(int64_t after_seq, const ChangeCallbacks& callbacks) override;
  Result<StoreStats> Stats() override;

  // SaveEditions calls so far (for tests).
  int64_t save_calls() const;

 private:
  std::shared_ptr<State> state_;
  int64_t fail_apply_after_rows_;
};

}  // namespace soundtrend::store
