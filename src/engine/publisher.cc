#include "engine/publisher.h"

namespace soundtrend::engine {

Day LatestClosedDay(int64_t now_micros, int64_t lateness_seconds) {
  // Floor division of microseconds to seconds (correct before 1970 too).
  const int64_t now_seconds =
      now_micros >= 0 ? now_micros / 1000000 : -((-now_micros + 999999) / 1000000);
  return DayOfUnixSeconds(now_seconds - lateness_seconds) - 1;
}

Publisher::Publisher(ChartEngine* engine, const Clock* clock, PublisherOptions options,
                     store::ChartStore* store, int64_t watermark)
    : engine_(engine), clock_(clock), options_(options), store_(store), watermark_(watermark) {}

void Publisher::Apply(const Batch& batch) {
  std::lock_guard lock(mutex_);
  engine_->AddBatch(batch);
}

Day Publisher::ClosedDay() const {
  return LatestClosedDay(clock_->NowMicros(), options_.lateness_seconds);
}

int64_t Publisher::watermark() const {
  std::lock_guard lock(mutex_);
  return watermark_;
}

Result<std::optional<Publisher::Publication>> Publisher::Poll() {
  const Day closed = ClosedDay();
  std::lock_guard lock(mutex_);
  Publication publication;
  if (store_ != nullptr) {
    Result<SyncSummary> sync = SyncEngine(*store_, *engine_, watermark_);
    if (!sync.ok()) return sync.status();
    watermark_ = sync->to_seq;
    publication.sync = *sync;
  }
  if (published_day_ && *published_day_ == closed &&
      published_version_ == engine_->data_version()) {
    return std::optional<Publication>();
  }
  publication.charts = engine_->Publish(closed, &publication.new_editions, &publication.history);
  published_day_ = closed;
  published_version_ = engine_->data_version();
  return std::optional<Publication>(std::move(publication));
}

}  // namespace soundtrend::engine
