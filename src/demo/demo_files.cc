#include "demo/demo_files.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/json_writer.h"

namespace soundtrend::demo {
namespace {

void AppendU64(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void AppendQuotedU64(std::string& out, uint64_t v) {
  out.push_back('"');
  AppendU64(out, v);
  out.push_back('"');
}

}  // namespace

// One output file: plain or gzip, buffered, written to `<path>.tmp` until Commit.
class DemoFileWriter::Output {
 public:
  static Result<std::unique_ptr<Output>> Open(std::string path, bool gzip, int level) {
    auto out = std::unique_ptr<Output>(new Output(std::move(path), gzip));
    const std::string tmp = out->TempPath();
    if (gzip) {
      const std::string mode = "wb" + std::to_string(std::clamp(level, 1, 9));
      out->gz_ = gzopen(tmp.c_str(), mode.c_str());
      if (out->gz_ == nullptr) return Status::IoError("cannot create " + tmp);
      gzbuffer(out->gz_, 1 << 18);
    } else {
      out->file_ = std::fopen(tmp.c_str(), "wb");
      if (out->file_ == nullptr)
        return Status::IoError("cannot create " + tmp + ": " + std::strerror(errno));
    }
    out->buffer_.reserve(kFlushBytes + 4096);
    return out;
  }

  ~Output() {
    Close();
    if (!committed_) {
      std::error_code ec;
      std::filesystem::remove(TempPath(), ec);
    }
  }

  std::string& buffer() { return buffer_; }
  void CountRecord(int64_t n = 1) { records_ += n; }

  Status MaybeFlush() { return buffer_.size() >= kFlushBytes ? Flush() : Status::Ok(); }

  Status Flush() {
    if (buffer_.empty()) return Status::Ok();
    bool ok;
    if (gz_ != nullptr) {
      ok = gzwrite(gz_, buffer_.data(), static_cast<unsigned>(buffer_.size())) ==
           static_cast<int>(buffer_.size());
    } else {
      ok = std::fwrite(buffer_.data(), 1, buffer_.size(), file_) == buffer_.size();
    }
    buffer_.clear();
    return ok ? Status::Ok() : Status::IoError("write failed: " + TempPath());
  }

  Result<WrittenFile> Commit() {
    ST_RETURN_IF_ERROR(Flush());
    if (!Close()) return Status::IoError("close failed: " + TempPath());
    std::error_code ec;
    std::filesystem::rename(TempPath(), path_, ec);
    if (ec) return Status::IoError("cannot rename to " + path_ + ": " + ec.message());
    committed_ = true;
    WrittenFile f;
    f.path = path_;
    f.records = records_;
    f.bytes = static_cast<int64_t>(std::filesystem::file_size(path_, ec));
    return f;
  }

 private:
  static constexpr size_t kFlushBytes = 1 << 20;
  Output(std::string path, bool gzip) : path_(std::move(path)) {}
  std::string TempPath() const { return path_ + ".tmp"; }
  bool Close() {
    bool ok = true;
    if (gz_ != nullptr) ok = gzclose(gz_) == Z_OK;
    if (file_ != nullptr) ok = std::fclose(file_) == 0 && ok;
    gz_ = nullptr;
    file_ = nullptr;
    return ok;
  }

