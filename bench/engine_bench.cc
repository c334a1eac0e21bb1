// engine_bench: the chart engine at platform scale, on one core, and the same editions as
// SQL in PostgreSQL on the same data.
//
// Generates seeded, Zipf-like usage (default: 1,000,000 sounds, 71 regions, 240 days,
// 500,000 (region, sound) cells per day; region sizes and sound popularity both follow
// power laws), loads it into a ChartEngine and prints:
//   - load time and cells stored, bytes per stored cell (RSS growth of the load / cells),
//   - the whole history (every edition of every day but the last two, top 100 each),
//   - day N's 426 editions (71 regions x 3 periods, popular and surging) incrementally
//     (the engine that just published day N-1),
//   - day N's 426 editions from scratch: a restarted engine (data and the saved history
//     loaded, no window state), whose result must equal the incremental one,
//   - a past edition (docs/api.md §9) and a sound detail (docs/api.md §7) computed from the
//   ChartSet,
//   - search latency on the largest chart, the search structures of the other editions
//     (what serve builds before it publishes), peak RSS (getrusage).
// With --postgres it then starts a private PostgreSQL cluster (bench/postgres_cluster.sh),
// COPYs the same generated cells in, runs bench/postgres_editions.sql (one query computing
// every region x period top 100 of day N with the tie rules) --pg-runs times, checks that
// its result equals the engine's and prints the best time and the ratio.
//
// Usage: engine_bench [--sounds N] [--days N] [--cells-per-day N] [--seed N]
//                     [--postgres] [--pg-runs N] [--bench-dir DIR] [--dump-cells FILE]
//                     [--marks]
//   --marks: print CLOCK_MONOTONIC marks around the timed publications (see Mark).
//   --bench-dir: where postgres_cluster.sh and postgres_editions.sql are (default: the
//   source tree's bench/ directory).
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <tuple>
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
  bool postgres = false;
  int pg_runs = 3;
  std::string bench_dir = SOUNDTREND_BENCH_DIR;
};

