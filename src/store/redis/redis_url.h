// Where serve's Redis is (serve --redis URL, env SOUNDTREND_REDIS; README "Run as a
// cluster"): the URL parsed into an address the rate store connects to
// (redis_rate_store.h), which sends AUTH and SELECT on every connect when it has them.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace soundtrend::store::redis {

struct RedisAddress {
  RedisAddress() = default;
  RedisAddress(std::string h, int p) : host(std::move(h)), port(p) {}  // no AUTH, database 0

  std::string host;  // a numeric address (IPv6 without brackets) or a name resolved at connect
  int port = 6379;
  // AUTH on connect when `password` is set: `AUTH user password` (an ACL user) or, with no
  // user, `AUTH password` (the default user, requirepass). Never logged.
  std::string user;
  std::string password;
  int db = 0;  // SELECT db on connect when not 0
};

// redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] -> address. HOST: a name, an IPv4 address or
// an IPv6 one in brackets; PORT 6379 and DB 0 when left out; USER and PASSWORD may be
// percent-encoded (%40 for '@'). Anything else (rediss:// - TLS is not supported -, a user
// without a password, query parameters) is refused with a message that shows the URL with
// its password masked.
Result<RedisAddress> ParseRedisUrl(std::string_view url);

// `url` with the password of its user part (if any) replaced by "***", for messages.
std::string RedactRedisUrl(std::string_view url);

}  // namespace soundtrend::store::redis
