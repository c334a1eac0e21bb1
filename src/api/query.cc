#include "api/query.h"

#include <array>
#include <charconv>

#include "common/json_writer.h"

namespace soundtrend::api {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes one component; false on a malformed escape.
bool DecodeComponent(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

Status Invalid(std::string_view name, std::string_view rule) {
  std::string msg = "Invalid parameter: ";
  msg += name;
  msg += ' ';
  msg += rule;
  return Status::InvalidArgument(std::move(msg));
}

enum class IntParse { kOk, kNotInteger, kTooLarge };

// Digits only (no sign, no spaces); kTooLarge when it does not fit in int64.
IntParse ParseDigits(std::string_view s, int64_t& out) {
  if (s.empty()) return IntParse::kNotInteger;
  for (char c : s)
    if (c < '0' || c > '9') return IntParse::kNotInteger;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec == std::errc::result_out_of_range) return IntParse::kTooLarge;
  if (ec != std::errc() || ptr != s.data() + s.size()) return IntParse::kNotInteger;
  return IntParse::kOk;
}

Result<bool> ParseBool(std::string_view name, std::string_view v) {
  if (EqualsIgnoreCase(v, "true")) return true;
  if (EqualsIgnoreCase(v, "false")) return false;
  return Invalid(name, "must be true or false");
}

enum Known {
  kSearch,
  kPage,
  kLimit,
  kPeriod,
  kRegion,
  kNew,
  kCommercial,
  kRankType,
  kAsOf,
  kClipId,
  kKnownCount
};
constexpr std::array<std::string_view, kKnownCount> kNames = {
    "search_keyword",   "page",      "limit", "period", "region", "new_to_top_100",
    "commercial_music", "rank_type", "as_of", "clip_id"};

// The known parameters of `raw_query` (pointers into `decoded`), each given at most once.
Status Collect(std::string_view raw_query, std::vector<QueryParam>& decoded,
               std::array<const std::string*, kKnownCount>& given,
               std::initializer_list<Known> known) {
  auto parsed = DecodeQuery(raw_query);
  if (!parsed.ok()) return parsed.status();
  decoded = std::move(*parsed);
  for (const QueryParam& p : decoded) {
    for (Known k : known) {
      if (p.name != kNames[k]) continue;
      if (given[k] != nullptr) return Invalid(kNames[k], "must not be given more than once");
      if (!json::IsValidUtf8(p.value)) return Invalid(kNames[k], "must be valid UTF-8");
      given[k] = &p.value;
    }
  }
  return Status::Ok();
}

Result<int> ParsePeriod(const std::string& v) {
  int64_t period = 0;
  if (ParseDigits(v, period) != IntParse::kOk || period > 120 ||
      !PeriodIndex(static_cast<int>(period))) {
    return Invalid("period", "must be one of 7, 30, 120");
  }
  return static_cast<int>(period);
}

Result<RegionId> ParseRegion(const std::string& v) {
  auto region = FindRegion(v);
  if (!region) return Invalid("region", "must be a region code of GET /v1/tiktok/regions");
  return *region;
}

// as_of: a YYYY-MM-DD date, else malformed (the range check comes with the data).
void ParseAsOf(const std::string* v, std::optional<Day>& as_of, bool& malformed) {
  if (v == nullptr) return;
  as_of = ParseDay(*v);
  malformed = !as_of.has_value();
}

}  // namespace

Result<Day> ResolveAsOf(std::optional<Day> as_of, bool malformed, std::optional<Day> first_day,
                        Day last_day) {
  if (!as_of && !malformed) return last_day;
  if (!first_day) {
    return Status::InvalidArgument(
        "Invalid parameter: as_of must be a closed day with data; "
        "there is no chart data yet");
  }
  if (malformed || *as_of < *first_day || *as_of > last_day) {
    return Status::InvalidArgument("Invalid parameter: as_of must be a day from " +
                                   FormatDay(*first_day) + " to " + FormatDay(last_day));
  }
  return *as_of;
}

Result<std::vector<QueryParam>> DecodeQuery(std::string_view raw) {
  std::vector<QueryParam> params;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t end = raw.find('&', start);
    if (end == std::string_view::npos) end = raw.size();
    const std::string_view part = raw.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    QueryParam p;
    if (!DecodeComponent(part.substr(0, eq), p.name)) {
      return Status::InvalidArgument(
          "Invalid parameter: query string has a malformed "
          "percent-encoding");
    }
    if (eq != std::string_view::npos && !DecodeComponent(part.substr(eq + 1), p.value)) {
      // The name is echoed only when it is text (every message is valid UTF-8).
      if (!json::IsValidUtf8(p.name)) {
        return Status::InvalidArgument(
            "Invalid parameter: query string has a malformed percent-encoding");
      }
      return Invalid(p.name, "has a malformed percent-encoding");
    }
    params.push_back(std::move(p));
  }
  return params;
}

