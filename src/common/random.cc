#include "common/random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace soundtrend {

uint64_t RandomSource::NextU64() {
  uint64_t v;
  Fill({reinterpret_cast<uint8_t*>(&v), sizeof v});
  return v;
}

std::string RandomSource::Base62(size_t n) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  out.reserve(n);
  uint8_t buf[64];
  while (out.size() < n) {
    Fill(buf);
    for (uint8_t b : buf) {
      if (b >= 248) continue;  // 248 = 4 * 62: reject to keep the draw uniform
      out.push_back(kAlphabet[b % 62]);
      if (out.size() == n) break;
    }
  }
  return out;
}

std::string RandomSource::UuidV4() {
  uint8_t b[16];
  Fill(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  // 8-4-4-4-12 lowercase hex digits; by table, not snprintf (one per request).
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t pos = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++pos;  // the dashes
    out[pos++] = kHex[b[i] >> 4];
    out[pos++] = kHex[b[i] & 0x0f];
  }
  return out;
}

void SecureRandom::Fill(std::span<uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    std::fputs("fatal: RAND_bytes failed\n", stderr);
    std::abort();
  }
}

SecureRandom& SecureRandom::Instance() {
  static SecureRandom r;
  return r;
}

void SeededRandom::Fill(std::span<uint8_t> out) {
  size_t i = 0;
  while (i < out.size()) {
    uint64_t v = engine_();
    size_t n = std::min(sizeof v, out.size() - i);
    std::memcpy(out.data() + i, &v, n);
    i += n;
  }
}

}  // namespace soundtrend
