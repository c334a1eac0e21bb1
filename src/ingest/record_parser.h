// Parsing and validation of single input records (docs/formats.md): NDJSON lines with
// simdjson On Demand, CSV records with a hand-written RFC 4180 splitter.
//
// Contracts: a record is valid only when every rule of docs/formats.md holds: known
// `type`/columns, required fields present with the right types, ids are integers in
// [1, 2^64), regions in the table (any case), times and days within
// [2000-01-01, now + 1 day] (`now` fixed when the TimeLimits are made), valid UTF-8.
// An invalid record yields false and a one-line reason naming the field and the rule.
// Views in a parsed record point into the parser or the input and stay valid until the
// next Parse. Parsers are not thread-safe; use one per thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/records.h"
#include "common/status.h"

namespace soundtrend::ingest {

// One raw use of a sound (docs/formats.md `use`), before aggregation into DailyUses.
struct UseRecord {
  uint64_t clip_id = 0;
  RegionId region = 0;
  int64_t time = 0;              // unix seconds
  uint64_t video_id = 0;         // 0 = no video given
  std::string_view video_cover;  // may be empty
  int64_t views = 0;
};

enum class RecordKind { kSound, kUse, kDaily };

struct ParsedRecord {
  RecordKind kind = RecordKind::kUse;
  SoundRecord sound;  // kind == kSound
  UseRecord use;      // kind == kUse
  DailyUses daily;    // kind == kDaily
};

// The accepted range of times, in unix seconds, inclusive.
struct TimeLimits {
  int64_t min_unix_seconds = 946684800;  // 2000-01-01T00:00:00Z
  int64_t max_unix_seconds = 0;
  // [2000-01-01, now + 1 day].
  static TimeLimits ForNowMicros(int64_t now_micros);
};

// Parses a positive 64-bit id written as decimal digits; nullopt otherwise.
std::optional<uint64_t> ParseIdText(std::string_view s);
// Parses RFC 3339 "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" to unix seconds.
std::optional<int64_t> ParseRfc3339(std::string_view s);
// The region of a two-letter code in any case (a constant-time table lookup).
std::optional<RegionId> LookupRegion(std::string_view code);

class NdjsonParser {
 public:
  explicit NdjsonParser(TimeLimits limits);
  ~NdjsonParser();
  // Parses one line; at least 64 readable bytes must follow `line` in memory (see
  // RecordReader). Returns false with `reason` set when the record is invalid.
  bool Parse(std::string_view line, ParsedRecord* out, std::string* reason);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class CsvParser {
 public:
  // Builds a parser from the header line, whose columns decide the kind of record.
  static Result<CsvParser> FromHeader(std::string_view header, TimeLimits limits);
  // Parses one CSV record (may span lines). Returns false with `reason` when invalid.
  bool Parse(std::string_view record, ParsedRecord* out, std::string* reason);
  RecordKind kind() const { return kind_; }

 private:
  static constexpr int kKnownColumns = 15;  // the fields of docs/formats.md
  CsvParser() = default;
  // Splits `record` into fields_ (unquoting into scratch_); false on bad quoting.
  bool Split(std::string_view record, std::string* reason);

  RecordKind kind_ = RecordKind::kUse;
  TimeLimits limits_;
  int index_[kKnownColumns];  // field index of each known column, -1 when absent
  size_t width_ = 0;          // number of header columns
  std::vector<std::string_view> fields_;
  // Unquoted text of fields with "" (fields_ views into it): a deque, whose growth leaves
  // the strings in place (a vector's would move them, and a short string's text with it).
  std::deque<std::string> scratch_;
};

}  // namespace soundtrend::ingest
