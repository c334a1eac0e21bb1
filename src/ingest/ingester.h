// Ingester: reads one input (file or buffer), validates every record, aggregates them
// and applies the result to a ChartStore exactly once.
//
// Contracts:
// - Refused whole: when any record is invalid and skip_invalid is off, nothing is written
//   and the report lists the first `max_errors_kept` bad records (line + reason) and the
//   total count. Validation of the whole input always finishes before the first write.
// - Batch id: options.batch_id, or "sha256:<hex>" of the input's content (the
//   decompressed bytes of a gzip input), so the same records are one batch whether sent
//   plain or gzip. An input whose id is already recorded changes nothing and is reported
//   as already applied (so is a gzip input recorded under the hash of its compressed
//   bytes, the id before issue 12).
// - Every record is validated alike: one longer than 1 MiB is an invalid record (refused,
//   or skipped with skip_invalid), not a failure of the input; a UTF-8 byte order mark
//   before the first record is dropped in NDJSON and CSV.
// - Bounded memory: an input with at most records_per_batch records is aggregated in
//   memory and applied as ONE batch with the input's id (atomic). A larger input is
//   validated in a first pass (hash + errors, no aggregation kept), then re-read and
//   applied in chunks of records_per_batch records, each chunk a batch with id
//   "<id>#<chunk index>", preceded by a plan marker "<id>#per=<records_per_batch>" and
//   followed by an empty marker batch with the input's id. A crash between chunks leaves
//   whole chunks applied; re-running the same input skips the chunks already recorded
//   and applies the rest, so every record counts exactly once. Re-running a partly
//   applied input with a different records_per_batch is refused (kFailedPrecondition),
//   as is an input whose bytes change between the two passes (kCorruption, after its
//   chunks were applied: do not edit files while they are ingested).
// - Times are validated against the clock's now, read once per input.
// Not thread-safe; the store's own rules apply.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/records.h"
#include "common/status.h"
#include "store/chart_store.h"

namespace soundtrend::ingest {

enum class InputFormat {
  kAuto,  // by file name (.csv, .ndjson, .jsonl, optionally + .gz), else by content
  kNdjson,
  kCsv,
};

struct RecordError {
  int64_t line = 0;  // 1-based line where the record starts (0: the input as a whole)
  std::string reason;
  // The record was longer than the limit: the text on_reject gets is only its start (its
  // first 1 MiB).
  bool truncated = false;
};

struct IngestProgress {
  std::string_view source;
  int pass = 1;  // 1: validating, 2: applying chunks of a large input
  int64_t records = 0;
  int64_t raw_bytes = 0;
  std::optional<int64_t> raw_size;
};

struct IngestOptions {
  // Keep the valid records of an input with invalid ones (reported through on_reject).
  bool skip_invalid = false;
  // The input's batch id; empty = "sha256:" + hex SHA-256 of the raw input.
  std::string batch_id;
  int64_t records_per_batch = 1'000'000;
  size_t max_errors_kept = 100;
  // Every rejected record (skip_invalid or not): where, why, and its text (only its start
  // when error.truncated).
  std::function<void(std::string_view source, const RecordError&, std::string_view record)>
      on_reject;
  // Called every 65,536 records and at the end of each pass.
  std::function<void(const IngestProgress&)> on_progress;
  // Called after each non-empty batch is durably applied (not for ones already applied).
  std::function<void(const Batch&)> on_batch_applied;
};

struct IngestReport {
  std::string source;
  std::string batch_id;
  bool refused = false;             // invalid records without skip_invalid: nothing written
  bool already_applied = false;     // the input's id was recorded before: nothing written
  int64_t records = 0;              // non-empty records read (CSV header excluded)
  int64_t rejected = 0;             // invalid records
  std::vector<RecordError> errors;  // the first max_errors_kept invalid records
  // What the batches applied by this call contained.
  int64_t sounds = 0, cells = 0, videos = 0;
  int64_t batches_applied = 0, batches_already_applied = 0;
  int64_t bytes = 0;  // raw input bytes
};

class Ingester {
 public:
  // `store` and `clock` must outlive the ingester.
  Ingester(store::ChartStore& store, const Clock& clock, IngestOptions options);

  // A non-OK result means an I/O, store or format-level failure (unreadable file, CSV
  // header, corrupt gzip); refusals for invalid records are reports.
  Result<IngestReport> IngestFile(const std::string& path, InputFormat format = InputFormat::kAuto);
  // `data` is the whole input (e.g. a request body); `name` names it in messages.
  Result<IngestReport> IngestBuffer(std::string_view name, std::string_view data,
                                    InputFormat format);

 private:
  struct Source;
  Result<IngestReport> Run(const Source& source, InputFormat format);

  store::ChartStore& store_;
  const Clock& clock_;
  IngestOptions options_;
};

// "<n> invalid records; line 3: region: unknown region \"UK\"; ..." for messages.
std::string DescribeErrors(const IngestReport& report);

}  // namespace soundtrend::ingest
