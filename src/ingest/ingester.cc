#include "ingest/ingester.h"

#include <memory>

#include "ingest/batch_builder.h"
#include "ingest/byte_source.h"
#include "ingest/record_parser.h"
#include "ingest/record_reader.h"

namespace soundtrend::ingest {

struct Ingester::Source {
  std::string name;
  std::function<Result<std::unique_ptr<ByteSource>>()> open;
};

namespace {

constexpr int64_t kProgressEvery = 1 << 16;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

InputFormat FormatFromName(std::string_view name) {
  if (EndsWith(name, ".gz")) name.remove_suffix(3);
  if (EndsWith(name, ".csv") || EndsWith(name, ".CSV")) return InputFormat::kCsv;
  if (EndsWith(name, ".ndjson") || EndsWith(name, ".jsonl") || EndsWith(name, ".json")) {
    return InputFormat::kNdjson;
  }
  return InputFormat::kAuto;
}

// Parses every record of one pass over the input. `on_record(index, line, text, ok,
// record, reason)` sees each record; `skip(index)` true means the record needs no parse.
class RecordScanner {
 public:
  RecordScanner(ByteSource& source, InputFormat format, TimeLimits limits)
      : source_(source), format_(format), limits_(limits), ndjson_(limits) {}

  template <typename Skip, typename OnRecord>
  Status Scan(Skip&& skip, OnRecord&& on_record) {
    RecordReader::Options reader_options;
    reader_options.csv_quotes = format_ != InputFormat::kNdjson;
    RecordReader reader(source_, reader_options);
    const std::string too_long_reason =
        "record longer than " + std::to_string(reader_options.max_record_bytes) + " bytes";
    std::string_view text;
    int64_t line = 0;
    bool too_long = false;
    Result<bool> first = reader.Next(&text, &line, &too_long);
    if (!first.ok()) return first.status();
    if (!*first) return Status::Ok();
    // A UTF-8 byte order mark before the first record is dropped, in either format.
    if (!too_long && text.substr(0, 3) == "\xEF\xBB\xBF") {
      text.remove_prefix(3);
      while (!too_long && text.empty()) {  // the mark was alone on its line
        first = reader.Next(&text, &line, &too_long);
        if (!first.ok()) return first.status();
        if (!*first) return Status::Ok();
      }
    }
    if (format_ == InputFormat::kAuto) {
      if (too_long) return Status::InvalidArgument("line 1: " + too_long_reason);
      format_ = text.front() == '{' ? InputFormat::kNdjson : InputFormat::kCsv;
    }
    std::optional<CsvParser> csv;
    bool have = true;
    if (format_ == InputFormat::kCsv) {
      if (too_long) return Status::InvalidArgument("line 1: " + too_long_reason);
      Result<CsvParser> parser = CsvParser::FromHeader(text, limits_);
      if (!parser.ok()) return Status::InvalidArgument("line 1: " + parser.status().message());
      csv.emplace(std::move(parser).value());
      Result<bool> next = reader.Next(&text, &line, &too_long);
      if (!next.ok()) return next.status();
      have = *next;
    }
    int64_t index = 0;
    while (have) {
      too_long_ = too_long;
      if (too_long) {
        // Invalid like any other record (refused, or skipped with skip_invalid).
        ST_RETURN_IF_ERROR(on_record(index, line, text, false, nullptr, too_long_reason));
      } else if (!skip(index)) {
        const bool ok =
            csv ? csv->Parse(text, &record_, &reason_) : ndjson_.Parse(text, &record_, &reason_);
        ST_RETURN_IF_ERROR(on_record(index, line, text, ok, &record_, reason_));
      } else {
        ST_RETURN_IF_ERROR(on_record(index, line, text, true, nullptr, reason_));
      }
      ++index;
      Result<bool> next = reader.Next(&text, &line, &too_long);
      if (!next.ok()) return next.status();
      have = *next;
    }
    return Status::Ok();
  }

  // During on_record: the record is longer than the limit (its text is only its start).
  bool too_long() const { return too_long_; }

