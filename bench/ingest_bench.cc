// Raw ingest benchmark (not a test; prints numbers). Generates seeded raw `use` records
// (Zipf-like sounds, 71 regions, a few days, a video on one record in four) in memory, in
// pieces, and loads each piece through the real path: ByteSource (SHA-256) ->
// RecordReader -> NdjsonParser/CsvParser (validation) -> BatchBuilder -> SQLite
// ChartStore in a temp dir (one batch per piece, as `soundtrend ingest` does for an input
// of up to --records-per-piece records). One thread; generation is not timed.
//
//   ingest_bench [--records N (5,000,000)] [--piece N (1,000,000)] [--format ndjson|csv|both]
//                [--days D (1): the records' times span the last D days, in time order as
//                 a platform's usage log is; 1 day is the worst case: most cells per record]
//                [--sounds N (1,000,000): the catalog the Zipf draws from]
//                [--stages]   (also time each stage in separate passes over every piece)
//
// The platform shape of issue 3 (50M raw records on a platform with <= 500k (region,
// sound) cells a day): --records 50000000 --days 30 (~1.7M records a day); the run
// prints the distinct cells a day it produced.
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/regions.h"
#include "ingest/batch_builder.h"
#include "ingest/byte_source.h"
#include "ingest/ingester.h"
#include "ingest/record_parser.h"
#include "ingest/record_reader.h"
#include "store/sqlite/sqlite_chart_store.h"

namespace soundtrend::ingest {
namespace {

using Clock_ = std::chrono::steady_clock;
// CPU time of this thread, in seconds (the machine is shared: wall time includes waiting).
double ThreadCpu() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}
double Since(Clock_::time_point t) {
  return std::chrono::duration<double>(Clock_::now() - t).count();
}

struct Rng {
  uint64_t s;
  uint64_t Next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
};

constexpr int64_t kEnd = 1769990400;  // 2026-02-02T00:00:00Z
int kDays = 1;                        // --days: the span of the records' times, ending at kEnd
uint64_t kSounds = 1'000'000;         // --sounds

void AppendU64(std::string& out, uint64_t v) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) out += buf[--n];
}

// One piece of `n` records, NDJSON or CSV (with header): records [first, first + n) of
// `total`, their times in order over the last kDays days (a second of jitter).
std::string Generate(Rng& rng, int64_t first, int64_t n, int64_t total, bool csv) {
  std::string out;
  out.reserve(static_cast<size_t>(n) * 120);
  if (csv) out += "clip_id,region,time,video_id,video_cover,views\n";
  for (int64_t i = 0; i < n; ++i) {
    // Zipf-like (exponent ~1): rank = N^u.
    const uint64_t rank = static_cast<uint64_t>(std::pow(double(kSounds), rng.Unit()));
    const uint64_t clip = 6700000000000000000ull + rank * 7919;
    // Regions Zipf-like too (a few large markets).
    const size_t region_index =
        static_cast<size_t>(std::pow(double(kRegionCount), rng.Unit())) % kRegionCount;
    const std::string_view region = Regions()[region_index].code;
    const int64_t span = int64_t{kDays} * 86400;
    const int64_t time = std::min<int64_t>(
        kEnd - 1, kEnd - span +
                      static_cast<int64_t>(static_cast<double>(first + i) * span / total) +
                      static_cast<int64_t>(rng.Next() % 2));
    const bool video = rng.Next() % 4 == 0;
    const uint64_t video_id = 7300000000000000000ull + rng.Next() % 1'000'000'000;
    const uint64_t views = rng.Next() % 1'000'000;
    if (csv) {
      AppendU64(out, clip);
      out += ',';
      out += region;
      out += ',';
      AppendU64(out, time);
      out += ',';
      if (video) AppendU64(out, video_id);
      out += ",,";
      if (video) AppendU64(out, views);
      out += '\n';
    } else {
      out += "{\"type\":\"use\",\"clip_id\":\"";
      AppendU64(out, clip);
      out += "\",\"region\":\"";
      out += region;
      out += "\",\"time\":";
      AppendU64(out, time);
      if (video) {
        out += ",\"video_id\":\"";
        AppendU64(out, video_id);
        out += "\",\"views\":";
        AppendU64(out, views);
      }
      out += "}\n";
    }
  }
  return out;
}

