// Where serve's Redis is (serve --redis URL, env SOUNDTREND_REDIS; README "Run as a
// cluster"): the URL parsed into an address the rate store connects to
// (redis_rate_store.h).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace soundtrend::store::redis {

struct RedisAddress {
  std::string host;  // a numeric address or a name resolved at connect
  int port = 6379;
};

// redis://HOST[:PORT][/] -> address. Anything else (a password, a database number, a
// scheme other than redis://) is refused with a message.
Result<RedisAddress> ParseRedisUrl(std::string_view url);

}  // namespace soundtrend::store::redis
