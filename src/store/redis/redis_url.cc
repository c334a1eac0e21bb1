#include "store/redis/redis_url.h"

#include <charconv>

namespace soundtrend::store::redis {

Result<RedisAddress> ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  const auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("--redis " + std::string(url) + ": " + std::string(why) +
                                   " (expected redis://HOST:PORT)");
  };
  if (url.substr(0, kScheme.size()) != kScheme) return bad("not a redis:// URL");
  std::string_view rest = url.substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("@/?#") != std::string_view::npos) {
    return bad("only a host and a port are supported");
  }
  RedisAddress address;
  std::string_view host = rest;
  const size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && rest.find(']') == std::string_view::npos) {
    host = rest.substr(0, colon);
    const std::string_view port = rest.substr(colon + 1);
    int value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      return bad("bad port");
    }
    address.port = value;
  }
  if (host.empty()) return bad("no host");
  address.host = std::string(host);
  return address;
}

}  // namespace soundtrend::store::redis
