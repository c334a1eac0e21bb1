#include "api/snapshot.h"

#include "api/render.h"
#include "common/json_writer.h"
#include "common/text_fold.h"

namespace soundtrend::api {

namespace {

constexpr size_t kPeriodCount = kPeriods.size();
// zlib level of the items' deflate pieces (made once per edition, at publication).
constexpr int kGzipLevel = 6;

size_t FilterIndex(bool new_to_top_100, bool commercial) {
  return (new_to_top_100 ? 2 : 0) + (commercial ? 1 : 0);
}

bool Matches(const engine::ChartEntry& e, bool new_to_top_100, bool commercial) {
  return (!new_to_top_100 || e.new_to_top_100) && (!commercial || e.sound->commercial);
}

// The page [offset, offset + count) of a list of `total` items, docs/api.md §3 pagination.
struct Page {
  size_t offset = 0;
  size_t count = 0;
  bool has_more = false;
};

Page Paginate(int64_t page, int limit, size_t total) {
  Page p;
  const uint64_t skipped_pages = static_cast<uint64_t>(page - 1);
  if (skipped_pages > total / static_cast<uint64_t>(limit)) return p;  // far past the end
  p.offset = static_cast<size_t>(skipped_pages) * static_cast<size_t>(limit);
  if (p.offset >= total) return p;
  p.count = std::min<size_t>(static_cast<size_t>(limit), total - p.offset);
  p.has_more = p.offset + static_cast<size_t>(limit) < total;
  return p;
}

void AppendEnvelopeHead(std::string& out, const TrendingQuery& q, size_t total, bool has_more) {
  out += R"({"code":0,"message":"success","data":{"pagination":{"page":)";
  json::AppendInt(out, q.page);
  out += ",\"size\":";
  json::AppendInt(out, q.limit);
  out += ",\"total\":";
  json::AppendInt(out, static_cast<int64_t>(total));
  out += ",\"has_more\":";
  json::AppendBool(out, has_more);
  out += "},\"sound_list\":[";
}

void AppendEnvelopeTail(std::string& out, std::string_view request_id) {
  out += "]},\"requestId\":";
  json::AppendString(out, request_id);
  out.push_back('}');
}

}  // namespace

std::shared_ptr<const ServingSnapshot> ServingSnapshot::Build(
    std::shared_ptr<const engine::ChartSet> charts, int64_t built_micros) {
  std::shared_ptr<ServingSnapshot> s(new ServingSnapshot());
  s->charts_ = std::move(charts);
  s->built_micros_ = built_micros;
  s->editions_.resize(kChartKinds.size() * kRegionCount * kPeriodCount);
  if (!s->charts_) return s;
  for (ChartKind kind : kChartKinds) {
    for (size_t r = 0; r < kRegionCount; ++r) {
      const RegionId region = static_cast<RegionId>(r);
      for (int period : kPeriods) {
        EditionFragments& f = s->editions_[Index(kind, region, period)];
        RenderFragments(s->charts_->Find(region, period, kind), f);
        s->has_entries_ |= f.offsets.size() > 1;
      }
    }
  }
  return s;
}

void ServingSnapshot::RenderFragments(const engine::Edition* edition, EditionFragments& f) {
  f.edition = edition;
  if (f.edition == nullptr) return;
  const auto& top = f.edition->top();
  const size_t n = std::min<size_t>(top.size(), 100);
  const std::string_view region = RegionCode(f.edition->region());
  f.offsets.reserve(n + 1);
  f.blob.reserve(n * 1200);
  for (size_t i = 0; i < n; ++i) {
    f.offsets.push_back(static_cast<uint32_t>(f.blob.size()));
    AppendSoundJson(f.blob, top[i], region, /*is_search=*/false);
  }
  f.offsets.push_back(static_cast<uint32_t>(f.blob.size()));
  f.deflated.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    f.deflated.push_back(gzip::Deflate(
        std::string_view(f.blob).substr(f.offsets[i], f.offsets[i + 1] - f.offsets[i]),
        kGzipLevel));
  }
  for (size_t combo = 1; combo < 4; ++combo) {
    for (size_t i = 0; i < n; ++i) {
      if (Matches(top[i], combo & 2, combo & 1))
        f.matching[combo].push_back(static_cast<uint8_t>(i));
    }
  }
}

