#include "common/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace soundtrend::gzip {

DeflatePiece Deflate(std::string_view text, int level) {
  DeflatePiece piece;
  piece.size = static_cast<uint32_t>(text.size());
  piece.crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())));
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  piece.deflated.resize(deflateBound(&z, static_cast<uLong>(text.size())) + 16);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(piece.deflated.data());
  z.avail_out = static_cast<uInt>(piece.deflated.size());
  const int rc = deflate(&z, Z_FULL_FLUSH);
  const size_t produced = piece.deflated.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_OK || z.avail_in != 0) throw std::runtime_error("deflate failed");
  piece.deflated.resize(produced);
  return piece;
}

GzipBuilder::GzipBuilder(std::string& out) : out_(out) {
  static constexpr char kHeader[10] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 0, '\xff'};
  out_.append(kHeader, sizeof kHeader);
}

void GzipBuilder::AddPiece(const DeflatePiece& piece) {
  out_ += piece.deflated;
  crc_ = static_cast<uint32_t>(crc32_combine(crc_, piece.crc, piece.size));
  size_ += piece.size;
}

void GzipBuilder::AddStored(std::string_view text) {
  crc_ = static_cast<uint32_t>(
      crc32(crc_, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())));
  size_ += static_cast<uint32_t>(text.size());
  while (!text.empty()) {
    const size_t n = std::min<size_t>(text.size(), 65535);
    // A stored block (BFINAL 0, BTYPE 00) starts on a byte boundary: every piece before it
    // ends byte-aligned (full flush, or a stored block).
    out_.push_back('\0');
    out_.push_back(static_cast<char>(n & 0xff));
    out_.push_back(static_cast<char>(n >> 8));
    out_.push_back(static_cast<char>(~n & 0xff));
    out_.push_back(static_cast<char>((~n >> 8) & 0xff));
    out_.append(text.substr(0, n));
    text.remove_prefix(n);
  }
}

void GzipBuilder::Finish() {
  // The final block: an empty fixed-Huffman block (BFINAL 1, BTYPE 01, end-of-block code).
  out_.push_back('\x03');
  out_.push_back('\0');
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((crc_ >> (8 * i)) & 0xff));
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((size_ >> (8 * i)) & 0xff));
}

std::string Compress(std::string_view text, int level) {
  std::string out;
  GzipBuilder builder(out);
  builder.AddPiece(Deflate(text, level));
  builder.Finish();
  return out;
}

bool AcceptsGzip(std::string_view header) {
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    const size_t semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    auto trim = [](std::string_view s) {
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
      while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
      return s;
    };
    coding = trim(coding);
    std::string lower(coding);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != "gzip" && lower != "x-gzip" && lower != "*") continue;
    if (semi == std::string_view::npos) return true;
    std::string_view params = trim(item.substr(semi + 1));
    if (params.size() >= 2 && (params[0] == 'q' || params[0] == 'Q') && params[1] == '=') {
      std::string_view q = trim(params.substr(2));
      // q=0, q=0.0, q=0.000: refused; anything else accepted.
      bool zero = !q.empty() && q[0] == '0';
      for (size_t i = 1; zero && i < q.size(); ++i) zero = q[i] == '.' || q[i] == '0';
      if (zero) continue;
    }
    return true;
  }
  return false;
}

}  // namespace soundtrend::gzip
