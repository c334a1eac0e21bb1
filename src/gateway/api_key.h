// API key text, hashing and the Authorization header (docs/api.md §6).
//
// A key is "sk_live_" + 40 base62 characters (238 bits of entropy), shown once at creation.
// Only HashApiKey(key) is ever stored or compared; the key itself is never logged.
// All functions are pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/random.h"

namespace soundtrend::gateway {

inline constexpr std::string_view kApiKeyPrefix = "sk_live_";
inline constexpr size_t kApiKeyRandomChars = 40;
inline constexpr std::string_view kKeyIdPrefix = "key_";
inline constexpr size_t kKeyIdRandomChars = 12;

// A new secret key: kApiKeyPrefix + 40 base62 characters from `random`.
std::string GenerateApiKey(RandomSource& random);
// A new public key id: "key_" + 12 base62 characters.
std::string GenerateKeyId(RandomSource& random);
// Lowercase hex SHA-256 of `key` (64 characters).
std::string HashApiKey(std::string_view key);
// True for text shaped like a key id ("key_" + 12 base62).
bool IsValidKeyId(std::string_view key_id);

// The token of an "Authorization: Bearer <token>" header value (scheme case-insensitive,
// surrounding spaces ignored). nullopt when the header is empty, has another scheme, or
// the token is empty or contains spaces.
std::optional<std::string_view> ParseBearerToken(std::string_view authorization);

}  // namespace soundtrend::gateway