size_t ServingSnapshot::Index(ChartKind kind, RegionId region, int period) {
  const auto p = PeriodIndex(period);
  return (static_cast<size_t>(KindIndex(kind)) * kRegionCount + static_cast<size_t>(region)) *
             kPeriodCount +
         static_cast<size_t>(p.value_or(0));
}

const ServingSnapshot::EditionFragments& ServingSnapshot::Find(ChartKind kind, RegionId region,
                                                               int period) const {
  return editions_[Index(kind, region, period)];
}

std::shared_ptr<const ServingSnapshot::EditionFragments> ServingSnapshot::Fragments(
    const TrendingQuery& q) const {
  // The published day, or no data: the day's own fragments (they live as long as the
  // snapshot; an aliasing pointer, no count of its own).
  if (!q.as_of || !charts_ || *q.as_of == charts_->day()) {
    return std::shared_ptr<const EditionFragments>(std::shared_ptr<const void>(),
                                                   &Find(q.rank_type, q.region, q.period));
  }
  return Past(q.rank_type, q.region, q.period, *q.as_of);
}

std::shared_ptr<const ServingSnapshot::EditionFragments> ServingSnapshot::Past(ChartKind kind,
                                                                               RegionId region,
                                                                               int period,
                                                                               Day day) const {
  return past_.GetOrMake({day, Index(kind, region, period)}, [&] {
    // From the set's immutable data, on this thread, without a lock.
    auto f = std::make_shared<EditionFragments>();
    f->past = charts_->EditionOf(region, period, kind, day);
    RenderFragments(f->past.get(), *f);  // a search builds what it needs when it comes
    return std::shared_ptr<const EditionFragments>(std::move(f));
  });
}

void ServingSnapshot::AnswerTrending(const TrendingQuery& q, std::string_view request_id,
                                     std::string& out) const {
  if (q.search_keyword) {
    const std::shared_ptr<const EditionFragments> held = Fragments(q);
    const EditionFragments& f = *held;
    std::vector<engine::ChartEntry> found;
    if (f.edition != nullptr) {
      found = f.edition->Search(FoldForSearch(*q.search_keyword));
      if (q.new_to_top_100 || q.commercial_music) {
        std::erase_if(found, [&](const engine::ChartEntry& e) {
          return !Matches(e, q.new_to_top_100, q.commercial_music);
        });
      }
    }
    const Page page = Paginate(q.page, q.limit, found.size());
    out.reserve(out.size() + 256 + page.count * 1200);
    AppendEnvelopeHead(out, q, found.size(), page.has_more);
    for (size_t i = 0; i < page.count; ++i) {
      if (i > 0) out.push_back(',');
      AppendSoundJson(out, found[page.offset + i], RegionCode(q.region), /*is_search=*/true);
    }
    AppendEnvelopeTail(out, request_id);
    return;
  }

  const PagePlan plan = Plan(q);
  const EditionFragments& fr = *plan.fragments;
  size_t bytes = 0;
  for (size_t i = 0; i < plan.count; ++i) {
    const size_t pos = plan.Position(i);
    bytes += fr.offsets[pos + 1] - fr.offsets[pos] + 1;
  }
  out.reserve(out.size() + 256 + bytes);
  AppendEnvelopeHead(out, q, plan.total, plan.has_more);
  for (size_t i = 0; i < plan.count; ++i) {
    const size_t pos = plan.Position(i);
    if (i > 0) out.push_back(',');
    out.append(fr.blob, fr.offsets[pos], fr.offsets[pos + 1] - fr.offsets[pos]);
  }
  AppendEnvelopeTail(out, request_id);
}

