#include "api/sound_detail.h"

#include "api/query.h"
#include "api/render.h"
#include "common/geonames.h"
#include "common/json_writer.h"

namespace soundtrend::api {
namespace {

void AppendDayOrNull(std::string& out, const std::optional<Day>& day) {
  if (day) {
    json::AppendString(out, FormatDay(*day));
  } else {
    out += "null";
  }
}

void AppendIntOrNull(std::string& out, const std::optional<int32_t>& v) {
  if (v) {
    json::AppendInt(out, *v);
  } else {
    out += "null";
  }
}

}  // namespace

void AppendSoundDetailData(std::string& out, const engine::SoundDetail& d, RegionId region) {
  out += R"({"disliked":null,"like_count":null,"liked":null,"sound":)";
  // Every §3 field (as for a search hit, but the request did not search), then §7's own.
  AppendSoundJson(out, d.entry, RegionCode(region), /*is_search=*/false);
  out.pop_back();  // the item's '}'
  out += R"(,"audience_ages":null,"audience_countries":[)";
  for (size_t i = 0; i < d.audience.size(); ++i) {
    const engine::SoundDetail::Audience& a = d.audience[i];
    if (i > 0) out.push_back(',');
    out += R"({"country_info":{"id":")";
    json::AppendInt(out, GeoNamesId(a.region));
    out += R"(","label":)";
    json::AppendString(out, RegionCode(a.region));
    out += R"(,"value":)";
    json::AppendString(out, Regions()[a.region].name);
    out += R"(},"score":)";
    json::AppendInt(out, a.uses);
    out.push_back('}');
  }
  out += R"(],"audience_interests":null,"first_listed":)";
  AppendDayOrNull(out, d.first_listed);
  out += R"(,"longevity":{"current_popularity":)";
  json::AppendHundredths(out, d.current_popularity);
  out += R"(,"popular_days":)";
  json::AppendInt(out, d.popular_days);
  out += R"(},"music_url":)";
  if (d.entry.sound->music_url.empty()) {
    out += "null";
  } else {
    json::AppendString(out, d.entry.sound->music_url);
  }
  out += R"(,"peak_date":)";
  AppendDayOrNull(out, d.peak_date);
  out += R"(,"peak_rank":)";
  AppendIntOrNull(out, d.peak_rank);
  out += R"(,"rank_history":[)";
  for (size_t i = 0; i < d.rank_history.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += R"({"time":)";
    json::AppendInt(out, DayStartUnixSeconds(d.rank_history[i].day));
    out += R"(,"rank":)";
    AppendIntOrNull(out, d.rank_history[i].rank);
    out.push_back('}');
  }
  out += R"(],"streak":)";
  json::AppendInt(out, d.streak);
  out += R"(,"usage_by_day":[)";
  for (size_t i = 0; i < d.usage_by_day.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += R"({"time":)";
    json::AppendInt(out, DayStartUnixSeconds(d.usage_by_day[i].day));
    out += R"(,"uses":)";
    json::AppendInt(out, d.usage_by_day[i].uses);
    out.push_back('}');
  }
  out += "]}}";
}

std::shared_ptr<const std::string> ServingSnapshot::SoundDetailData(uint64_t clip_id,
                                                                    RegionId region, int period,
                                                                    Day day) const {
  if (!charts_) return nullptr;
  return details_.GetOrMake({clip_id, region, period, day}, [&]() -> std::shared_ptr<std::string> {
    const std::optional<engine::SoundDetail> detail = charts_->Detail(clip_id, region, period, day);
    if (!detail) return nullptr;
    auto data = std::make_shared<std::string>();
    data->reserve(4096);
    AppendSoundDetailData(*data, *detail, region);
    return data;
  });
}

DetailAnswer AnswerSoundDetail(const ServingSnapshot& snapshot, std::string_view raw_query,
                               std::string_view request_id, std::string& body) {
  auto query = ParseDetailQuery(raw_query);
  if (!query.ok()) return {400, std::string(query.status().message())};
  const engine::ChartSet* charts = snapshot.charts();
  if (charts == nullptr || !charts->first_day()) {
    if (query->as_of || query->as_of_malformed) {
      auto day = ResolveAsOf(query->as_of, query->as_of_malformed, std::nullopt, 0);
      return {400, std::string(day.status().message())};
    }
    return {404, std::string(kMsgSoundNotFound)};
  }
  auto day = ResolveAsOf(query->as_of, query->as_of_malformed, charts->first_day(), charts->day());
  if (!day.ok()) return {400, std::string(day.status().message())};
  const std::shared_ptr<const std::string> data =
      snapshot.SoundDetailData(query->clip_id, query->region, query->period, *day);
  if (!data) return {404, std::string(kMsgSoundNotFound)};
  body.reserve(body.size() + data->size() + 128);
  body += R"({"code":0,"message":"success","data":)";
  body += *data;
  body += R"(,"requestId":)";
  json::AppendString(body, request_id);
  body.push_back('}');
  return {};
}

}  // namespace soundtrend::api
