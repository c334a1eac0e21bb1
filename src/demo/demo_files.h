// Writes the generated platform as ingestible files in the formats of docs/formats.md:
//
//   catalog.ndjson   one `sound` record per sound
//   daily.csv.gz     `clip_id,region,day,uses`: every cell not given as raw uses
//   uses.ndjson.gz   one `use` record (video_id, video_cover, views) per use of the cells
//                    chosen as raw (the last DemoOptions::raw_days days, sampled)
//
// A (clip, region, day) is in exactly one of daily.csv.gz and uses.ndjson.gz, so
// ingesting all three files counts every use once. Files are written under a temporary
// name and renamed when complete: a crash never leaves a truncated file under the final
// name.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "demo/generator.h"

namespace soundtrend::demo {

inline constexpr char kCatalogFile[] = "catalog.ndjson";
inline constexpr char kDailyFile[] = "daily.csv.gz";
inline constexpr char kUsesFile[] = "uses.ndjson.gz";

struct WrittenFile {
  std::string path;
  int64_t records = 0;  // data records (CSV header excluded)
  int64_t bytes = 0;    // size on disk
};

// A DemoSink that writes the three files into one directory. Not thread-safe.
class DemoFileWriter final : public DemoSink {
 public:
  // Creates `dir` if needed and opens the temporary files. `gzip_level` 1 (fast) .. 9.
  static Result<std::unique_ptr<DemoFileWriter>> Open(const std::string& dir, int gzip_level = 1);
  ~DemoFileWriter() override;  // removes the temporary files if Finish was not called

  Status OnSound(const SoundRecord& sound) override;
  Status OnDay(Day day, std::span<const DailyUses> daily, std::span<const RawUse> raw) override;
  // Flushes, closes and renames the files to their final names; catalog, daily, uses.
  Result<std::vector<WrittenFile>> Finish();

  // Appenders used by the writer, exposed for tests: one line, newline included.
  static void AppendSoundLine(std::string& out, const SoundRecord& sound);
  static void AppendDailyLine(std::string& out, const DailyUses& cell, std::string_view day);
  static void AppendUseLine(std::string& out, const RawUse& use);

 private:
  class Output;
  DemoFileWriter() = default;
  std::unique_ptr<Output> catalog_, daily_, uses_;
  std::string day_text_;
  Day day_text_day_ = -1;
};

struct DemoWriteReport {
  DemoSummary summary;
  std::vector<WrittenFile> files;  // catalog, daily, uses
};

// Generates `options` into `dir` (Open + Generate + Finish).
Result<DemoWriteReport> WriteDemoFiles(const DemoOptions& options, const std::string& dir,
                                       int gzip_level = 1);

}  // namespace soundtrend::demo