// --marks: "mark NAME begin|end SECONDS" lines on CLOCK_MONOTONIC around the timed steps,
// for `perf record -k CLOCK_MONOTONIC` and `perf report --time BEGIN,END`.
bool g_marks = false;
void Mark(const char* name, const char* edge) {
  if (!g_marks) return;
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  std::printf("mark %s %s %ld.%09ld\n", name, edge, static_cast<long>(ts.tv_sec), ts.tv_nsec);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// CPU time of this thread: less sensitive than wall time to other processes on the machine.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
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
        const uint64_t rank =
            std::min<uint64_t>(static_cast<uint64_t>(t * t * t * t * t) - 1, o.sounds - 1);
        const uint32_t sound = static_cast<uint32_t>((rank * multiplier[r] + offset[r]) % o.sounds);
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

// One line of a chart: what the engine and PostgreSQL must agree on.
struct Row {
  int region;
  int period;
  int rank;
  uint64_t clip;
  int64_t usage;
  friend bool operator==(const Row&, const Row&) = default;
};

std::vector<Row> Rows(const engine::ChartSet& set) {
  std::vector<Row> rows;
  for (size_t r = 0; r < kRegionCount; ++r) {
    for (int p : kPeriods) {
      const auto* edition = set.Find(static_cast<RegionId>(r), p);
      if (!edition) continue;
      for (const auto& e : edition->top())
        rows.push_back({static_cast<int>(r), p, e.rank, e.sound->clip_id, e.usage_count});
    }
  }
  return rows;
}

bool SameTops(const engine::ChartSet& a, const engine::ChartSet& b) {
  for (ChartKind kind : kChartKinds) {
    for (size_t r = 0; r < kRegionCount; ++r) {
      for (int p : kPeriods) {
        const auto* ea = a.Find(static_cast<RegionId>(r), p, kind);
        const auto* eb = b.Find(static_cast<RegionId>(r), p, kind);
        if ((ea == nullptr) != (eb == nullptr)) return false;
        if (!ea) continue;
        if (ea->top().size() != eb->top().size() || ea->ranked_count() != eb->ranked_count())
          return false;
        for (size_t i = 0; i < ea->top().size(); ++i) {
          const auto& x = ea->top()[i];
          const auto& y = eb->top()[i];
          if (x.sound->clip_id != y.sound->clip_id || x.usage_count != y.usage_count ||
              x.rank_diff != y.rank_diff || x.on_list_times != y.on_list_times ||
              x.new_to_top_100 != y.new_to_top_100 || x.trend != y.trend ||
              x.related != y.related || x.growth_hundredths != y.growth_hundredths)
            return false;
        }
      }
    }
  }
  return true;
}

// FNV-1a over every field of every top entry of every edition of `set` (and each
// edition's ranked_count): equal digests across builds mean the published charts are
// byte-identical.
uint64_t Digest(const engine::ChartSet& set) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](int64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= static_cast<uint64_t>(v >> (8 * i)) & 0xff;
      h *= 1099511628211ULL;
    }
  };
  for (ChartKind kind : kChartKinds) {
    for (size_t r = 0; r < kRegionCount; ++r) {
      for (int p : kPeriods) {
        const auto* e = set.Find(static_cast<RegionId>(r), p, kind);
        mix(e == nullptr ? -1 : static_cast<int64_t>(e->ranked_count()));
        if (!e) continue;
        for (const auto& x : e->top()) {
          mix(static_cast<int64_t>(x.sound->clip_id));
          mix(x.rank);
          mix(x.usage_count);
          mix(x.rank_diff.value_or(-1));
          mix(x.rank_diff_type);
          mix(x.on_list_times.value_or(-1));
          mix(x.new_to_top_100);
          mix(x.growth_hundredths.value_or(-1));
          mix(static_cast<int64_t>(x.trend.size()));
          for (const auto& t : x.trend) {
            mix(t.time);
            mix(t.hundredths);
          }
          mix(static_cast<int64_t>(x.related.size()));
          for (const auto& v : x.related) mix(static_cast<int64_t>(v.item_id));
        }
      }
    }
  }
  return h;
}

// Runs `command` through the shell and returns its stdout; nullopt when it fails.
std::optional<std::string> Capture(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return std::nullopt;
  std::string out;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  if (pclose(pipe) != 0) return std::nullopt;
  return out;
}

// The private PostgreSQL cluster: started by the constructor, stopped by the destructor.
class PostgresCluster {
 public:
  explicit PostgresCluster(std::string bench_dir) : script_(bench_dir + "/postgres_cluster.sh") {
    auto out = Capture(script_ + " start");
    if (!out) return;
    char dir[4096];
    int port = 0;
    if (std::sscanf(out->c_str(), "%4095s %d", dir, &port) == 2) {
      dir_ = dir;
      port_ = port;
    }
  }
  ~PostgresCluster() {
    if (!dir_.empty()) std::system((script_ + " stop " + dir_).c_str());
  }
  bool ok() const { return port_ > 0; }
  // A psql command line (without the trailing arguments).
  std::string Psql() const { return script_ + " psql " + dir_ + " " + std::to_string(port_); }
  int port() const { return port_; }

 private:
  std::string script_;
  std::string dir_;
  int port_ = 0;
};

