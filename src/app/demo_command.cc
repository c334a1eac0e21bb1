// `soundtrend demo`: writes a generated demo platform as ingestible files.
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "app/commands.h"
#include "common/clock.h"
#include "common/day.h"
#include "common/regions.h"
#include "demo/demo_files.h"

namespace soundtrend::app {
namespace {

struct DemoCommandOptions {
  std::string out_dir;
  uint64_t seed = 42;
  int32_t sounds = 5000;  // ~4.7 million cells over 240 days: ingest + build well under a minute
  int32_t days = 240;
  std::string end_day;  // empty = yesterday (UTC)
  double scale = 1.0;
  std::string regions;  // comma-separated codes; empty = all
  int32_t raw_days = 14;
  double raw_fraction = 0.1;
  int gzip_level = 1;
};

std::string HumanBytes(int64_t bytes) {
  char buf[32];
  if (bytes >= (1 << 20))
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
  else
    std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  return buf;
}

void RunDemo(const DemoCommandOptions& o) {
  demo::DemoOptions options;
  options.seed = o.seed;
  options.sounds = o.sounds;
  options.days = o.days;
  options.scale = o.scale;
  options.raw_days = o.raw_days;
  options.raw_fraction = o.raw_fraction;
  if (o.end_day.empty()) {
    const int64_t now_seconds = SystemClock::Instance().NowMicros() / 1000000;
    options.end_day = DayOfUnixSeconds(now_seconds) - 1;
  } else {
    auto day = ParseDay(o.end_day);
    if (!day) {
      std::fprintf(stderr, "demo: --end-day must be YYYY-MM-DD, got '%s'\n", o.end_day.c_str());
      throw CLI::RuntimeError(2);
    }
    options.end_day = *day;
  }
  std::stringstream codes(o.regions);
  for (std::string code; std::getline(codes, code, ',');) {
    if (code.empty()) continue;
    auto region = FindRegion(code);
    if (!region) {
      std::fprintf(stderr, "demo: unknown region '%s' (see docs/api.md §5)\n", code.c_str());
      throw CLI::RuntimeError(2);
    }
    options.regions.push_back(*region);
  }

  const auto start = std::chrono::steady_clock::now();
  auto report = demo::WriteDemoFiles(options, o.out_dir, o.gzip_level);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!report.ok()) {
    std::fprintf(stderr, "demo: %s\n", report.status().ToString().c_str());
    throw CLI::RuntimeError(1);
  }
  const demo::DemoSummary& s = report->summary;
  std::printf("demo platform: seed %llu, %lld sounds, %lld days %s..%s, %zu regions, scale %g\n",
              static_cast<unsigned long long>(o.seed), static_cast<long long>(s.sounds),
              static_cast<long long>(s.days), FormatDay(options.end_day - options.days + 1).c_str(),
              FormatDay(options.end_day).c_str(),
              options.regions.empty() ? kRegionCount : options.regions.size(), o.scale);
  std::printf("uses: %lld total; %lld daily cells, %lld raw cells (%lld raw uses, last %d days)\n",
              static_cast<long long>(s.total_uses), static_cast<long long>(s.daily_cells),
              static_cast<long long>(s.raw_cells), static_cast<long long>(s.raw_uses), o.raw_days);
  for (const demo::WrittenFile& f : report->files) {
    std::printf("  %-40s %10lld records %12s\n", f.path.c_str(), static_cast<long long>(f.records),
                HumanBytes(f.bytes).c_str());
  }
  std::printf("written in %.1f s\n", seconds);
}

}  // namespace

void AddDemoCommand(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<DemoCommandOptions>();
  auto* cmd = app.add_subcommand(
      "demo", "Write a generated demo platform (catalog.ndjson, daily.csv.gz, uses.ndjson.gz)");
  cmd->add_option("--out", options->out_dir, "Output directory (created if missing)")->required();
  cmd->add_option("--seed", options->seed, "Random seed; the same seed writes the same files")
      ->capture_default_str();
  cmd->add_option("--sounds", options->sounds, "Number of sounds in the catalog")
      ->capture_default_str()
      ->check(CLI::Range(1, 50'000'000));
  cmd->add_option("--days", options->days, "Number of days of usage, ending on --end-day")
      ->capture_default_str()
      ->check(CLI::Range(1, 3650));
  cmd->add_option("--end-day", options->end_day, "Last day, YYYY-MM-DD (default: yesterday, UTC)");
  cmd->add_option("--scale", options->scale,
                  "Multiplier of uses per day (1.0 = about 420,000 uses/day over 71 regions)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--regions", options->regions, "Comma-separated region codes (default: all 71)");
  cmd->add_option("--raw-days", options->raw_days,
                  "Trailing days of which a sample of cells is written as raw uses")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--raw-fraction", options->raw_fraction,
                  "Share of those days' (clip, region, day) cells written as raw uses")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--gzip-level", options->gzip_level, "gzip level 1 (fast) .. 9 (small)")
      ->capture_default_str()
      ->check(CLI::Range(1, 9));
  cmd->callback([options] { RunDemo(*options); });
}

}  // namespace soundtrend::app
