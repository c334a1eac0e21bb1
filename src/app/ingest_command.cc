// `soundtrend ingest [--skip-invalid] [--rejects FILE] [--batch-id ID] [--format F] FILE...`:
// loads input files (docs/formats.md) into the chart store, each file one batch (or one
// chunked batch when large), exactly once (see ingest/ingester.h).
//
// Output: a progress line on stderr when stderr is a terminal; one summary line per file
// and a total on stdout (--json: one JSON object instead, {"files":[{"file","outcome",
// "batch_id","records","rejected","sounds","cells","videos","batches_applied",
// "batches_already_applied","seconds","error"}...],"total":{...}}). A refused file lists
// "FILE:LINE: reason" (the first 100) on stderr. Exit 0 when every file was applied or
// already applied; 1 when one was refused, failed, or had no valid record to apply (every
// record invalid under --skip-invalid, or none at all: nothing applied; the other files are
// still loaded); 2 for usage errors. A new database is created (and said so) when missing.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/database.h"
#include "app/stores.h"
#include "common/clock.h"
#include "common/json_writer.h"
#include "ingest/ingester.h"

namespace soundtrend::app {
namespace {

struct IngestCommandOptions {
  bool skip_invalid = false;
  std::string rejects_path;
  std::string batch_id;
  std::string format = "auto";
  int64_t records_per_batch = 1'000'000;
  std::vector<std::string> files;
  bool json = false;
};

// One file's outcome for --json.
void AppendReportJson(std::string& out, const ingest::IngestReport& r, double seconds) {
  out += "\"records\":";
  json::AppendInt(out, r.records);
  out += ",\"rejected\":";
  json::AppendInt(out, r.rejected);
  out += ",\"sounds\":";
  json::AppendInt(out, r.sounds);
  out += ",\"cells\":";
  json::AppendInt(out, r.cells);
  out += ",\"videos\":";
  json::AppendInt(out, r.videos);
  out += ",\"batches_applied\":";
  json::AppendInt(out, r.batches_applied);
  out += ",\"batches_already_applied\":";
  json::AppendInt(out, r.batches_already_applied);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", seconds);
  out += ",\"seconds\":";
  out += buf;
}

using Seconds = std::chrono::duration<double>;

std::string Thousands(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

// One JSON line per rejected record: {"source","line","reason","record"}; bytes of the
// record that are not valid UTF-8 are written as U+FFFD.
class RejectsWriter {
 public:
  explicit RejectsWriter(FILE* f) : f_(f) {}
  void Write(std::string_view source, const ingest::RecordError& e, std::string_view record) {
    line_.clear();
    line_ += "{\"source\":";
    json::AppendString(line_, Utf8(source));
    line_ += ",\"line\":";
    json::AppendInt(line_, e.line);
    line_ += ",\"reason\":";
    json::AppendString(line_, Utf8(e.reason));
    line_ += ",\"record\":";
    json::AppendString(line_, Utf8(record));
    if (e.truncated) line_ += ",\"truncated\":true";
    line_ += "}\n";
    if (std::fwrite(line_.data(), 1, line_.size(), f_) != line_.size()) failed_ = true;
  }
  bool failed() const { return failed_; }

 private:
  static std::string Utf8(std::string_view s) {
    if (json::IsValidUtf8(s)) return std::string(s);
    std::string out;
    for (size_t i = 0; i < s.size();) {
      // The longest valid sequence starting at i, else one replaced byte.
      size_t len = 0;
      for (size_t n = 4; n >= 1; --n) {
        if (i + n <= s.size() && json::IsValidUtf8(s.substr(i, n))) {
          len = n;
          break;
        }
      }
      if (len == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(s.substr(i, len));
        i += len;
      }
    }
    return out;
  }
  FILE* f_;
  std::string line_;
  bool failed_ = false;
};

// The progress line on a terminal, redrawn at most 5 times a second.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  void Update(const ingest::IngestProgress& p) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (shown_ && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    shown_ = true;
    std::string text = std::string(p.source) + (p.pass == 1 ? ": reading " : ": applying ") +
                       Thousands(p.records) + " records";
    if (p.raw_size && *p.raw_size > 0) {
      const double pct =
          100.0 * static_cast<double>(p.raw_bytes) / static_cast<double>(*p.raw_size);
      char buf[64];
      std::snprintf(buf, sizeof buf, " (%.0f%% of %.1f MB)", pct, *p.raw_size / 1e6);
      text += buf;
    }
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    std::fflush(stderr);
  }
  void Clear() {
    if (!shown_) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_;
};

std::string Counts(const ingest::IngestReport& r, double seconds) {
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.0f records/s, %.2f s",
                seconds > 0 ? static_cast<double>(r.records) / seconds : 0.0, seconds);
  return Thousands(r.records) + " records, " + Thousands(r.rejected) + " rejected, " +
         Thousands(r.sounds) + " sounds, " + Thousands(r.cells) + " cells, " + Thousands(r.videos) +
         " videos, " + Thousands(r.batches_applied) + " batches applied, " +
         Thousands(r.batches_already_applied) + " already applied (" + rate + ")";
}

void RunIngest(const GlobalOptions& global, const IngestCommandOptions& o) {
  ingest::InputFormat format;
  if (o.format == "auto") {
    format = ingest::InputFormat::kAuto;
  } else if (o.format == "ndjson") {
    format = ingest::InputFormat::kNdjson;
  } else if (o.format == "csv") {
    format = ingest::InputFormat::kCsv;
  } else {
    std::fprintf(stderr, "ingest: --format must be auto, ndjson or csv, got '%s'\n",
                 o.format.c_str());
    throw CLI::RuntimeError(2);
  }
  if (!o.batch_id.empty() && o.files.size() != 1) {
    std::fprintf(stderr, "ingest: --batch-id names one batch; give exactly one FILE with it\n");
    throw CLI::RuntimeError(2);
  }
  const Result<DbCheck> check = CheckDatabase(global.db_path, DbAccess::kCreate);
  if (!check.ok()) {
    std::fprintf(stderr, "ingest: %s\n", check.status().message().c_str());
    throw CLI::RuntimeError(check.status().code() == Status::Code::kInvalidArgument ? 2 : 1);
  }
  auto store = OpenChartStore(global.db_path);
  if (!store.ok()) {
    std::fprintf(stderr, "ingest: cannot open %s: %s\n", global.db_path.c_str(),
                 store.status().ToString().c_str());
    throw CLI::RuntimeError(1);
  }
  ReportCreated("ingest", global.db_path, *check);
  std::unique_ptr<FILE, int (*)(FILE*)> rejects_file(nullptr, &std::fclose);
  std::unique_ptr<RejectsWriter> rejects;
  if (!o.rejects_path.empty()) {
    rejects_file.reset(std::fopen(o.rejects_path.c_str(), "w"));
    if (!rejects_file) {
      std::fprintf(stderr, "ingest: cannot write %s: %s\n", o.rejects_path.c_str(),
                   std::strerror(errno));
      throw CLI::RuntimeError(1);
    }
    rejects = std::make_unique<RejectsWriter>(rejects_file.get());
  }

  ProgressLine progress(isatty(STDERR_FILENO) == 1);
  ingest::IngestOptions options;
  options.skip_invalid = o.skip_invalid;
  options.batch_id = o.batch_id;
  options.records_per_batch = o.records_per_batch;
  options.on_progress = [&](const ingest::IngestProgress& p) { progress.Update(p); };
  if (rejects) {
    options.on_reject = [&](std::string_view source, const ingest::RecordError& e,
                            std::string_view record) { rejects->Write(source, e, record); };
  }
  ingest::Ingester ingester(**store, SystemClock::Instance(), options);

  ingest::IngestReport total;
  int failed = 0, done = 0;
  std::string json_files;  // --json: the "files" array's items
  auto json_file = [&](const std::string& file, std::string_view outcome,
                       const ingest::IngestReport* r, double seconds, std::string_view error) {
    if (!o.json) return;
    if (!json_files.empty()) json_files += ',';
    json_files += "{\"file\":";
    json::AppendString(json_files, json::IsValidUtf8(file) ? file : "<not UTF-8>");
    json_files += ",\"outcome\":";
    json::AppendString(json_files, outcome);
    json_files += ",\"batch_id\":";
    if (r != nullptr && !r->batch_id.empty()) {
      json::AppendString(json_files, r->batch_id);
    } else {
      json_files += "null";
    }
    json_files += ',';
    AppendReportJson(json_files, r != nullptr ? *r : ingest::IngestReport{}, seconds);
    json_files += ",\"error\":";
    if (error.empty()) {
      json_files += "null";
    } else {
      json::AppendString(json_files, json::IsValidUtf8(error) ? error : "<not UTF-8>");
    }
    json_files += '}';
  };
  // Text lines go to stdout unless --json (then stdout holds the JSON document alone).
  FILE* text_out = o.json ? stderr : stdout;
  const auto start_all = std::chrono::steady_clock::now();
  for (const std::string& file : o.files) {
    const auto start = std::chrono::steady_clock::now();
    Result<ingest::IngestReport> r = ingester.IngestFile(file, format);
    const double seconds = Seconds(std::chrono::steady_clock::now() - start).count();
    progress.Clear();
    if (!r.ok()) {
      ++failed;
      std::fprintf(stderr, "%s: failed: %s\n", file.c_str(), r.status().message().c_str());
      if (!o.json) std::printf("%s: failed\n", file.c_str());
      json_file(file, "failed", nullptr, seconds, r.status().message());
      continue;
    }
    total.records += r->records;
    total.rejected += r->rejected;
    total.sounds += r->sounds;
    total.cells += r->cells;
    total.videos += r->videos;
    total.batches_applied += r->batches_applied;
    total.batches_already_applied += r->batches_already_applied;
    if (r->refused) {
      ++failed;
      for (const ingest::RecordError& e : r->errors) {
        std::fprintf(stderr, "%s:%lld: %s\n", file.c_str(), static_cast<long long>(e.line),
                     e.reason.c_str());
      }
      std::fprintf(
          stderr,
          "%s: refused: %s invalid record%s%s; nothing stored (use --skip-invalid "
          "to load the valid ones)\n",
          file.c_str(), Thousands(r->rejected).c_str(), r->rejected == 1 ? "" : "s",
          r->errors.size() < static_cast<size_t>(r->rejected) ? " (first 100 listed)" : "");
      std::fprintf(text_out, "%s: refused: %s\n", file.c_str(), Counts(*r, seconds).c_str());
      json_file(file, "refused", &*r, seconds, "invalid records");
      continue;
    }
    if (!r->already_applied && r->records - r->rejected <= 0) {
      // Nothing to apply: every record invalid (--skip-invalid), or no record at all.
      ++failed;
      std::fprintf(stderr, "%s: nothing applied: %s\n", file.c_str(),
                   r->records == 0 ? "no records" : "every record is invalid");
      std::fprintf(text_out, "%s: nothing applied: %s\n", file.c_str(),
                   Counts(*r, seconds).c_str());
      json_file(file, "nothing_applied", &*r, seconds,
                r->records == 0 ? "no records" : "every record is invalid");
      continue;
    }
    ++done;
    std::fprintf(text_out, "%s: %s (batch %s): %s\n", file.c_str(),
                 r->already_applied ? "already applied" : "applied", r->batch_id.c_str(),
                 Counts(*r, seconds).c_str());
    json_file(file, r->already_applied ? "already_applied" : "applied", &*r, seconds, "");
    std::fflush(text_out);
  }
  const double seconds = Seconds(std::chrono::steady_clock::now() - start_all).count();
  std::fprintf(text_out, "total: %d file%s loaded, %d refused or failed: %s\n", done,
               done == 1 ? "" : "s", failed, Counts(total, seconds).c_str());
  std::fflush(text_out);
  if (o.json) {
    std::string out = "{\"files\":[" + json_files + "],\"total\":{\"loaded\":";
    json::AppendInt(out, done);
    out += ",\"refused_or_failed\":";
    json::AppendInt(out, failed);
    out += ',';
    AppendReportJson(out, total, seconds);
    out += "}}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }
  if (rejects_file) {
    const bool bad = rejects->failed() || std::fflush(rejects_file.get()) != 0;
    if (bad) {
      std::fprintf(stderr, "ingest: writing %s failed\n", o.rejects_path.c_str());
      throw CLI::RuntimeError(1);
    }
  }
  if (failed > 0) throw CLI::RuntimeError(1);
}

}  // namespace

void AddIngestCommand(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<IngestCommandOptions>();
  auto* cmd = app.add_subcommand(
      "ingest", "Load sound, use and daily records (NDJSON or CSV, plain or gzip) into the store");
  cmd->add_flag("--skip-invalid", options->skip_invalid,
                "Load the valid records of a file with invalid ones (default: refuse the file)");
  cmd->add_option("--rejects", options->rejects_path,
                  "Write every rejected record, with its file, line and reason, to FILE (JSON "
                  "lines)");
  cmd->add_option("--batch-id", options->batch_id,
                  "Batch id of the (single) file (default: sha256 of its content)");
  cmd->add_option("--format", options->format, "auto, ndjson or csv")->capture_default_str();
  cmd->add_option("--records-per-batch", options->records_per_batch,
                  "Inputs with more records are applied in chunks of this many")
      ->check(CLI::PositiveNumber)
      ->group("");  // hidden: for tests and tuning
  cmd->add_flag(
      "--json", options->json,
      "Print one JSON document with every file's outcome on stdout (text goes to stderr)");
  cmd->add_option("FILE", options->files, "Input files")->required();
  cmd->callback([&global, options] { RunIngest(global, *options); });
}

}  // namespace soundtrend::app
