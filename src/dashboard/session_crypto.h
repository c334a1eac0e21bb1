// What a dashboard session's browser token is, and what is derived from it.
//
// The token is 32 bytes from the injected RandomSource, sent to the browser base64url
// encoded (43 characters) in an HttpOnly cookie, and never stored or logged by the server.
// From it, and only from it:
//   - the session's id in the store: hex SHA-256 of "soundtrend-session-id\0" + token;
//   - the sealing key: SHA-256 of "soundtrend-session-key\0" + token; the secret the user
//     signed in with (API key or admin token) is stored sealed with AES-256-GCM under it
//     (12-byte random nonce, 16-byte tag, the id as associated data), so the server can
//     use the secret only while the browser presents the token;
//   - the CSRF token: base64url SHA-256 of "soundtrend-session-csrf\0" + token. The page
//     gets it from GET /dashboard/api/session (a same-origin read) and sends it back in
//     X-CSRF-Token on every state-changing call; a cross-site page can neither read it nor
//     compute it.
#pragma once

#include <string>
#include <string_view>

#include "common/random.h"
#include "common/status.h"

namespace soundtrend::dashboard {

inline constexpr size_t kTokenBytes = 32;

// A new token, base64url without padding.
std::string NewSessionToken(RandomSource& random);
// True when `token` has the shape NewSessionToken gives (43 base64url characters).
bool IsWellFormedToken(std::string_view token);

std::string SessionIdHash(std::string_view token);
std::string CsrfTokenFor(std::string_view token);

// AES-256-GCM under the token's key; the result holds nonce, ciphertext and tag.
std::string SealSecret(std::string_view token, std::string_view secret, RandomSource& random);
// The secret, or Unauthenticated when `sealed` was not sealed under this token (or was
// altered).
Result<std::string> OpenSecret(std::string_view token, std::string_view sealed);

// Constant-time equality (the lengths may leak).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

std::string Base64Url(std::string_view bytes);

}  // namespace soundtrend::dashboard
