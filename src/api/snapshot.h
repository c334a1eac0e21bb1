// The serving snapshot: everything the trending-music endpoint needs to answer a request,
// derived once from an immutable engine::ChartSet.
//
// At build time every region x period edition's top entries are rendered to JSON once
// (is_search:false, country_code = the region) and, for every combination of the
// new_to_top_100 / commercial_music filters, the list of matching positions is
// precomputed. Answering a non-search request is then a lookup, a slice and a
// concatenation. A search request calls Edition::Search and renders its (few) results on
// the fly with is_search:true.
//
// A ServingSnapshot is immutable and safe to share between threads.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "api/lru_cache.h"
#include "api/query.h"
#include "common/gzip.h"
#include "engine/chart_set.h"

namespace soundtrend::api {

class ServingSnapshot {
 public:
  // `charts` may be null: no data yet (every request gets an empty list, total 0).
  // `built_micros`: wall-clock build time, for the snapshot-age gauge.
  static std::shared_ptr<const ServingSnapshot> Build(
      std::shared_ptr<const engine::ChartSet> charts, int64_t built_micros);

  // Appends the complete HTTP 200 body (docs/api.md §2/§3 envelope) answering `query`, for
  // its rank_type (§8) and its day: `query.as_of` must be nullopt (the published day) or a
  // day the caller checked with ResolveAsOf against charts() (§9). A past edition is
  // computed from the chart set on the calling thread the first time, then answered from
  // a cache of the kPastEditionsCached last used ones (per snapshot: a new publication,
  // late data included, starts afresh).
  void AnswerTrending(const TrendingQuery& query, std::string_view request_id,
                      std::string& out) const;
  // The same body gzip-compressed (one gzip member), appended to `out`, built from the
  // items' deflate pieces made at Build (or when a past edition is first rendered) and the
  // per-request bytes (pagination, commas, requestId) as stored blocks: nothing is
  // compressed per request. False (nothing appended) for a search request, whose items are
  // rendered per request: the caller sends AnswerTrending's body uncompressed then.
  bool AnswerTrendingGzip(const TrendingQuery& query, std::string_view request_id,
                          std::string& out) const;
  static constexpr size_t kPastEditionsCached = 2048;

  // docs/api.md §7: the `data` object of GET /v1/tiktok/trending/music/detail for `clip_id`
  // in region x period as of `day` (checked with ResolveAsOf); null when the sound is
  // neither in the catalog nor in any usage. Computed on the calling thread the first time,
  // then from a cache of the kDetailsCached last used ones. (api/sound_detail.cc)
  std::shared_ptr<const std::string> SoundDetailData(uint64_t clip_id, RegionId region, int period,
                                                     Day day) const;
  static constexpr size_t kDetailsCached = 8192;

  const engine::ChartSet* charts() const { return charts_.get(); }
  const std::shared_ptr<const engine::ChartSet>& shared_charts() const { return charts_; }
  int64_t built_micros() const { return built_micros_; }
  // True when some edition lists at least one sound (/readyz: charts are published, not an
  // empty set from an empty database).
  bool has_entries() const { return has_entries_; }

 private:
  struct EditionFragments {
    const engine::Edition* edition = nullptr;
    std::shared_ptr<const engine::Edition> past;  // owns `edition` for a past day
    std::string blob;                             // the rendered items, back to back
    std::vector<uint32_t> offsets;                // item i = blob[offsets[i], offsets[i+1])
    std::vector<gzip::DeflatePiece> deflated;     // item i, compressed on its own
    // Positions matching each filter combination, index = new_to_top_100*2 + commercial.
    std::array<std::vector<uint8_t>, 4> matching;
  };
  ServingSnapshot() = default;
  static size_t Index(ChartKind kind, RegionId region, int period);
  static void RenderFragments(const engine::Edition* edition, EditionFragments& f);
  const EditionFragments& Find(ChartKind kind, RegionId region, int period) const;
  // The fragments answering `query` (its kind, region, period and day).
  std::shared_ptr<const EditionFragments> Fragments(const TrendingQuery& query) const;
  std::shared_ptr<const EditionFragments> Past(ChartKind kind, RegionId region, int period,
                                               Day day) const;
  // The positions (into an edition's items) of the page `query` asks for, and the envelope.
  struct PagePlan {
    std::shared_ptr<const EditionFragments> fragments;
    size_t total = 0;
    size_t offset = 0, count = 0;
    bool has_more = false;
    size_t combo = 0;
    size_t Position(size_t i) const;
  };
  PagePlan Plan(const TrendingQuery& query) const;

  std::shared_ptr<const engine::ChartSet> charts_;
  int64_t built_micros_ = 0;
  bool has_entries_ = false;
  std::vector<EditionFragments> editions_;  // Index(kind, region, period)
  // Past editions (key: day, Index(kind, region, period)) and sound details (key: clip,
  // region, period, day), made on demand.
  LruCache<std::pair<Day, size_t>, EditionFragments> past_{kPastEditionsCached};
  LruCache<std::tuple<uint64_t, RegionId, int, Day>, std::string> details_{kDetailsCached};
};

// Holds the snapshot being served and swaps in new ones without pausing readers.
//
// Readers (Current) keep a per-thread cached shared_ptr and only take the holder's mutex
// when the atomic version number has moved, i.e. once per thread per publish; the request
// path therefore takes no shared lock and touches no shared reference count. A reader sees
// the old snapshot or the new one, never a mix.
class SnapshotHolder {
 public:
  // Starts with an empty snapshot (no data).
  SnapshotHolder();
  SnapshotHolder(const SnapshotHolder&) = delete;
  SnapshotHolder& operator=(const SnapshotHolder&) = delete;

  // Thread-safe. `on_publish` (set before serving) is called after every Publish.
  void Publish(std::shared_ptr<const ServingSnapshot> snapshot);
  void SetOnPublish(std::function<void(const ServingSnapshot&)> on_publish);

  // Thread-safe. The returned reference stays valid until the calling thread's next call
  // to Current() on this holder; copy the shared_ptr to keep the snapshot longer.
  const std::shared_ptr<const ServingSnapshot>& Current() const;

  uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  const uint64_t id_;  // distinguishes holders in the per-thread cache
  std::atomic<uint64_t> version_{0};
  mutable std::mutex mutex_;  // guards current_ and on_publish_
  std::shared_ptr<const ServingSnapshot> current_;
  std::function<void(const ServingSnapshot&)> on_publish_;
};

}  // namespace soundtrend::api
