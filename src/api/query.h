// Query-string parsing for the trending-music endpoint (docs/api.md §1). Pure functions: no I/O,
// no state, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/regions.h"
#include "common/status.h"

namespace soundtrend::api {

// One decoded name=value pair, in query order.
struct QueryParam {
  std::string name;
  std::string value;
};

// Splits a raw query string (without '?') on '&', each part on its first '=', and decodes
// '+' as a space and %XX as a byte. Empty parts ("a=1&&b=2") are skipped. A malformed
// escape ("%G1", "%4") is an InvalidArgument naming the parameter. Values are not
// checked for UTF-8 here.
Result<std::vector<QueryParam>> DecodeQuery(std::string_view raw);

inline constexpr int kMaxPageSize = 20;

struct TrendingQuery {
  // The keyword when the request searches; nullopt for FALSE (any case) or empty.
  std::optional<std::string> search_keyword;
  int64_t page = 1;          // >= 1, as requested
  int limit = kMaxPageSize;  // 1..20, after clamping
  int period = 7;            // 7, 30 or 120
  RegionId region = 0;       // set to US by the parser's default
  bool new_to_top_100 = false;
  bool commercial_music = false;
};

// docs/api.md §1 with every default. Errors are InvalidArgument with the exact client-facing
// message "Invalid parameter: <name> <rule>". Unknown parameters are ignored; a known
// parameter given twice, or whose decoded value is not UTF-8, is an error.
Result<TrendingQuery> ParseTrendingQuery(std::string_view raw_query);

}  // namespace soundtrend::api
