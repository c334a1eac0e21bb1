// Admin authentication for the /admin/v1/* endpoints (keys, credits, ledger, ingest).
//
// The admin token comes from configuration or the environment (SOUNDTREND_ADMIN_TOKEN).
// A request is authorized when its "Authorization: Bearer <token>" equals the admin token,
// compared in constant time (SHA-256 of both, then CRYPTO_memcmp, so neither the content
// nor the length leaks through timing). A customer key ("sk_live_...") is never accepted,
// even if someone configured one as the admin token. With no token configured, every
// admin request is refused.
//
// Thread-safety: immutable after construction; IsAuthorized may be called concurrently.
#pragma once

#include <string>
#include <string_view>

namespace soundtrend::gateway {

inline constexpr std::string_view kAdminTokenEnv = "SOUNDTREND_ADMIN_TOKEN";

class AdminAuth {
 public:
  // `token` empty: admin access disabled.
  explicit AdminAuth(std::string_view token);
  // Reads SOUNDTREND_ADMIN_TOKEN (unset or empty: admin access disabled).
  static AdminAuth FromEnvironment();

  bool enabled() const { return enabled_; }
  // True when `authorization_header` (the raw header value) carries the admin token.
  bool IsAuthorized(std::string_view authorization_header) const;

 private:
  bool enabled_ = false;
  std::string token_digest_;  // raw SHA-256 of the token
};

}  // namespace soundtrend::gateway
