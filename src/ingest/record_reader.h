// RecordReader: splits a ByteSource into records, one per line (NDJSON), or one per CSV
// record (RFC 4180: a quoted field may contain line breaks), with the number of the line
// each record starts on.
//
// Contracts: "\n" and "\r\n" both end a line; empty lines are skipped (they still count
// for line numbers). Every record handed out is followed in memory by at least
// kRecordPadding readable bytes (simdjson's padding), and stays valid until the next call.
// A record longer than max_record_bytes is read to its end and dropped but for its first
// max_record_bytes bytes, and handed out as one record flagged too_long (an invalid record
// like any other: the caller refuses the input or skips it, and may show its start):
// memory stays bounded by about 3 x (block size + max_record_bytes).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ingest/byte_source.h"

namespace soundtrend::ingest {

inline constexpr size_t kRecordPadding = 64;  // >= SIMDJSON_PADDING

class RecordReader {
 public:
  struct Options {
    bool csv_quotes = false;  // true: newlines inside "quoted" fields do not end a record
    size_t block_bytes = 4 << 20;
    size_t max_record_bytes = 1 << 20;
  };
  RecordReader(ByteSource& source, Options options);

  // Sets `record` and `line` to the next non-empty record; returns false at the end. For a
  // record longer than max_record_bytes, `too_long` is true and `record` its first
  // max_record_bytes bytes (not padded: it is not to be parsed).
  Result<bool> Next(std::string_view* record, int64_t* line, bool* too_long);

 private:
  // Reads more bytes after the unread tail; returns false when the input is exhausted.
  Result<bool> Refill();
  // Position of the newline that ends the record starting at pos_ (npos when not in the
  // buffer yet). Resumes where the last call stopped (scanned_, in_quotes_) and counts
  // the newlines inside quoted fields into inner_newlines_.
  size_t FindRecordEnd();
  void CountQuotes(const char* from, const char* to);

  ByteSource& source_;
  Options options_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  int64_t next_line_ = 1;
  // Scan state of the record that starts at pos_.
  size_t scanned_ = 0;  // bytes after pos_ already searched
  bool in_quotes_ = false;
  int64_t inner_newlines_ = 0;
  std::string too_long_start_;  // the first max_record_bytes of a record too long
};

}  // namespace soundtrend::ingest
