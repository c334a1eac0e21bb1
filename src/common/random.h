// Injected randomness. Production uses the OS CSPRNG through OpenSSL; tests use a seeded
// deterministic source.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>

namespace soundtrend {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` with random bytes. Thread-safe.
  virtual void Fill(std::span<uint8_t> out) = 0;

  uint64_t NextU64();
  // `n` characters from [0-9A-Za-z], uniform (rejection sampling, no modulo bias).
  std::string Base62(size_t n);
  // A random (version 4) UUID in canonical lowercase form.
  std::string UuidV4();
};

// OpenSSL RAND_bytes: cryptographically secure. Aborts if the CSPRNG fails (it cannot
// fail on a seeded Linux system).
class SecureRandom final : public RandomSource {
 public:
  void Fill(std::span<uint8_t> out) override;
  static SecureRandom& Instance();
};

// Deterministic, for tests and the demo generator. Not thread-safe.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}
  void Fill(std::span<uint8_t> out) override;

 private:
  std::mt19937_64 engine_;
};

}  // namespace soundtrend
