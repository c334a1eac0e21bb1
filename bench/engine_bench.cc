// engine_bench: the chart engine at platform scale, on one core.
//
// Generates seeded, Zipf-like usage (default: 1,000,000 sounds, 71 regions, 240 days,
// 500,000 (region, sound) cells per day; region sizes and sound popularity both follow
// power laws), loads it into a ChartEngine and prints:
//   - load time and cells stored, bytes per stored cell (RSS growth / cells),
//   - the whole history (every edition of every day but the last, top 100 each),
//   - the last day's 213 editions from scratch (a restarted engine with the history loaded
//     from EditionRecords, as `build`/`serve` do after a restart),
//   - the last day's 213 editions incrementally (the engine that just published the day
//     before),
//   - first and repeated search latency on the largest chart, peak RSS.
// Optionally (--dump-cells FILE) writes the cells as CSV (region,clip,day,uses) for the
// PostgreSQL comparison in engine_vs_postgres.sh.
//
// Usage: engine_bench [--sounds N] [--days N] [--cells-per-day N] [--seed N]
//                     [--dump-cells FILE]
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "common/day.h"
#include "common/regions.h"
#include "common/text_fold.h"
#include "engine/chart_engine.h"

using namespace soundtrend;

namespace {

struct Options {
  uint32_t sounds = 1000000;
  int days = 240;
  int64_t cells_per_day = 500000;
  uint64_t seed = 42;
  std::string dump_cells;
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int64_t RssBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<int64_t>(resident) * 4096;
}

int64_t PeakRssBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

// splitmix64: fast, seeded, good enough for load generation.
struct Rng {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return (Next() >> 11) * (1.0 / 9007199254740992.0); }
};

uint64_t ClipId(uint32_t sound) { return 7000000000000000000ULL + uint64_t{sound} * 7919; }

// Calls fn(region, clip, day, uses) for every generated cell, deterministically.
template <typename Fn>
void Generate(const Options& o, Day first_day, Fn&& fn) {
  Rng rng{o.seed};
  // Region weights ~ 1/(rank+1): the US-sized region gets ~20% of the cells.
  std::vector<double> weights(kRegionCount);
  double total = 0;
  for (size_t r = 0; r < kRegionCount; ++r) total += weights[r] = 1.0 / (r + 1);
  // A region's popularity order is a fixed permutation of the sounds (odd multiplier).
  std::vector<uint64_t> multiplier(kRegionCount), offset(kRegionCount);
  for (size_t r = 0; r < kRegionCount; ++r) {
    multiplier[r] = (rng.Next() % (o.sounds / 2)) * 2 + 1;
    while (std::gcd(multiplier[r], uint64_t{o.sounds}) != 1) multiplier[r] += 2;
    offset[r] = rng.Next() % o.sounds;
  }
  std::vector<uint32_t> stamp(o.sounds, 0);
  uint32_t current = 0;
  // Popularity rank x has density ~ x^-0.8 over [1, sounds]: x = (1 + u (N^0.2 - 1))^5.
  const double top = std::pow(static_cast<double>(o.sounds), 0.2) - 1;
  for (int day = 0; day < o.days; ++day) {
    for (size_t r = 0; r < kRegionCount; ++r) {
      const int64_t cells =
          std::max<int64_t>(1, static_cast<int64_t>(o.cells_per_day * weights[r] / total));
      ++current;
      int64_t made = 0;
      while (made < cells) {
        const double t = 1 + rng.Uniform() * top;
        const uint64_t rank = std::min<uint64_t>(static_cast<uint64_t>(t * t * t * t * t) - 1,
                                                 o.sounds - 1);
        const uint32_t sound =
            static_cast<uint32_t>((rank * multiplier[r] + offset[r]) % o.sounds);
        if (stamp[sound] == current) continue;
        stamp[sound] = current;
        ++made;
        const double base = 20000.0 / std::pow(static_cast<double>(rank + 1), 0.9);
        const int64_t uses = 1 + static_cast<int64_t>(base * (0.5 + rng.Uniform()));
        fn(static_cast<RegionId>(r), ClipId(sound), first_day + day, uses);
      }
    }
  }
}

