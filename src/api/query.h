// Query-string parsing for the trending-music endpoint (docs/api.md §1). Pure functions: no I/O,
// no state, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/chart_kind.h"
#include "common/day.h"
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
  ChartKind rank_type = ChartKind::kPopular;  // docs/api.md §8
  // docs/api.md §9: the edition asked for; nullopt = the latest. `as_of_malformed`: given but not
  // a YYYY-MM-DD date (answered with the range message, like a day out of range).
  std::optional<Day> as_of;
  bool as_of_malformed = false;
};

// GET /v1/tiktok/trending/music/detail (docs/api.md §7).
struct DetailQuery {
  uint64_t clip_id = 0;  // required
  int period = 7;
  RegionId region = 0;  // US by default
  std::optional<Day> as_of;
  bool as_of_malformed = false;
};

// docs/api.md §1 with every default. Errors are InvalidArgument with the exact client-facing
// message "Invalid parameter: <name> <rule>". Unknown parameters are ignored; a known
// parameter given twice, or whose decoded value is not UTF-8, is an error.
Result<TrendingQuery> ParseTrendingQuery(std::string_view raw_query);

// docs/api.md §7: clip_id (required, digits), region, period, as_of; the same rules as above.
Result<DetailQuery> ParseDetailQuery(std::string_view raw_query);

// The day to answer for: `as_of` when it is a day in [first_day, last_day], the latest
// (last_day) when not given. Otherwise InvalidArgument "Invalid parameter: as_of must be a
// day from FIRST to LAST" (docs/api.md §9; "... there is no chart data yet" without data).
Result<Day> ResolveAsOf(std::optional<Day> as_of, bool malformed, std::optional<Day> first_day,
                        Day last_day);

}  // namespace soundtrend::api
