// The query parsers: SPEC §1's trending query, the generic decoder and the admin API's
// FindQueryValue. Every error message must be valid UTF-8 (issue 12, defect 5).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/admin_keys.h"
#include "api/query.h"
#include "common/json_writer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  auto parsed = soundtrend::api::ParseTrendingQuery(query);
  if (!parsed.ok()) {
    if (!soundtrend::json::IsValidUtf8(parsed.status().message())) std::abort();
  } else {
    if (parsed->page < 1 || parsed->limit < 1 || parsed->limit > 20) std::abort();
    if (parsed->period != 7 && parsed->period != 30 && parsed->period != 120) std::abort();
    if (parsed->search_keyword && !soundtrend::json::IsValidUtf8(*parsed->search_keyword))
      std::abort();
  }
  auto decoded = soundtrend::api::DecodeQuery(query);
  if (!decoded.ok() && !soundtrend::json::IsValidUtf8(decoded.status().message())) std::abort();
  (void)soundtrend::api::FindQueryValue(query, "key_id");
  (void)soundtrend::api::FindQueryValue(query, "batch_id");
  std::string out;
  soundtrend::json::AppendString(out, query);
  if (!soundtrend::json::IsValidUtf8(out)) std::abort();
  return 0;
}
