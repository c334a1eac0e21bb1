// LEB128 varints and zigzag signed integers, the compact integer encoding of the stores'
// packed BLOBs (chart segments, charge blocks). Written by hand: a dozen lines, where a
// library (protobuf) would bring a schema compiler for no gain.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace soundtrend::store {

// Appends `v` as a LEB128 varint (1 to 10 bytes).
inline void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>(v | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

// Signed to unsigned so that small magnitudes of either sign encode short.
inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// Reads varints and byte runs from a buffer it does not own. Every read returns false
// (and leaves its output alone) when the buffer ends first or the varint is malformed.
class VarintDecoder {
 public:
  explicit VarintDecoder(std::string_view data)
      : p_(data.data()), end_(data.data() + data.size()) {}
  bool done() const { return p_ == end_; }
  bool Varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64 && p_ != end_; shift += 7) {
      const uint8_t b = static_cast<uint8_t>(*p_++);
      r |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *v = r;
        return true;
      }
    }
    return false;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    *out = std::string_view(p_, n);
    p_ += n;
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

}  // namespace soundtrend::store
