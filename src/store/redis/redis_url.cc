#include "store/redis/redis_url.h"

#include <charconv>
#include <optional>

namespace soundtrend::store::redis {
namespace {

constexpr std::string_view kScheme = "redis://";
constexpr std::string_view kForms = "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]";

// The user part (before the last '@') of a URL after its scheme; npos: none. The host,
// port and path never hold an '@': a password with a raw '@' or '/' still splits right.
size_t UserPartEnd(std::string_view rest) { return rest.rfind('@'); }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding (RFC 3986); nullopt for a malformed escape.
std::optional<std::string> Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = HexDigit(text[i + 1]), lo = HexDigit(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool ParseInt(std::string_view text, int min, int max, int* value) {
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    return false;
  }
  *value = v;
  return true;
}

}  // namespace

std::string RedactRedisUrl(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const std::string_view rest = url.substr(scheme + 3);
  const size_t at = UserPartEnd(rest);
  if (at == std::string_view::npos) return std::string(url);
  const size_t colon = rest.substr(0, at).find(':');
  if (colon == std::string_view::npos) return std::string(url);  // a user, no password
  return std::string(url.substr(0, scheme + 3)) + std::string(rest.substr(0, colon)) + ":***" +
         std::string(rest.substr(at));
}

Result<RedisAddress> ParseRedisUrl(std::string_view url) {
  const auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("--redis " + RedactRedisUrl(url) + ": " + std::string(why) +
                                   " (expected " + std::string(kForms) + ")");
  };
  if (url.starts_with("rediss://")) {
    return bad(
        "TLS (rediss://) is not supported; use redis:// on a private network or through a TLS "
        "tunnel on this machine");
  }
  if (!url.starts_with(kScheme)) return bad("not a redis:// URL");
  std::string_view rest = url.substr(kScheme.size());
  RedisAddress address;

  const size_t at = UserPartEnd(rest);
  if (at != std::string_view::npos) {
    const std::string_view user_part = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    const size_t colon = user_part.find(':');
    if (colon == std::string_view::npos) {
      return bad(
          "a user without a password (write redis://:PASSWORD@HOST or "
          "redis://USER:PASSWORD@HOST)");
    }
    std::optional<std::string> user = Decode(user_part.substr(0, colon));
    std::optional<std::string> password = Decode(user_part.substr(colon + 1));
    if (!user) return bad("a malformed %-escape in the user");
    if (!password) return bad("a malformed %-escape in the password");
    if (password->empty()) return bad("an empty password");
    address.user = std::move(*user);
    address.password = std::move(*password);
  }

  if (rest.find_first_of("?#") != std::string_view::npos) {
    return bad("query parameters are not supported (the database number goes in the path)");
  }
  std::string_view host_port = rest;
  const size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    host_port = rest.substr(0, slash);
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && !ParseInt(db, 0, 1'000'000, &address.db)) {
      return bad("bad database number");
    }
  }

  std::string_view host = host_port;
  std::string_view port;
  bool has_port = false;
  if (host_port.starts_with('[')) {  // [IPv6]:PORT
    const size_t close = host_port.find(']');
    if (close == std::string_view::npos) return bad("an IPv6 address without its ']'");
    host = host_port.substr(1, close - 1);
    const std::string_view after = host_port.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("bad port");
      port = after.substr(1);
      has_port = true;
    }
  } else {
    const size_t colon = host_port.find(':');
    if (colon != std::string_view::npos) {
      if (host_port.find(':', colon + 1) != std::string_view::npos) {
        return bad("an IPv6 address goes in brackets ([::1]:6379)");
      }
      host = host_port.substr(0, colon);
      port = host_port.substr(colon + 1);
      has_port = true;
    }
  }
  if (has_port && !ParseInt(port, 1, 65535, &address.port)) return bad("bad port");
  if (host.empty()) return bad("no host");
  address.host = std::string(host);
  return address;
}

}  // namespace soundtrend::store::redis