size_t ServingSnapshot::PagePlan::Position(size_t i) const {
  return combo == 0 ? offset + i : fragments->matching[combo][offset + i];
}

ServingSnapshot::PagePlan ServingSnapshot::Plan(const TrendingQuery& q) const {
  PagePlan plan;
  plan.fragments = Fragments(q);
  const EditionFragments& f = *plan.fragments;
  plan.combo = FilterIndex(q.new_to_top_100, q.commercial_music);
  const size_t all = f.offsets.empty() ? 0 : f.offsets.size() - 1;
  plan.total = plan.combo == 0 ? all : f.matching[plan.combo].size();
  const Page page = Paginate(q.page, q.limit, plan.total);
  plan.offset = page.offset;
  plan.count = page.count;
  plan.has_more = page.has_more;
  return plan;
}

bool ServingSnapshot::AnswerTrendingGzip(const TrendingQuery& q, std::string_view request_id,
                                         std::string& out) const {
  if (q.search_keyword) return false;
  const PagePlan plan = Plan(q);
  const EditionFragments& f = *plan.fragments;
  size_t bytes = 64;
  for (size_t i = 0; i < plan.count; ++i) bytes += f.deflated[plan.Position(i)].deflated.size() + 6;
  out.reserve(out.size() + 256 + bytes);
  std::string text;  // the per-request bytes
  text.reserve(160);
  AppendEnvelopeHead(text, q, plan.total, plan.has_more);
  gzip::GzipBuilder gz(out);
  gz.AddStored(text);
  for (size_t i = 0; i < plan.count; ++i) {
    if (i > 0) gz.AddStored(",");
    gz.AddPiece(f.deflated[plan.Position(i)]);
  }
  text.clear();
  AppendEnvelopeTail(text, request_id);
  gz.AddStored(text);
  gz.Finish();
  return true;
}

namespace {

std::atomic<uint64_t> next_holder_id{1};

struct CachedSnapshot {
  uint64_t holder_id = 0;
  uint64_t version = 0;
  std::shared_ptr<const ServingSnapshot> snapshot;
};

}  // namespace

SnapshotHolder::SnapshotHolder() : id_(next_holder_id.fetch_add(1)) {
  current_ = ServingSnapshot::Build(nullptr, 0);
  version_.store(1, std::memory_order_release);
}

void SnapshotHolder::Publish(std::shared_ptr<const ServingSnapshot> snapshot) {
  if (!snapshot) snapshot = ServingSnapshot::Build(nullptr, 0);
  std::function<void(const ServingSnapshot&)> callback;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = snapshot;
    version_.fetch_add(1, std::memory_order_acq_rel);
    callback = on_publish_;
  }
  if (callback) callback(*snapshot);
}

void SnapshotHolder::SetOnPublish(std::function<void(const ServingSnapshot&)> on_publish) {
  std::lock_guard<std::mutex> lock(mutex_);
  on_publish_ = std::move(on_publish);
}

const std::shared_ptr<const ServingSnapshot>& SnapshotHolder::Current() const {
  // A few holders at most per process (one per server; tests make more), so a tiny
  // per-thread list is enough.
  thread_local std::vector<std::unique_ptr<CachedSnapshot>> cache;
  CachedSnapshot* entry = nullptr;
  for (auto& c : cache)
    if (c->holder_id == id_) entry = c.get();
  if (entry == nullptr) {
    cache.push_back(std::make_unique<CachedSnapshot>(CachedSnapshot{id_, 0, nullptr}));
    entry = cache.back().get();
  }
  const uint64_t v = version_.load(std::memory_order_acquire);
  if (entry->version != v || !entry->snapshot) {
    std::lock_guard<std::mutex> lock(mutex_);
    entry->snapshot = current_;
    entry->version = version_.load(std::memory_order_relaxed);
  }
  return entry->snapshot;
}

}  // namespace soundtrend::api
