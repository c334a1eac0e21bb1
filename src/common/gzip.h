// gzip bodies assembled from pieces compressed ahead of time (zlib).
//
// A DeflatePiece is raw deflate data for one piece of text, ended with a full flush: it is
// byte-aligned and refers to nothing before it, so pieces can be joined in any order. A
// GzipBuilder writes one gzip member (RFC 1952) from such pieces and from short bytes known
// only per request (written as stored blocks), and computes the member's CRC-32 from the
// pieces' with crc32_combine: a response made of precompressed fragments (chart items,
// rendered once per edition) plus a few per-request bytes (pagination, requestId) is gzip
// without compressing anything per request. The result decompresses to exactly the
// concatenation of the pieces' texts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace soundtrend::gzip {

struct DeflatePiece {
  std::string deflated;  // raw deflate blocks, full-flushed, not final
  uint32_t crc = 0;      // CRC-32 of the text
  uint32_t size = 0;     // bytes of the text
};

// Compresses `text` (level 1..9) into an independent piece.
DeflatePiece Deflate(std::string_view text, int level = 6);

class GzipBuilder {
 public:
  // Starts a member in `out` (appending to it).
  explicit GzipBuilder(std::string& out);
  void AddPiece(const DeflatePiece& piece);
  // Bytes sent as they are (stored blocks; 5 bytes of overhead per 64 KiB).
  void AddStored(std::string_view text);
  // Writes the final (empty) block and the trailer. Call once.
  void Finish();

 private:
  std::string& out_;
  uint32_t crc_ = 0;
  uint32_t size_ = 0;
};

// Compresses a whole text into one gzip member (for bodies made once, e.g. documents).
std::string Compress(std::string_view text, int level = 6);

// Whether an Accept-Encoding header value accepts gzip (RFC 9110 12.5.3: "gzip" or
// "x-gzip" or "*" with a q-value above 0).
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace soundtrend::gzip
