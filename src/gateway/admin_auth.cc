#include "gateway/admin_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>

#include "gateway/api_key.h"

namespace soundtrend::gateway {
namespace {

std::string RawSha256(std::string_view s) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), digest, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

bool IsCustomerKey(std::string_view token) {
  return token.substr(0, kApiKeyPrefix.size()) == kApiKeyPrefix;
}

}  // namespace

AdminAuth::AdminAuth(std::string_view token)
    : enabled_(!token.empty() && !IsCustomerKey(token)), token_digest_(RawSha256(token)) {}

AdminAuth AdminAuth::FromEnvironment() {
  const char* value = std::getenv(std::string(kAdminTokenEnv).c_str());
  return AdminAuth(value ? std::string_view(value) : std::string_view());
}

bool AdminAuth::IsAuthorized(std::string_view authorization_header) const {
  if (!enabled_) return false;
  std::optional<std::string_view> token = ParseBearerToken(authorization_header);
  if (!token || IsCustomerKey(*token)) return false;
  const std::string digest = RawSha256(*token);
  return digest.size() == token_digest_.size() &&
         CRYPTO_memcmp(digest.data(), token_digest_.data(), digest.size()) == 0;
}

}  // namespace soundtrend::gateway