 private:
  ByteSource& source_;
  InputFormat format_;
  TimeLimits limits_;
  NdjsonParser ndjson_;
  ParsedRecord record_;
  std::string reason_;
  bool too_long_ = false;
};

}  // namespace

Ingester::Ingester(store::ChartStore& store, const Clock& clock, IngestOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

Result<IngestReport> Ingester::IngestFile(const std::string& path, InputFormat format) {
  Source source{path, [path] { return ByteSource::OpenFile(path); }};
  if (format == InputFormat::kAuto) format = FormatFromName(path);
  return Run(source, format);
}

Result<IngestReport> Ingester::IngestBuffer(std::string_view name, std::string_view data,
                                            InputFormat format) {
  Source source{std::string(name), [data]() -> Result<std::unique_ptr<ByteSource>> {
                  return ByteSource::FromMemory(data);
                }};
  return Run(source, format);
}

Result<IngestReport> Ingester::Run(const Source& source, InputFormat format) {
  IngestReport report;
  report.source = source.name;
  const TimeLimits limits = TimeLimits::ForNowMicros(clock_.NowMicros());
  const int64_t per_batch = std::max<int64_t>(1, options_.records_per_batch);
  IngestProgress progress{source.name, 1, 0, 0, std::nullopt};
  auto report_progress = [&](ByteSource& src, int64_t records) {
    if (!options_.on_progress) return;
    progress.records = records;
    progress.raw_bytes = src.raw_bytes_read();
    progress.raw_size = src.raw_size();
    options_.on_progress(progress);
  };

  // Pass 1: validate everything, hash, and aggregate while the input fits one batch.
  Result<std::unique_ptr<ByteSource>> first = source.open();
  if (!first.ok()) return first.status();
  ByteSource& src1 = **first;
  // The cell table is sized for ~1 cell per 128 input bytes (records take >= ~45 bytes and
  // repeat cells); it grows beyond that when needed.
  const int64_t expected_records =
      std::min(per_batch, src1.raw_size() ? *src1.raw_size() / 128 + 1 : int64_t{0});
  BatchBuilder builder(expected_records);
  bool single_batch = true;
  {
    RecordScanner scanner(src1, format, limits);
    Status st = scanner.Scan([](int64_t) { return false; },
                             [&](int64_t index, int64_t line, std::string_view text, bool ok,
                                 const ParsedRecord* record, const std::string& reason) -> Status {
                               ++report.records;
                               if (ok) {
                                 if (single_batch) {
                                   if (index < per_batch) {
                                     builder.Add(*record);
                                   } else {
                                     single_batch = false;
                                     builder = BatchBuilder();  // release the memory
                                   }
                                 }
                               } else {
                                 ++report.rejected;
                                 // A record too long is handed out as its start.
                                 RecordError error{line, reason, scanner.too_long()};
                                 if (options_.on_reject)
                                   options_.on_reject(source.name, error, text);
                                 if (report.errors.size() < options_.max_errors_kept) {
                                   report.errors.push_back(std::move(error));
                                 }
                               }
                               if ((index + 1) % kProgressEvery == 0)
                                 report_progress(src1, index + 1);
                               return Status::Ok();
                             });
    if (!st.ok()) {
      return Status(st.code() == Status::Code::kInvalidArgument
                        ? Status::InvalidArgument(source.name + ": " + st.message())
                        : st);
    }
  }
  report_progress(src1, report.records);
  report.bytes = src1.raw_bytes_read();
  const std::string hash = src1.Sha256Hex();
  report.batch_id = options_.batch_id.empty() ? "sha256:" + hash : options_.batch_id;
  if (report.rejected > 0 && !options_.skip_invalid) {
    report.refused = true;
    return report;
  }

  Result<bool> done = store_.HasBatch(report.batch_id);
  if (!done.ok()) return done.status();
  if (!*done && options_.batch_id.empty() && src1.gzip()) {
    // Before issue 12 the id of a gzip input hashed the compressed bytes: a file applied
    // under that id is applied already.
    done = store_.HasBatch("sha256:" + src1.RawSha256Hex());
    if (!done.ok()) return done.status();
  }
  if (*done) {
    report.already_applied = true;
    report.batches_already_applied = 1;
    return report;
  }
  const std::string chunk_prefix = report.batch_id + "#";
  Result<bool> chunk0 = store_.HasBatch(chunk_prefix + "0");
  if (!chunk0.ok()) return chunk0.status();

  auto apply = [&](const Batch& batch) -> Status {
    Result<bool> applied = store_.ApplyBatch(batch);
    if (!applied.ok()) return applied.status();
    if (!*applied) {
      ++report.batches_already_applied;
      return Status::Ok();
    }
    const bool empty = batch.sounds.empty() && batch.uses.empty() && batch.videos.empty();
    if (empty) return Status::Ok();  // markers are bookkeeping, not data
    ++report.batches_applied;
    report.sounds += static_cast<int64_t>(batch.sounds.size());
    report.cells += static_cast<int64_t>(batch.uses.size());
    report.videos += static_cast<int64_t>(batch.videos.size());
    if (options_.on_batch_applied) options_.on_batch_applied(batch);
    return Status::Ok();
  };

  if (single_batch) {
    if (*chunk0) {
      return Status::FailedPrecondition(
          source.name +
          ": partly applied before in chunks of a different size; re-run with "
          "the records-per-batch of that run");
    }
    ST_RETURN_IF_ERROR(apply(builder.Finish(report.batch_id)));
    return report;
  }

  // Pass 2: large input, applied in chunks (see the header for the protocol).
  const std::string plan_id = chunk_prefix + "per=" + std::to_string(per_batch);
  Result<bool> planned = store_.HasBatch(plan_id);
  if (!planned.ok()) return planned.status();
  if (!*planned) {
    if (*chunk0) {
      return Status::FailedPrecondition(
          source.name +
          ": partly applied before in chunks of a different size; re-run with "
          "the records-per-batch of that run");
    }
    Batch plan;
    plan.id = plan_id;
    ST_RETURN_IF_ERROR(apply(plan));
  }
  Result<std::unique_ptr<ByteSource>> second = source.open();
  if (!second.ok()) return second.status();
  ByteSource& src2 = **second;
  builder = BatchBuilder(per_batch);
  progress.pass = 2;
  int64_t chunk = -1;
  bool chunk_done = false;
  Status chunk_status;
  auto flush = [&]() -> Status {
    if (chunk < 0 || chunk_done) {
      builder = BatchBuilder(per_batch);
      return Status::Ok();
    }
    return apply(builder.Finish(chunk_prefix + std::to_string(chunk)));
  };
  RecordScanner scanner(src2, format, limits);
  Status st = scanner.Scan(
      [&](int64_t index) -> bool {
        if (index / per_batch != chunk) {
          // A new chunk starts: apply the previous one, look this one up.
          chunk_status = flush();
          chunk = index / per_batch;
          Result<bool> has = store_.HasBatch(chunk_prefix + std::to_string(chunk));
          if (!has.ok() && chunk_status.ok()) chunk_status = has.status();
          chunk_done = has.ok() && *has;
          if (chunk_done) ++report.batches_already_applied;
        }
        return chunk_done || !chunk_status.ok();
      },
      [&](int64_t index, int64_t, std::string_view, bool ok, const ParsedRecord* record,
          const std::string&) -> Status {
        ST_RETURN_IF_ERROR(chunk_status);
        if (ok && record) builder.Add(*record);
        if ((index + 1) % kProgressEvery == 0) report_progress(src2, index + 1);
        return Status::Ok();
      });
  ST_RETURN_IF_ERROR(st);
  ST_RETURN_IF_ERROR(chunk_status);
  ST_RETURN_IF_ERROR(flush());
  report_progress(src2, report.records);
  if (src2.Sha256Hex() != hash) {
    return Status::Corruption(source.name +
                              ": the input changed while it was being ingested; its chunks "
                              "may hold a mix of both versions");
  }
  Batch marker;
  marker.id = report.batch_id;
  marker.source_records = report.records;
  ST_RETURN_IF_ERROR(apply(marker));
  return report;
}

std::string DescribeErrors(const IngestReport& report) {
  std::string out = report.source + ": " + std::to_string(report.rejected) + " invalid record" +
                    (report.rejected == 1 ? "" : "s");
  if (report.errors.size() < static_cast<size_t>(report.rejected)) {
    out += " (first " + std::to_string(report.errors.size()) + " shown)";
  }
  for (const RecordError& e : report.errors) {
    out += "\n  line " + std::to_string(e.line) + ": " + e.reason;
  }
  return out;
}

}  // namespace soundtrend::ingest