  std::string path_;
  gzFile gz_ = nullptr;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  int64_t records_ = 0;
  bool committed_ = false;
};

Result<std::unique_ptr<DemoFileWriter>> DemoFileWriter::Open(const std::string& dir,
                                                             int gzip_level) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create directory " + dir + ": " + ec.message());
  auto writer = std::unique_ptr<DemoFileWriter>(new DemoFileWriter());
  const std::filesystem::path base(dir);
  auto catalog = Output::Open((base / kCatalogFile).string(), false, gzip_level);
  if (!catalog.ok()) return catalog.status();
  auto daily = Output::Open((base / kDailyFile).string(), true, gzip_level);
  if (!daily.ok()) return daily.status();
  auto uses = Output::Open((base / kUsesFile).string(), true, gzip_level);
  if (!uses.ok()) return uses.status();
  writer->catalog_ = std::move(catalog).value();
  writer->daily_ = std::move(daily).value();
  writer->uses_ = std::move(uses).value();
  writer->daily_->buffer() += "clip_id,region,day,uses\n";
  return writer;
}

DemoFileWriter::~DemoFileWriter() = default;

void DemoFileWriter::AppendSoundLine(std::string& out, const SoundRecord& s) {
  out += R"({"type":"sound","clip_id":)";
  AppendQuotedU64(out, s.clip_id);
  out += R"(,"song_id":)";
  AppendQuotedU64(out, s.song_id);
  out += R"(,"title":)";
  json::AppendString(out, s.title);
  out += R"(,"author":)";
  json::AppendString(out, s.author);
  out += R"(,"cover":)";
  json::AppendString(out, s.cover);
  out += R"(,"duration":)";
  json::AppendInt(out, s.duration);
  out += R"(,"commercial":)";
  json::AppendBool(out, s.commercial);
  out += R"(,"promoted":)";
  json::AppendBool(out, s.promoted);
  out += "}\n";
}

void DemoFileWriter::AppendDailyLine(std::string& out, const DailyUses& cell,
                                     std::string_view day) {
  AppendU64(out, cell.clip_id);
  out.push_back(',');
  out += RegionCode(cell.region);
  out.push_back(',');
  out += day;
  out.push_back(',');
  AppendU64(out, static_cast<uint64_t>(cell.uses));
  out.push_back('\n');
}

void DemoFileWriter::AppendUseLine(std::string& out, const RawUse& use) {
  out += R"({"type":"use","clip_id":)";
  AppendQuotedU64(out, use.clip_id);
  out += R"(,"region":")";
  out += RegionCode(use.region);
  out += R"(","time":)";
  json::AppendInt(out, use.time);
  out += R"(,"video_id":)";
  AppendQuotedU64(out, use.video_id);
  out += R"(,"video_cover":"https://cdn.soundtrend.example/video/)";
  AppendU64(out, use.video_id);
  out += R"(.jpeg","views":)";
  json::AppendInt(out, use.views);
  out += "}\n";
}

Status DemoFileWriter::OnSound(const SoundRecord& sound) {
  AppendSoundLine(catalog_->buffer(), sound);
  catalog_->CountRecord();
  return catalog_->MaybeFlush();
}

Status DemoFileWriter::OnDay(Day day, std::span<const DailyUses> daily,
                             std::span<const RawUse> raw) {
  if (day != day_text_day_) {
    day_text_ = FormatDay(day);
    day_text_day_ = day;
  }
  for (const DailyUses& cell : daily) {
    AppendDailyLine(daily_->buffer(), cell, day_text_);
    ST_RETURN_IF_ERROR(daily_->MaybeFlush());
  }
  daily_->CountRecord(static_cast<int64_t>(daily.size()));
  for (const RawUse& use : raw) {
    AppendUseLine(uses_->buffer(), use);
    ST_RETURN_IF_ERROR(uses_->MaybeFlush());
  }
  uses_->CountRecord(static_cast<int64_t>(raw.size()));
  return Status::Ok();
}

Result<std::vector<WrittenFile>> DemoFileWriter::Finish() {
  std::vector<WrittenFile> files;
  for (Output* out : {catalog_.get(), daily_.get(), uses_.get()}) {
    auto f = out->Commit();
    if (!f.ok()) return f.status();
    files.push_back(std::move(f).value());
  }
  return files;
}

Result<DemoWriteReport> WriteDemoFiles(const DemoOptions& options, const std::string& dir,
                                       int gzip_level) {
  ST_RETURN_IF_ERROR(ValidateOptions(options));
  auto writer = DemoFileWriter::Open(dir, gzip_level);
  if (!writer.ok()) return writer.status();
  auto summary = Generate(options, **writer);
  if (!summary.ok()) return summary.status();
  auto files = (*writer)->Finish();
  if (!files.ok()) return files.status();
  return DemoWriteReport{*summary, std::move(files).value()};
}

}  // namespace soundtrend::demo
