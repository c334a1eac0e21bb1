#include "gateway/api_key.h"

#include <openssl/evp.h>

#include <cstdint>

namespace soundtrend::gateway {
namespace {

bool IsBase62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string GenerateApiKey(RandomSource& random) {
  std::string key(kApiKeyPrefix);
  key += random.Base62(kApiKeyRandomChars);
  return key;
}

std::string GenerateKeyId(RandomSource& random) {
  std::string id(kKeyIdPrefix);
  id += random.Base62(kKeyIdRandomChars);
  return id;
}

std::string HashApiKey(std::string_view key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0x0f]);
  }
  return out;
}

bool IsValidKeyId(std::string_view key_id) {
  if (key_id.size() != kKeyIdPrefix.size() + kKeyIdRandomChars) return false;
  if (key_id.substr(0, kKeyIdPrefix.size()) != kKeyIdPrefix) return false;
  for (char c : key_id.substr(kKeyIdPrefix.size())) {
    if (!IsBase62(c)) return false;
  }
  return true;
}

std::optional<std::string_view> ParseBearerToken(std::string_view authorization) {
  std::string_view s = Trim(authorization);
  constexpr std::string_view kScheme = "bearer";
  if (s.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return std::nullopt;
  }
  if (s[kScheme.size()] != ' ' && s[kScheme.size()] != '\t') return std::nullopt;
  std::string_view token = Trim(s.substr(kScheme.size()));
  if (token.empty()) return std::nullopt;
  for (char c : token) {
    if (c == ' ' || c == '\t') return std::nullopt;
  }
  return token;
}

}  // namespace soundtrend::gateway
