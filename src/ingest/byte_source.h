// ByteSource: the bytes of one ingest input (a file or a buffer in memory), decompressed
// when they are gzip, with the SHA-256 of the content (the decompressed bytes, so that the
// same records hash alike in any encoding) computed on the way.
//
// Contracts: gzip is detected by its magic bytes (1f 8b), not by the file name;
// concatenated gzip members are read in sequence; a truncated or corrupt gzip stream is
// an error, never silently short data. Memory use is bounded (fixed-size buffers).
// Not thread-safe; one reader per source.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace soundtrend::ingest {

class ByteSource {
 public:
  // Opens a file for reading. Errors name the path.
  static Result<std::unique_ptr<ByteSource>> OpenFile(const std::string& path);
  // Reads from `data`, which must outlive the source.
  static std::unique_ptr<ByteSource> FromMemory(std::string_view data);
  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  // Reads up to `capacity` decoded bytes into `out`; returns 0 at the end of the input.
  Result<size_t> Read(char* out, size_t capacity);

  // Raw bytes consumed so far, and the raw size when known (files, buffers).
  int64_t raw_bytes_read() const { return raw_read_; }
  std::optional<int64_t> raw_size() const { return raw_size_; }
  bool gzip() const { return gzip_; }
  // Lower-case hex SHA-256 of the content: every byte Read returned (the decompressed
  // bytes of a gzip input). Only meaningful once Read has returned 0.
  std::string Sha256Hex() const;
  // Lower-case hex SHA-256 of the raw (as stored) bytes: the gzip file itself (batch ids
  // before issue 12 hashed these). Equals Sha256Hex() for a plain input.
  std::string RawSha256Hex() const;

 private:
  ByteSource();
  Status Start();
  // Fills raw_buf_ with the next raw bytes (hashing them); sets raw_eof_ at the end.
  Status FillRaw();

  std::string name_;
  FILE* file_ = nullptr;
  std::string_view memory_;
  bool from_memory_ = false;
  std::optional<int64_t> raw_size_;
  int64_t raw_read_ = 0;
  bool raw_eof_ = false;
  std::vector<char> raw_buf_;
  size_t raw_pos_ = 0, raw_end_ = 0;
  bool gzip_ = false;
  bool inflating_ = false;    // a gzip member is open in zs_
  bool member_done_ = false;  // the last member ended cleanly
  z_stream zs_{};
  struct Sha;
  static std::string DigestHex(const Sha& sha);
  std::unique_ptr<Sha> sha_;          // raw bytes
  std::unique_ptr<Sha> content_sha_;  // decompressed bytes (gzip inputs only)
};

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace soundtrend::ingest