struct Stages {
  double read = 0, parse = 0, aggregate = 0, finish = 0;
};

// Separate passes over `data`: read (+hash) only; + parse; + aggregate (thread CPU time).
void TimeStages(std::string_view data, bool csv, TimeLimits limits, Stages* st) {
  for (int stage = 0; stage < 3; ++stage) {
    const double t = ThreadCpu();
    std::unique_ptr<ByteSource> src = ByteSource::FromMemory(data);
    RecordReader::Options ro;
    ro.csv_quotes = csv;
    RecordReader reader(*src, ro);
    NdjsonParser ndjson(limits);
    std::optional<CsvParser> csv_parser;
    BatchBuilder builder(static_cast<int64_t>(data.size()) / 128 + 1);  // as the Ingester
    ParsedRecord record;
    std::string reason;
    std::string_view text;
    int64_t line = 0, bad = 0;
    bool header = csv;
    bool too_long = false;
    while (*reader.Next(&text, &line, &too_long)) {
      if (header) {
        csv_parser.emplace(std::move(CsvParser::FromHeader(text, limits)).value());
        header = false;
        continue;
      }
      if (stage == 0) continue;
      const bool ok =
          csv ? csv_parser->Parse(text, &record, &reason) : ndjson.Parse(text, &record, &reason);
      if (!ok) ++bad;
      if (stage == 2 && ok) builder.Add(record);
    }
    if (stage == 2) {
      const double f = ThreadCpu();
      Batch b = builder.Finish("x");
      st->finish += ThreadCpu() - f;
      if (b.uses.empty()) std::printf("(empty batch?)\n");
    }
    const std::string hash = src->Sha256Hex();
    if (bad) std::printf("(%lld invalid records?)\n", static_cast<long long>(bad));
    (stage == 0 ? st->read : stage == 1 ? st->parse : st->aggregate) += ThreadCpu() - t;
  }
}

