#include "ingest/record_reader.h"

#include <cstring>
#include <string>

namespace soundtrend::ingest {

RecordReader::RecordReader(ByteSource& source, Options options)
    : source_(source), options_(options) {
  buf_.resize(options_.block_bytes + kRecordPadding);
}

Result<bool> RecordReader::Refill() {
  if (eof_) return false;
  // Move the unread tail to the front, growing when one record fills the whole buffer.
  const size_t tail = end_ - pos_;
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, tail);
    pos_ = 0;
    end_ = tail;
  }
  if (end_ + kRecordPadding >= buf_.size()) buf_.resize(buf_.size() * 2);
  const size_t room = buf_.size() - kRecordPadding - end_;
  Result<size_t> n = source_.Read(buf_.data() + end_, room);
  if (!n.ok()) return n.status();
  if (*n == 0) {
    eof_ = true;
    return false;
  }
  end_ += *n;
  return true;
}

size_t RecordReader::FindRecordEnd() {
  const char* base = buf_.data();
  size_t from = pos_ + scanned_;
  for (;;) {
    const void* nl = std::memchr(base + from, '\n', end_ - from);
    if (!nl) {
      if (options_.csv_quotes) CountQuotes(base + from, base + end_);
      scanned_ = end_ - pos_;
      return std::string_view::npos;
    }
    const size_t at = static_cast<const char*>(nl) - base;
    if (options_.csv_quotes) {
      // RFC 4180: a newline is inside a quoted field iff an odd number of quotes precede
      // it in the record ("" escapes count twice and cancel out).
      CountQuotes(base + from, base + at);
      if (in_quotes_) {
        ++inner_newlines_;
        from = at + 1;
        continue;
      }
    }
    return at;
  }
}

void RecordReader::CountQuotes(const char* from, const char* to) {
  for (const char* q = from; q < to;) {
    const void* found = std::memchr(q, '"', to - q);
    if (!found) break;
    in_quotes_ = !in_quotes_;
    q = static_cast<const char*>(found) + 1;
  }
}

Result<bool> RecordReader::Next(std::string_view* record, int64_t* line, bool* too_long) {
  *too_long = false;
  bool skipping = false;  // the record passed max_record_bytes: its bytes are dropped
  for (;;) {
    size_t nl = FindRecordEnd();
    size_t stop;
    if (nl == std::string_view::npos) {
      if (end_ - pos_ > options_.max_record_bytes) {
        // Too long: the rest of it is read and dropped (memory stays bounded) and it is
        // reported as one invalid record, with its start.
        if (!skipping) too_long_start_.assign(buf_.data() + pos_, options_.max_record_bytes);
        skipping = true;
        pos_ = end_;
        scanned_ = 0;
      }
      Result<bool> more = Refill();
      if (!more.ok()) return more.status();
      if (*more) continue;
      if (pos_ == end_ && !skipping) return false;
      stop = end_;  // last record without a final newline
    } else {
      stop = nl;
    }
    const size_t start = pos_;
    const int64_t start_line = next_line_;
    next_line_ += 1 + inner_newlines_;
    inner_newlines_ = 0;
    in_quotes_ = false;
    scanned_ = 0;
    pos_ = (stop == end_) ? end_ : stop + 1;
    if (skipping || stop - start > options_.max_record_bytes) {
      if (!skipping) too_long_start_.assign(buf_.data() + start, options_.max_record_bytes);
      *record = too_long_start_;
      *line = start_line;
      *too_long = true;
      return true;
    }
    size_t len = stop - start;
    if (len > 0 && buf_[start + len - 1] == '\r') --len;
    if (len == 0) continue;
    // Padding: bytes after the record are readable; past end_ they are buffer slack.
    *record = std::string_view(buf_.data() + start, len);
    *line = start_line;
    return true;
  }
}

}  // namespace soundtrend::ingest