Result<TrendingQuery> ParseTrendingQuery(std::string_view raw_query) {
  std::vector<QueryParam> decoded;
  std::array<const std::string*, kKnownCount> given{};
  ST_RETURN_IF_ERROR(
      Collect(raw_query, decoded, given,
              {kSearch, kPage, kLimit, kPeriod, kRegion, kNew, kCommercial, kRankType, kAsOf}));

  TrendingQuery q;
  q.region = *FindRegion("US");

  if (const std::string* v = given[kSearch]) {
    if (!v->empty() && !EqualsIgnoreCase(*v, "FALSE")) q.search_keyword = *v;
  }
  if (const std::string* v = given[kPage]) {
    int64_t page = 0;
    if (ParseDigits(*v, page) != IntParse::kOk || page < 1) {
      return Invalid("page", "must be an integer >= 1");
    }
    q.page = page;
  }
  if (const std::string* v = given[kLimit]) {
    int64_t limit = 0;
    const IntParse r = ParseDigits(*v, limit);
    if (r == IntParse::kNotInteger || (r == IntParse::kOk && limit < 1)) {
      return Invalid("limit", "must be an integer >= 1");
    }
    q.limit =
        (r == IntParse::kTooLarge || limit > kMaxPageSize) ? kMaxPageSize : static_cast<int>(limit);
  }
  if (const std::string* v = given[kPeriod]) {
    auto period = ParsePeriod(*v);
    if (!period.ok()) return period.status();
    q.period = *period;
  }
  if (const std::string* v = given[kRegion]) {
    auto region = ParseRegion(*v);
    if (!region.ok()) return region.status();
    q.region = *region;
  }
  if (const std::string* v = given[kNew]) {
    auto b = ParseBool("new_to_top_100", *v);
    if (!b.ok()) return b.status();
    q.new_to_top_100 = *b;
  }
  if (const std::string* v = given[kCommercial]) {
    auto b = ParseBool("commercial_music", *v);
    if (!b.ok()) return b.status();
    q.commercial_music = *b;
  }
  if (const std::string* v = given[kRankType]) {
    if (EqualsIgnoreCase(*v, "popular")) {
      q.rank_type = ChartKind::kPopular;
    } else if (EqualsIgnoreCase(*v, "surging")) {
      q.rank_type = ChartKind::kSurging;
    } else {
      return Invalid("rank_type", "must be popular or surging");
    }
  }
  ParseAsOf(given[kAsOf], q.as_of, q.as_of_malformed);
  return q;
}

Result<DetailQuery> ParseDetailQuery(std::string_view raw_query) {
  std::vector<QueryParam> decoded;
  std::array<const std::string*, kKnownCount> given{};
  ST_RETURN_IF_ERROR(Collect(raw_query, decoded, given, {kClipId, kPeriod, kRegion, kAsOf}));
  DetailQuery q;
  q.region = *FindRegion("US");
  const std::string* clip = given[kClipId];
  if (clip == nullptr || clip->empty()) return Invalid("clip_id", "is required");
  // Digits only, fitting in 64 bits (real ids have 19 digits), not 0.
  uint64_t clip_id = 0;
  bool digits = true;
  for (char c : *clip) digits = digits && c >= '0' && c <= '9';
  auto [ptr, ec] = std::from_chars(clip->data(), clip->data() + clip->size(), clip_id);
  if (!digits || ec != std::errc() || ptr != clip->data() + clip->size() || clip_id == 0) {
    return Invalid("clip_id", "must be a sound id (digits, > 0)");
  }
  q.clip_id = clip_id;
  if (const std::string* v = given[kPeriod]) {
    auto period = ParsePeriod(*v);
    if (!period.ok()) return period.status();
    q.period = *period;
  }
  if (const std::string* v = given[kRegion]) {
    auto region = ParseRegion(*v);
    if (!region.ok()) return region.status();
    q.region = *region;
  }
  ParseAsOf(given[kAsOf], q.as_of, q.as_of_malformed);
  return q;
}

}  // namespace soundtrend::api