int Main(int argc, char** argv) {
  int64_t records = 5'000'000, piece = 1'000'000;
  std::string format = "both";
  bool stages = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--records" && i + 1 < argc) {
      records = std::atoll(argv[++i]);
    } else if (a == "--piece" && i + 1 < argc) {
      piece = std::atoll(argv[++i]);
    } else if (a == "--format" && i + 1 < argc) {
      format = argv[++i];
    } else if (a == "--days" && i + 1 < argc) {
      kDays = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--sounds" && i + 1 < argc) {
      kSounds = std::max<uint64_t>(1, std::strtoull(argv[++i], nullptr, 10));
    } else if (a == "--stages") {
      stages = true;
    } else {
      std::fprintf(stderr,
                   "usage: ingest_bench [--records N] [--piece N] [--format ndjson|csv|both] "
                   "[--days D] [--sounds N] [--stages]\n");
      return 2;
    }
  }
  if (records <= 0 || piece <= 0) return 2;
  std::string tmpl = (std::filesystem::temp_directory_path() / "ingest_bench_XXXXXX").string();
  if (!mkdtemp(tmpl.data())) return 1;
  const std::string dir = tmpl;

  FakeClock clock((kEnd + 3600) * 1'000'000);
  const TimeLimits limits = TimeLimits::ForNowMicros(clock.NowMicros());
  std::printf(
      "ingest_bench: %lld raw use records over %d day(s), %llu sounds (Zipf), 71 regions, in "
      "pieces of %lld, one thread, SQLite in %s\n",
      static_cast<long long>(records), kDays, static_cast<unsigned long long>(kSounds),
      static_cast<long long>(piece), dir.c_str());
  for (bool csv : {false, true}) {
    if (format != "both" && format != (csv ? "csv" : "ndjson")) continue;
    const char* name = csv ? "csv" : "ndjson";
    auto store = store::OpenSqliteChartStore(dir + "/" + name + ".db");
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    IngestOptions options;
    options.records_per_batch = piece;
    Ingester ingester(**store, clock, options);
    Rng rng{0x9E3779B97F4A7C15ull};
    double seconds = 0, gen_seconds = 0, cpu_seconds = 0;
    int64_t bytes = 0, done = 0, cells = 0, videos = 0;
    Stages st;
    while (done < records) {
      const int64_t n = std::min(piece, records - done);
      auto g = Clock_::now();
      const std::string data = Generate(rng, done, n, records, csv);
      gen_seconds += Since(g);
      if (stages) TimeStages(data, csv, limits, &st);
      const auto t = Clock_::now();
      const double cpu = ThreadCpu();
      Result<IngestReport> r =
          ingester.IngestBuffer(name, data, csv ? InputFormat::kCsv : InputFormat::kNdjson);
      seconds += Since(t);
      cpu_seconds += ThreadCpu() - cpu;
      if (!r.ok() || r->refused || r->records != n) {
        std::fprintf(stderr, "%s: ingest failed: %s\n", name,
                     r.ok() ? DescribeErrors(*r).c_str() : r.status().ToString().c_str());
        return 1;
      }
      bytes += static_cast<int64_t>(data.size());
      cells += r->cells;
      videos += r->videos;
      done += n;
    }
    std::printf(
        "%-6s %lld records, %.1f MB in %.2f s: %.2f M records/s, %.0f MB/s "
        "(%lld cells and %lld videos in the batches; generation %.1f s, not counted)\n"
        "       thread CPU time %.2f s: %.2f M records/s, %.0f MB/s per CPU-second\n",
        name, static_cast<long long>(done), bytes / 1e6, seconds, done / seconds / 1e6,
        bytes / seconds / 1e6, static_cast<long long>(cells), static_cast<long long>(videos),
        gen_seconds, cpu_seconds, done / cpu_seconds / 1e6, bytes / cpu_seconds / 1e6);
    if (stages) {
      const double full = cpu_seconds;
      std::printf(
          "       stages in thread CPU time (cumulative, separate passes): read+sha256 %.2f s, "
          "+parse/validate "
          "%.2f s, +aggregate %.2f s, full ingest with SQLite apply %.2f s\n"
          "       => read+hash %.2f s, parse %.2f s, aggregate %.2f s (of which Finish: sort "
          "and output %.2f s), store+rest %.2f s\n",
          st.read, st.parse, st.aggregate, full, st.read, st.parse - st.read,
          st.aggregate - st.parse, st.finish, full - st.aggregate);
    }
    // The shape of what was stored (not timed).
    Result<store::StoreStats> stats = (*store)->Stats();
    std::error_code size_ec;
    const auto file_bytes = std::filesystem::file_size(dir + "/" + name + ".db", size_ec);
    std::error_code wal_ec;
    const auto wal_bytes = std::filesystem::file_size(dir + "/" + name + ".db-wal", wal_ec);
    if (stats.ok()) {
      const double stored = static_cast<double>(file_bytes) + (wal_ec ? 0.0 : wal_bytes);
      std::printf(
          "       stored: %lld distinct (region, sound, day) cells over %d day(s) = %.0f "
          "cells/day (%.2f per record), %lld videos; file %.0f MB = %.1f bytes/cell\n",
          static_cast<long long>(stats->daily_cells), kDays,
          static_cast<double>(stats->daily_cells) / kDays,
          static_cast<double>(stats->daily_cells) / static_cast<double>(done),
          static_cast<long long>(stats->videos), stored / 1e6,
          stats->daily_cells ? stored / static_cast<double>(stats->daily_cells) : 0.0);
    }
    std::fflush(stdout);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}

}  // namespace
}  // namespace soundtrend::ingest

int main(int argc, char** argv) { return soundtrend::ingest::Main(argc, argv); }