// Loads the generated cells into PostgreSQL and runs the editions query; returns the best
// time in seconds (0 on failure). `expected` is the engine's result for day `last_day`.
double RunPostgres(const Options& o, Day first_day, Day last_day,
                   const std::vector<Row>& expected) {
  std::printf("postgres: starting a private PostgreSQL 15 cluster\n");
  PostgresCluster pg(o.bench_dir);
  if (!pg.ok()) {
    std::printf("postgres: could not start the cluster (see stderr); skipped\n");
    return 0;
  }
  if (!Capture(pg.Psql() + " -q -c \"CREATE UNLOGGED TABLE cells(region smallint NOT NULL, "
                           "clip bigint NOT NULL, day int NOT NULL, uses int NOT NULL)\"")) {
    std::printf("postgres: CREATE TABLE failed; skipped\n");
    return 0;
  }
  auto t = std::chrono::steady_clock::now();
  FILE* copy = popen((pg.Psql() + " -q -c \"COPY cells FROM STDIN\"").c_str(), "w");
  int64_t rows = 0;
  char line[96];
  Generate(o, first_day, [&](RegionId r, uint64_t clip, Day day, int64_t uses) {
    const int n =
        std::snprintf(line, sizeof line, "%d\t%" PRIu64 "\t%d\t%" PRId64 "\n", r, clip, day, uses);
    std::fwrite(line, 1, n, copy);
    ++rows;
  });
  if (pclose(copy) != 0) {
    std::printf("postgres: COPY failed; skipped\n");
    return 0;
  }
  const double copy_s = Seconds(t);
  t = std::chrono::steady_clock::now();
  // The cells arrive in day order, so a BRIN index on day selects the window's pages.
  auto prepared = Capture(pg.Psql() +
                          " -q -c \"CREATE INDEX cells_day ON cells USING brin(day)\""
                          " -c \"VACUUM ANALYZE cells\""
                          " -tA -c \"SELECT pg_total_relation_size('cells')\"");
  const double index_s = Seconds(t);
  if (!prepared) {
    std::printf("postgres: index/analyze failed; skipped\n");
    return 0;
  }
  const double table_bytes = std::atof(prepared->c_str());
  std::printf("postgres: COPY %" PRId64
              " cells in %.1f s (%.0f rows/s); BRIN index + VACUUM "
              "ANALYZE %.1f s; table %.2f GB (%.1f bytes/cell)\n",
              rows, copy_s, rows / copy_s, index_s, table_bytes / 1e9, table_bytes / rows);

  const std::string query = pg.Psql() + " -tA -F, -v day=" + std::to_string(last_day) + " -f " +
                            o.bench_dir + "/postgres_editions.sql";
  double best = 0;
  std::vector<Row> got;
  for (int run = 1; run <= o.pg_runs; ++run) {
    t = std::chrono::steady_clock::now();
    auto out = Capture(query);
    const double s = Seconds(t);
    if (!out) {
      std::printf("postgres: the editions query failed; skipped\n");
      return 0;
    }
    std::printf("postgres: 426 editions of day N as one SQL query, run %d: %.3f s\n", run, s);
    if (best == 0 || s < best) best = s;
    got.clear();
    const char* p = out->c_str();
    Row row;
    int consumed = 0;
    while (std::sscanf(p, "%d,%d,%d,%" SCNu64 ",%" SCNd64 "\n%n", &row.region, &row.period,
                       &row.rank, &row.clip, &row.usage, &consumed) == 5) {
      got.push_back(row);
      p += consumed;
    }
  }
  std::printf(
      "postgres result == engine result (%zu rows: region, period, rank, clip, "
      "usage_count): %s\n",
      expected.size(), got == expected ? "yes" : "NO");
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--postgres") {
      o.postgres = true;
      continue;
    }
    if (flag == "--marks") {
      g_marks = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "engine_bench: %s needs a value\n", flag.c_str());
      return 2;
    }
    const char* value = argv[++i];
    if (flag == "--sounds")
      o.sounds = static_cast<uint32_t>(std::atoll(value));
    else if (flag == "--days")
      o.days = std::atoi(value);
    else if (flag == "--cells-per-day")
      o.cells_per_day = std::atoll(value);
    else if (flag == "--seed")
      o.seed = std::strtoull(value, nullptr, 10);
    else if (flag == "--dump-cells")
      o.dump_cells = value;
    else if (flag == "--pg-runs")
      o.pg_runs = std::max(1, std::atoi(value));
    else if (flag == "--bench-dir")
      o.bench_dir = value;
    else {
      std::fprintf(stderr, "engine_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (o.sounds < 2 || o.days < 3 || o.cells_per_day < 1 ||
      o.cells_per_day > static_cast<int64_t>(o.sounds) * 71 / 2) {
    std::fprintf(stderr,
                 "engine_bench: need sounds >= 2, days >= 3, 1 <= cells-per-day <= "
                 "sounds * 71 / 2\n");
    return 2;
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

  // Engine A: full load, whole history, then days N-1 and N incrementally.
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
  std::printf(
      "usage load: %.2f s generate+add, %.2f s sort columns + first day; %lld cells, "
      "%lld (region, sound) pairs\n",
      load_s, normalize_first_s, static_cast<long long>(stats.cells),
      static_cast<long long>(stats.region_sounds));
  std::printf(
      "bytes per stored cell: %.1f (engine RSS growth of the usage load / cells; the "
      "cell itself is 8 bytes)\n",
      static_cast<double>(rss_loaded - rss_catalog) / stats.cells);

  t = std::chrono::steady_clock::now();
  double cpu = ThreadCpuSeconds();
  std::vector<store::EditionRecord> more = a->ComputeHistoryThrough(last_day - 2);
  const double history_cpu = ThreadCpuSeconds() - cpu;
  history.insert(history.end(), more.begin(), more.end());
  const double history_s = Seconds(t);
  std::printf(
      "history: %d days x 426 editions (top 100) in %.2f s (cpu %.2f s; %.1f ms/day), "
      "%zu records\n",
      o.days - 2, history_s, history_cpu, 1000 * history_s / (o.days - 2), history.size());

  std::vector<store::EditionRecord> day_before;
  t = std::chrono::steady_clock::now();
  cpu = ThreadCpuSeconds();
  Mark("before", "begin");
  auto set_before = a->Publish(last_day - 1, &day_before);
  Mark("before", "end");
  const double before_cpu = ThreadCpuSeconds() - cpu;
  const double publish_before_s = Seconds(t);
  history.insert(history.end(), day_before.begin(), day_before.end());
  std::printf("publish day N-1 incrementally (426 editions, full ChartSet): %.3f s (cpu %.3f s)\n",
              publish_before_s, before_cpu);

  std::vector<store::EditionRecord> last_records;
  t = std::chrono::steady_clock::now();
  cpu = ThreadCpuSeconds();
  Mark("incremental", "begin");
  auto incremental = a->Publish(last_day, &last_records);
  Mark("incremental", "end");
  const double incremental_cpu = ThreadCpuSeconds() - cpu;
  const double incremental_s = Seconds(t);
  std::printf("publish day N incrementally (426 editions, full ChartSet): %.3f s (cpu %.3f s)\n",
              incremental_s, incremental_cpu);

  // Search on the largest chart (region 0 = first of the table, the largest weight).
  const engine::Edition* largest = incremental->Find(0, 120);
  if (largest) {
    t = std::chrono::steady_clock::now();
    auto hits = largest->Search(FoldForSearch("Sound 12345"));
    const double first_search_s = Seconds(t);
    t = std::chrono::steady_clock::now();
    auto hits2 = largest->Search(FoldForSearch("artist 4242"));
    const double second_search_s = Seconds(t);
    std::printf(
        "search %s/120 (%zu ranked): first %.1f ms (builds the full ranking, %zu hits), "
        "next %.1f ms (%zu hits)\n",
        std::string(RegionCode(0)).c_str(), largest->ranked_count(), 1000 * first_search_s,
        hits.size(), 1000 * second_search_s, hits2.size());
  }
  // What serve does with every ChartSet before it publishes it (app/serve_publish.cc), so
  // that no request builds a search structure: the other 425 editions' (the largest one's
  // was built by the search above).
  {
    const double cpu_before = ThreadCpuSeconds();
    t = std::chrono::steady_clock::now();
    incremental->PrepareSearch();
    const double prepare_s = Seconds(t);
    std::printf(
        "prepare search on day N's other editions (serve, before publishing): %.3f s "
        "(cpu %.3f s)\n",
        prepare_s, ThreadCpuSeconds() - cpu_before);
  }
  // Surging charts of day N, and a past edition and a sound detail (what the API computes
  // on a cache miss, from the immutable ChartSet).
  {
    size_t surging_editions = 0, surging_sounds = 0;
    for (size_t r = 0; r < kRegionCount; ++r) {
      const engine::Edition* e =
          incremental->Find(static_cast<RegionId>(r), 7, ChartKind::kSurging);
      if (e == nullptr) continue;
      ++surging_editions;
      surging_sounds += e->top().size();
    }
    std::printf("surging 7-day charts of day N: %zu of 71 regions, %.1f sounds on average\n",
                surging_editions,
                surging_editions ? double(surging_sounds) / surging_editions : 0.0);
    const Day past = last_day - 30;
    for (ChartKind kind : kChartKinds) {
      t = std::chrono::steady_clock::now();
      auto edition = incremental->EditionOf(0, 30, kind, past);
      const double edition_s = Seconds(t);
      std::printf("past edition %s/30 %s of day N-30: %.1f ms (%zu entries)\n",
                  std::string(RegionCode(0)).c_str(), std::string(KindName(kind)).c_str(),
                  1000 * edition_s, edition ? edition->top().size() : size_t{0});
    }
    if (largest && !largest->top().empty()) {
      const uint64_t clip = largest->top().front().sound->clip_id;
      t = std::chrono::steady_clock::now();
      auto detail = incremental->Detail(clip, 0, 120, last_day);
      const double detail_s = Seconds(t);
      std::printf(
          "sound detail of %s/120's number 1 (audience over 71 regions, history): %.1f ms\n",
          std::string(RegionCode(0)).c_str(), 1000 * detail_s);
    }
  }
  set_before.reset();
  a.reset();  // keeps `incremental` (immutable, shares the columns)

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
  cpu = ThreadCpuSeconds();
  Mark("scratch", "begin");
  auto scratch = b->Publish(last_day, &scratch_records);
  Mark("scratch", "end");
  const double scratch_cpu = ThreadCpuSeconds() - cpu;
  const double scratch_s = Seconds(t);
  std::printf(
      "restart: load %zu history records %.2f s; publish day N from scratch (426 "
      "editions, window sums rebuilt from the columns): %.3f s (cpu %.3f s)\n",
      history.size(), load_history_s, scratch_s, scratch_cpu);
  std::printf("incremental == from scratch: %s\n", SameTops(*incremental, *scratch) ? "yes" : "NO");
  std::printf(
      "digest of day N's editions (every field): incremental %016llx, from scratch %016llx\n",
      static_cast<unsigned long long>(Digest(*incremental)),
      static_cast<unsigned long long>(Digest(*scratch)));
  std::printf(
      "peak RSS: %.2f GB (the incremental engine's ChartSet and the restarted engine "
      "were alive together)\n",
      PeakRssBytes() / 1e9);
  const std::vector<Row> expected = Rows(*scratch);
  incremental.reset();
  scratch.reset();
  b.reset();

  std::printf(
      "SUMMARY engine: 426 editions from scratch %.3f s (cpu %.3f s; goal < 2 s), "
      "incrementally %.3f s (cpu %.3f s; goal < 0.5 s), peak RSS %.2f GB, %.1f bytes/cell\n",
      scratch_s, scratch_cpu, incremental_s, incremental_cpu, PeakRssBytes() / 1e9,
      static_cast<double>(rss_loaded - rss_catalog) / stats.cells);
  if (o.postgres) {
    const double pg_s = RunPostgres(o, first_day, last_day, expected);
    if (pg_s > 0) {
      std::printf(
          "SUMMARY postgres: best of %d %.3f s; engine from scratch %.3f s; ratio "
          "%.1fx (goal >= 50x)\n",
          o.pg_runs, pg_s, scratch_s, pg_s / scratch_s);
    }
  }
  return 0;
}