void LoadCatalog(engine::ChartEngine& engine, const Options& o) {
  for (uint32_t s = 0; s < o.sounds; ++s) {
    SoundRecord record;
    record.clip_id = ClipId(s);
    record.song_id = record.clip_id + 1;
    record.title = "Sound " + std::to_string(s);
    record.author = "Artist " + std::to_string(s % 5000);
    engine.AddSound(record);
  }
}

bool SameTops(const engine::ChartSet& a, const engine::ChartSet& b) {
  for (size_t r = 0; r < kRegionCount; ++r) {
    for (int p : kPeriods) {
      const auto* ea = a.Find(static_cast<RegionId>(r), p);
      const auto* eb = b.Find(static_cast<RegionId>(r), p);
      if ((ea == nullptr) != (eb == nullptr)) return false;
      if (!ea) continue;
      if (ea->top().size() != eb->top().size() || ea->ranked_count() != eb->ranked_count())
        return false;
      for (size_t i = 0; i < ea->top().size(); ++i) {
        const auto& x = ea->top()[i];
        const auto& y = eb->top()[i];
        if (x.sound->clip_id != y.sound->clip_id || x.usage_count != y.usage_count ||
            x.rank_diff != y.rank_diff || x.on_list_times != y.on_list_times ||
            x.new_to_top_100 != y.new_to_top_100 || x.trend != y.trend)
          return false;
      }
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--sounds") o.sounds = static_cast<uint32_t>(std::atoll(value));
    else if (flag == "--days") o.days = std::atoi(value);
    else if (flag == "--cells-per-day") o.cells_per_day = std::atoll(value);
    else if (flag == "--seed") o.seed = std::strtoull(value, nullptr, 10);
    else if (flag == "--dump-cells") o.dump_cells = value;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  const Day first_day = *ParseDay("2026-01-01");
  const Day last_day = first_day + o.days - 1;
  std::printf("engine_bench: %u sounds, %zu regions, %d days, %lld cells/day target, seed %llu\n",
              o.sounds, kRegionCount, o.days, static_cast<long long>(o.cells_per_day),
              static_cast<unsigned long long>(o.seed));

  if (!o.dump_cells.empty()) {
    FILE* out = std::fopen(o.dump_cells.c_str(), "w");
    if (!out) {
      std::perror("dump-cells");
      return 1;
    }
    int64_t n = 0;
    Generate(o, first_day, [&](RegionId r, uint64_t clip, Day day, int64_t uses) {
      std::fprintf(out, "%d,%llu,%d,%lld\n", r, static_cast<unsigned long long>(clip), day,
                   static_cast<long long>(uses));
      ++n;
    });
    std::fclose(out);
    std::printf("dumped %lld cells to %s (region,clip,day,uses; day = days since 1970)\n",
                static_cast<long long>(n), o.dump_cells.c_str());
    return 0;
  }

  // Engine A: full load, whole history, then the last day incrementally.
  const int64_t rss_start = RssBytes();
  auto t = std::chrono::steady_clock::now();
  auto a = std::make_unique<engine::ChartEngine>();
  LoadCatalog(*a, o);
  const double catalog_s = Seconds(t);
  const int64_t rss_catalog = RssBytes();
  t = std::chrono::steady_clock::now();
  Generate(o, first_day, [&](RegionId r, uint64_t clip, Day day, int64_t uses) {
    a->AddDailyUses({clip, r, day, uses});
  });
  const double load_s = Seconds(t);
  t = std::chrono::steady_clock::now();
  std::vector<store::EditionRecord> history = a->ComputeHistoryThrough(first_day);
  const double normalize_first_s = Seconds(t);
  const int64_t rss_loaded = RssBytes();
  const engine::EngineStats stats = a->Stats();
  std::printf("catalog: %.2f s (%u sounds, folded titles), RSS +%.0f MB\n", catalog_s, o.sounds,
              (rss_catalog - rss_start) / 1e6);
  std::printf("usage load: %.2f s generate+add, %.2f s sort columns + first day; %lld cells, "
              "%lld (region, sound) pairs\n",
              load_s, normalize_first_s, static_cast<long long>(stats.cells),
              static_cast<long long>(stats.region_sounds));
  std::printf("bytes per stored cell: %.1f (RSS growth of the usage load / cells; the cell "
              "itself is 8 bytes)\n",
              static_cast<double>(rss_loaded - rss_catalog) / stats.cells);

  t = std::chrono::steady_clock::now();
  std::vector<store::EditionRecord> more = a->ComputeHistoryThrough(last_day - 2);
  history.insert(history.end(), more.begin(), more.end());
  const double history_s = Seconds(t);
  std::printf("history: %d days x 213 editions (top 100) in %.2f s (%.1f ms/day), %zu records\n",
              o.days - 2, history_s, 1000 * history_s / (o.days - 2), history.size());

  std::vector<store::EditionRecord> day_before;
  t = std::chrono::steady_clock::now();
  auto set_before = a->Publish(last_day - 1, &day_before);
  const double publish_before_s = Seconds(t);
  history.insert(history.end(), day_before.begin(), day_before.end());
  std::printf("publish day N-1 (incremental, full ChartSet): %.3f s\n", publish_before_s);

  std::vector<store::EditionRecord> last_records;
  t = std::chrono::steady_clock::now();
  auto incremental = a->Publish(last_day, &last_records);
  const double incremental_s = Seconds(t);
  std::printf("publish day N incrementally (213 editions): %.3f s\n", incremental_s);

  // Search on the largest chart (region 0 = first of the table, the largest weight).
  const engine::Edition* largest = incremental->Find(0, 120);
  if (largest) {
    t = std::chrono::steady_clock::now();
    auto hits = largest->Search(FoldForSearch("Sound 12345"));
    const double first_search_s = Seconds(t);
    t = std::chrono::steady_clock::now();
    auto hits2 = largest->Search(FoldForSearch("artist 4242"));
    const double second_search_s = Seconds(t);
    std::printf("search %s/120 (%zu ranked): first %.1f ms (builds the full ranking, %zu hits), "
                "next %.1f ms (%zu hits)\n",
                std::string(RegionCode(0)).c_str(), largest->ranked_count(),
                1000 * first_search_s, hits.size(), 1000 * second_search_s, hits2.size());
  }
  set_before.reset();

  // Engine B: a restart. Same data, history loaded from the records, day N from scratch.
  auto b = std::make_unique<engine::ChartEngine>();
  LoadCatalog(*b, o);
  Generate(o, first_day, [&](RegionId r, uint64_t clip, Day day, int64_t uses) {
    b->AddDailyUses({clip, r, day, uses});
  });
  t = std::chrono::steady_clock::now();
  for (const auto& record : history) b->LoadEdition(record);
  const double load_history_s = Seconds(t);
  b->ComputeHistoryThrough(first_day - 1);  // sorts the columns; computes nothing
  std::vector<store::EditionRecord> scratch_records;
  t = std::chrono::steady_clock::now();
  auto scratch = b->Publish(last_day, &scratch_records);
  const double scratch_s = Seconds(t);
  std::printf("restart: load %zu history records %.2f s; publish day N from scratch (213 "
              "editions): %.3f s\n",
              history.size(), load_history_s, scratch_s);
  std::printf("incremental == from scratch: %s\n", SameTops(*incremental, *scratch) ? "yes" : "NO");
  std::printf("peak RSS: %.2f GB (two engines with the full data set were alive)\n",
              PeakRssBytes() / 1e9);
  return 0;
}
