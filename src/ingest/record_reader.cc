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

size_t RecordReader::FindRecordEnd(int64_t* inner_newlines) {
  *inner_newlines = 0;
  const char* base = buf_.data();
  size_t from = pos_;
  bool in_quotes = false;
  for (;;) {
    const void* nl = std::memchr(base + from, '\n', end_ - from);
    if (!nl) return std::string_view::npos;
    const size_t at = static_cast<const char*>(nl) - base;
    if (options_.csv_quotes) {
      // RFC 4180: a newline is inside a quoted field iff an odd number of quotes precede
      // it in the record ("" escapes count twice and cancel out).
      for (const char* q = base + from; q < base + at;) {
        const void* found = std::memchr(q, '"', base + at - q);
        if (!found) break;
        in_quotes = !in_quotes;
        q = static_cast<const char*>(found) + 1;
      }
      if (in_quotes) {
        ++*inner_newlines;
        from = at + 1;
        continue;
      }
    }
    return at;
  }
}

Result<bool> RecordReader::Next(std::string_view* record, int64_t* line) {
  for (;;) {
    int64_t inner = 0;
    size_t nl = FindRecordEnd(&inner);
    size_t stop;
    if (nl == std::string_view::npos) {
      if (end_ - pos_ > options_.max_record_bytes) {
        return Status::InvalidArgument("line " + std::to_string(next_line_) +
                                       ": record longer than " +
                                       std::to_string(options_.max_record_bytes) + " bytes");
      }
      Result<bool> more = Refill();
      if (!more.ok()) return more.status();
      if (*more) continue;
      if (pos_ == end_) return false;
      stop = end_;  // last record without a final newline
    } else {
      stop = nl;
    }
    if (stop - pos_ > options_.max_record_bytes) {
      return Status::InvalidArgument("line " + std::to_string(next_line_) +
                                     ": record longer than " +
                                     std::to_string(options_.max_record_bytes) + " bytes");
    }
    const size_t start = pos_;
    const int64_t start_line = next_line_;
    next_line_ += 1 + inner;
    pos_ = (stop == end_) ? end_ : stop + 1;
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
