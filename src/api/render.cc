#include "api/render.h"

#include "common/json_writer.h"

namespace soundtrend::api {

namespace {

bool IsSlugChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

void AppendIdString(std::string& out, uint64_t id) {
  out.push_back('"');
  out += std::to_string(id);
  out.push_back('"');
}

}  // namespace

std::string UrlSlug(std::string_view title) {
  std::string out;
  out.reserve(title.size());
  bool pending_dash = false;
  for (char ch : title) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (IsSlugChar(c)) {
      if (pending_dash && !out.empty()) out.push_back('-');
      pending_dash = false;
      out.push_back(ch);
    } else {
      pending_dash = true;
    }
  }
  if (out.empty()) out = "sound";
  return out;
}

std::string SoundLink(uint64_t clip_id) {
  return "https://www.tiktok.com/music/x-" + std::to_string(clip_id);
}

void AppendSoundJson(std::string& out, const engine::ChartEntry& e, std::string_view country_code,
                     bool is_search) {
  const SoundRecord& s = *e.sound;
  out += "{\"author\":";
  json::AppendString(out, s.author);
  out += ",\"clip_id\":";
  AppendIdString(out, s.clip_id);
  out += ",\"country_code\":";
  json::AppendString(out, country_code);
  out += ",\"cover\":";
  json::AppendString(out, s.cover);
  out += ",\"duration\":";
  json::AppendInt(out, s.duration);
  if (e.growth_hundredths) {  // surging charts (docs/api.md §8): two decimals at most
    out += ",\"growth\":";
    json::AppendInt(out, *e.growth_hundredths / 100);
    const int64_t frac = *e.growth_hundredths % 100;
    if (frac != 0) {
      out.push_back('.');
      out.push_back(static_cast<char>('0' + frac / 10));
      if (frac % 10 != 0) out.push_back(static_cast<char>('0' + frac % 10));
    }
  }
  out += ",\"if_cml\":";
  json::AppendBool(out, s.commercial);
  out += ",\"is_search\":";
  json::AppendBool(out, is_search);
  out += ",\"link\":";
  json::AppendString(out, SoundLink(s.clip_id));
  out += ",\"on_list_times\":";
  if (e.on_list_times) {
    json::AppendInt(out, *e.on_list_times);
  } else {
    out += "null";
  }
  out += ",\"promoted\":";
  json::AppendBool(out, s.promoted);
  out += ",\"rank\":";
  if (e.rank > 0) {
    json::AppendInt(out, e.rank);
  } else {
    out += "null";  // a sound detail's sound with no use in the window (docs/api.md §7)
  }
  out += ",\"rank_diff\":";
  if (e.rank_diff) {
    json::AppendInt(out, *e.rank_diff);
  } else {
    out += "null";
  }
  out += ",\"rank_diff_type\":";
  json::AppendInt(out, e.rank_diff_type);
  out += ",\"related_items\":";
  if (e.related.empty()) {
    out += "null";
  } else {
    out.push_back('[');
    for (size_t i = 0; i < e.related.size(); ++i) {
      if (i > 0) out.push_back(',');
      out += "{\"item_id\":";
      AppendIdString(out, e.related[i].item_id);
      out += ",\"cover_uri\":";
      json::AppendString(out, e.related[i].cover_uri);
      out.push_back('}');
    }
    out.push_back(']');
  }
  out += ",\"song_id\":";
  AppendIdString(out, s.song_id);
  out += ",\"title\":";
  json::AppendString(out, s.title);
  out += ",\"trend\":[";
  for (size_t i = 0; i < e.trend.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += "{\"time\":";
    json::AppendInt(out, e.trend[i].time);
    out += ",\"value\":";
    json::AppendHundredths(out, e.trend[i].hundredths);
    out.push_back('}');
  }
  out += "],\"url_title\":";
  json::AppendString(out, UrlSlug(s.title));
  out += ",\"usage_count\":";
  json::AppendInt(out, e.usage_count);
  out.push_back('}');
}

}  // namespace soundtrend::api
