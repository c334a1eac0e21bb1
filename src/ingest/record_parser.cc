#include "ingest/record_parser.h"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <limits>

#include "common/day.h"
#include "common/regions.h"
#include "ingest/record_reader.h"

namespace soundtrend::ingest {
namespace {

static_assert(kRecordPadding >= simdjson::SIMDJSON_PADDING);

enum Field {
  kFClipId,
  kFSongId,
  kFTitle,
  kFAuthor,
  kFCover,
  kFDuration,
  kFCommercial,
  kFPromoted,
  kFRegion,
  kFTime,
  kFVideoId,
  kFVideoCover,
  kFViews,
  kFDay,
  kFUses,
  kFieldCount
};

constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "clip_id", "song_id", "title",    "author",      "cover", "duration", "commercial", "promoted",
    "region",  "time",    "video_id", "video_cover", "views", "day",      "uses"};

constexpr uint32_t Bit(Field f) { return 1u << f; }

// Fields that matter for each kind (wrong values elsewhere are ignored like unknown
// fields), and the ones that must be present.
constexpr uint32_t kSoundFields = Bit(kFClipId) | Bit(kFSongId) | Bit(kFTitle) | Bit(kFAuthor) |
                                  Bit(kFCover) | Bit(kFDuration) | Bit(kFCommercial) |
                                  Bit(kFPromoted);
constexpr uint32_t kSoundRequired =
    Bit(kFClipId) | Bit(kFSongId) | Bit(kFTitle) | Bit(kFAuthor) | Bit(kFDuration);
constexpr uint32_t kUseFields =
    Bit(kFClipId) | Bit(kFRegion) | Bit(kFTime) | Bit(kFVideoId) | Bit(kFVideoCover) | Bit(kFViews);
constexpr uint32_t kUseRequired = Bit(kFClipId) | Bit(kFRegion) | Bit(kFTime);
constexpr uint32_t kDailyFields = Bit(kFClipId) | Bit(kFRegion) | Bit(kFDay) | Bit(kFUses);
constexpr uint32_t kDailyRequired = kDailyFields;

constexpr const char* kIdRule = "must be a positive 64-bit integer id (digits)";
constexpr const char* kTimeRule = "must be unix seconds (integer) or an RFC 3339 UTC time";

// Typed values of one record, whatever its syntax; `bad[f]` holds the rule a present
// field broke.
struct Values {
  uint32_t present = 0;
  std::array<const char*, kFieldCount> bad{};
  uint64_t clip_id = 0, song_id = 0, video_id = 0;
  std::string_view title, author, cover, video_cover, region_text, day_text;
  int64_t duration = 0, time = 0, views = 0, uses = 0;
  bool commercial = false, promoted = false;

  void Set(Field f) { present |= Bit(f); }
  void Bad(Field f, const char* rule) {
    present |= Bit(f);
    bad[f] = rule;
  }
};

bool Fail(std::string* reason, Field f, std::string_view rule) {
  reason->assign(kFieldNames[f]);
  reason->append(": ");
  reason->append(rule);
  return false;
}

// Checks the fields of `kind` and fills `out`.
bool Finish(RecordKind kind, const Values& v, const TimeLimits& limits, ParsedRecord* out,
            std::string* reason) {
  const uint32_t relevant = kind == RecordKind::kSound ? kSoundFields
                            : kind == RecordKind::kUse ? kUseFields
                                                       : kDailyFields;
  const uint32_t required = kind == RecordKind::kSound ? kSoundRequired
                            : kind == RecordKind::kUse ? kUseRequired
                                                       : kDailyRequired;
  for (int f = 0; f < kFieldCount; ++f) {
    if (!(relevant & Bit(Field(f)))) continue;
    if (!(v.present & Bit(Field(f)))) {
      if (required & Bit(Field(f))) {
        reason->assign("missing field \"");
        reason->append(kFieldNames[f]);
        reason->push_back('"');
        return false;
      }
      continue;
    }
    if (v.bad[f]) return Fail(reason, Field(f), v.bad[f]);
  }
  out->kind = kind;
  switch (kind) {
    case RecordKind::kSound: {
      if (v.title.empty()) return Fail(reason, kFTitle, "must not be empty");
      if (v.duration < 0 || v.duration > std::numeric_limits<int32_t>::max()) {
        return Fail(reason, kFDuration, "must be an integer number of seconds >= 0");
      }
      SoundRecord& s = out->sound;
      s.clip_id = v.clip_id;
      s.song_id = v.song_id;
      s.title.assign(v.title);
      s.author.assign(v.author);
      s.cover.assign(v.cover);
      s.duration = static_cast<int32_t>(v.duration);
      s.commercial = v.commercial;
      s.promoted = v.promoted;
      return true;
    }
    case RecordKind::kUse: {
      std::optional<RegionId> region = LookupRegion(v.region_text);
      if (!region) {
        return Fail(reason, kFRegion,
                    "unknown region \"" + std::string(v.region_text.substr(0, 16)) + "\"");
      }
      if (v.time < limits.min_unix_seconds) return Fail(reason, kFTime, "before 2000-01-01");
      if (v.time > limits.max_unix_seconds) {
        return Fail(reason, kFTime, "more than 1 day in the future");
      }
      if (v.views < 0) return Fail(reason, kFViews, "must be an integer >= 0");
      UseRecord& u = out->use;
      u.clip_id = v.clip_id;
      u.region = *region;
      u.time = v.time;
      u.video_id = (v.present & Bit(kFVideoId)) ? v.video_id : 0;
      u.video_cover = u.video_id ? v.video_cover : std::string_view();
      u.views = u.video_id ? v.views : 0;
      return true;
    }
    case RecordKind::kDaily: {
      std::optional<RegionId> region = LookupRegion(v.region_text);
      if (!region) {
        return Fail(reason, kFRegion,
                    "unknown region \"" + std::string(v.region_text.substr(0, 16)) + "\"");
      }
      std::optional<Day> day = ParseDay(v.day_text);
      if (!day) return Fail(reason, kFDay, "must be a date \"YYYY-MM-DD\"");
      const int64_t start = DayStartUnixSeconds(*day);
      if (start < limits.min_unix_seconds) return Fail(reason, kFDay, "before 2000-01-01");
      if (start > limits.max_unix_seconds) {
        return Fail(reason, kFDay, "more than 1 day in the future");
      }
      if (v.uses < 1) return Fail(reason, kFUses, "must be an integer >= 1");
      out->daily = DailyUses{v.clip_id, *region, *day, v.uses};
      return true;
    }
  }
  return false;
}

bool ParseInt64Text(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Field name -> Field, for NDJSON keys and CSV header columns.
// A name's candidate is looked up by (length, first character), then compared; a slot
// two names share (none today) falls back to the scan.
constexpr int kNoField = -1, kSharedSlot = -2;
constexpr size_t FieldSlot(size_t size, char first) {
  return (size & 31) * 128 + (static_cast<unsigned char>(first) & 127);
}
constexpr std::array<int8_t, 32 * 128> kFieldSlots = [] {
  std::array<int8_t, 32 * 128> slots{};
  for (int8_t& s : slots) s = kNoField;
  for (int f = 0; f < kFieldCount; ++f) {
    int8_t& s = slots[FieldSlot(kFieldNames[f].size(), kFieldNames[f][0])];
    s = s == kNoField ? static_cast<int8_t>(f) : kSharedSlot;
  }
  return slots;
}();

std::optional<Field> FieldOfName(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (name.size() < 32) {
    const int slot = kFieldSlots[FieldSlot(name.size(), name[0])];
    if (slot == kNoField) return std::nullopt;
    if (slot >= 0)
      return kFieldNames[slot] == name ? std::optional<Field>(Field(slot)) : std::nullopt;
  }
  for (int f = 0; f < kFieldCount; ++f) {
    if (kFieldNames[f] == name) return Field(f);
  }
  return std::nullopt;
}

}  // namespace

TimeLimits TimeLimits::ForNowMicros(int64_t now_micros) {
  TimeLimits limits;
  limits.max_unix_seconds = now_micros / 1000000 + kSecondsPerDay;
  return limits;
}

std::optional<uint64_t> ParseIdText(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  if (s.size() <= 19) {  // < 10^19 < 2^64: no overflow possible
    for (char c : s) {
      const unsigned d = static_cast<unsigned char>(c) - unsigned{'0'};
      if (d > 9) return std::nullopt;
      v = v * 10 + d;
    }
    if (v == 0) return std::nullopt;
    return v;
  }
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, c - '0', &v)) {
      return std::nullopt;
    }
  }
  if (v == 0) return std::nullopt;
  return v;
}

std::optional<int64_t> ParseRfc3339(std::string_view s) {
  if (s.size() < 20 || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  std::optional<Day> day = ParseDay(s.substr(0, 10));
  if (!day) return std::nullopt;
  auto two = [&](size_t pos) -> int {
    if (s[pos] < '0' || s[pos] > '9' || s[pos + 1] < '0' || s[pos + 1] > '9') return -1;
    return (s[pos] - '0') * 10 + (s[pos + 1] - '0');
  };
  const int h = two(11), m = two(14), sec = two(17);
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59) return std::nullopt;
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const size_t digits_start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == digits_start) return std::nullopt;
  }
  int64_t offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 <= s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    const int oh = two(i + 1), om = two(i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return std::nullopt;
    offset = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return DayStartUnixSeconds(*day) + h * 3600 + m * 60 + sec - offset;
}

std::optional<RegionId> LookupRegion(std::string_view code) {
  static const std::array<int16_t, 26 * 26> table = [] {
    std::array<int16_t, 26 * 26> t;
    t.fill(-1);
    for (size_t i = 0; i < kRegionCount; ++i) {
      std::string_view c = Regions()[i].code;
      t[(c[0] - 'A') * 26 + (c[1] - 'A')] = static_cast<int16_t>(i);
    }
    return t;
  }();
  if (code.size() != 2) return std::nullopt;
  auto letter = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a';
    return -1;
  };
  const int a = letter(code[0]), b = letter(code[1]);
  if (a < 0 || b < 0) return std::nullopt;
  const int16_t id = table[a * 26 + b];
  if (id < 0) return std::nullopt;
  return static_cast<RegionId>(id);
}

// ---------------------------------------------------------------------------------------
// NDJSON

struct NdjsonParser::Impl {
  simdjson::ondemand::parser parser;
  TimeLimits limits;
};

NdjsonParser::NdjsonParser(TimeLimits limits) : impl_(std::make_unique<Impl>()) {
  impl_->limits = limits;
}
NdjsonParser::~NdjsonParser() = default;

namespace {

using simdjson::ondemand::json_type;
using simdjson::ondemand::value;

bool BrokenJson(std::string* reason, simdjson::error_code error) {
  if (error == simdjson::UTF8_ERROR) {
    reason->assign("invalid UTF-8");
  } else {
    reason->assign("broken JSON: ");
    reason->append(simdjson::error_message(error));
  }
  return false;
}

// Each reader returns a simdjson error only for broken JSON; a wrong type or value is
// recorded in `v` and the record goes on.
simdjson::error_code ReadId(value& val, Values& v, Field f, uint64_t* out) {
  json_type t;
  if (auto e = val.type().get(t)) return e;
  if (t == json_type::string) {
    std::string_view s;
    if (auto e = val.get_string().get(s)) return e;
    std::optional<uint64_t> id = ParseIdText(s);
    if (!id) {
      v.Bad(f, kIdRule);
    } else {
      *out = *id;
      v.Set(f);
    }
  } else if (t == json_type::number) {
    uint64_t id = 0;
    if (val.get_uint64().get(id) || id == 0) {
      v.Bad(f, kIdRule);
    } else {
      *out = id;
      v.Set(f);
    }
  } else {
    v.Bad(f, kIdRule);
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ReadString(value& val, Values& v, Field f, std::string_view* out) {
  json_type t;
  if (auto e = val.type().get(t)) return e;
  if (t != json_type::string) {
    v.Bad(f, "must be a string");
    return simdjson::SUCCESS;
  }
  if (auto e = val.get_string().get(*out)) return e;
  v.Set(f);
  return simdjson::SUCCESS;
}

simdjson::error_code ReadInt(value& val, Values& v, Field f, const char* rule, int64_t* out) {
  json_type t;
  if (auto e = val.type().get(t)) return e;
  if (t != json_type::number || val.get_int64().get(*out)) {
    v.Bad(f, rule);
  } else {
    v.Set(f);
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ReadBool(value& val, Values& v, Field f, bool* out) {
  json_type t;
  if (auto e = val.type().get(t)) return e;
  if (t != json_type::boolean || val.get_bool().get(*out)) {
    v.Bad(f, "must be true or false");
  } else {
    v.Set(f);
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ReadTime(value& val, Values& v) {
  json_type t;
  if (auto e = val.type().get(t)) return e;
  if (t == json_type::number) {
    if (val.get_int64().get(v.time)) {
      v.Bad(kFTime, kTimeRule);
    } else {
      v.Set(kFTime);
    }
  } else if (t == json_type::string) {
    std::string_view s;
    if (auto e = val.get_string().get(s)) return e;
    std::optional<int64_t> time = ParseRfc3339(s);
    if (!time) {
      v.Bad(kFTime, kTimeRule);
    } else {
      v.time = *time;
      v.Set(kFTime);
    }
  } else {
    v.Bad(kFTime, kTimeRule);
  }
  return simdjson::SUCCESS;
}

}  // namespace

bool NdjsonParser::Parse(std::string_view line, ParsedRecord* out, std::string* reason) {
  simdjson::ondemand::document doc;
  if (auto e =
          impl_->parser.iterate(line.data(), line.size(), line.size() + kRecordPadding).get(doc)) {
    return BrokenJson(reason, e);
  }
  simdjson::ondemand::object obj;
  if (auto e = doc.get_object().get(obj)) {
    if (e == simdjson::INCORRECT_TYPE) {
      reason->assign("not a JSON object");
      return false;
    }
    return BrokenJson(reason, e);
  }
  Values v;
  std::string_view type;
  bool has_type = false, type_is_string = true;
  for (auto field_result : obj) {
    simdjson::ondemand::field field;
    if (auto e = std::move(field_result).get(field)) return BrokenJson(reason, e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return BrokenJson(reason, e);
    value val = field.value();
    simdjson::error_code e = simdjson::SUCCESS;
    if (key == "type") {
      has_type = true;
      json_type t;
      if ((e = val.type().get(t))) return BrokenJson(reason, e);
      if (t == json_type::string) {
        if ((e = val.get_string().get(type))) return BrokenJson(reason, e);
      } else {
        type_is_string = false;
      }
      continue;
    }
    std::optional<Field> f = FieldOfName(key);
    if (!f) continue;  // unknown fields are ignored
    switch (*f) {
      case kFClipId:
        e = ReadId(val, v, kFClipId, &v.clip_id);
        break;
      case kFSongId:
        e = ReadId(val, v, kFSongId, &v.song_id);
        break;
      case kFVideoId:
        e = ReadId(val, v, kFVideoId, &v.video_id);
        break;
      case kFTitle:
        e = ReadString(val, v, kFTitle, &v.title);
        break;
      case kFAuthor:
        e = ReadString(val, v, kFAuthor, &v.author);
        break;
      case kFCover:
        e = ReadString(val, v, kFCover, &v.cover);
        break;
      case kFVideoCover:
        e = ReadString(val, v, kFVideoCover, &v.video_cover);
        break;
      case kFRegion:
        e = ReadString(val, v, kFRegion, &v.region_text);
        break;
      case kFDay:
        e = ReadString(val, v, kFDay, &v.day_text);
        break;
      case kFDuration:
        e = ReadInt(val, v, kFDuration, "must be an integer number of seconds >= 0", &v.duration);
        break;
      case kFViews:
        e = ReadInt(val, v, kFViews, "must be an integer >= 0", &v.views);
        break;
      case kFUses:
        e = ReadInt(val, v, kFUses, "must be an integer >= 1", &v.uses);
        break;
      case kFCommercial:
        e = ReadBool(val, v, kFCommercial, &v.commercial);
        break;
      case kFPromoted:
        e = ReadBool(val, v, kFPromoted, &v.promoted);
        break;
      case kFTime:
        e = ReadTime(val, v);
        break;
      case kFieldCount:
        break;
    }
    if (e) return BrokenJson(reason, e);
  }
  // simdjson reports OUT_OF_BOUNDS as the location once the whole input is consumed.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    reason->assign("broken JSON: trailing content after the object");
    return false;
  }
  if (!has_type) {
    reason->assign("missing field \"type\"");
    return false;
  }
  RecordKind kind;
  if (!type_is_string) {
    reason->assign("type: must be \"sound\", \"use\" or \"daily\"");
    return false;
  } else if (type == "use") {
    kind = RecordKind::kUse;
  } else if (type == "sound") {
    kind = RecordKind::kSound;
  } else if (type == "daily") {
    kind = RecordKind::kDaily;
  } else {
    reason->assign("type: unknown record type \"" + std::string(type.substr(0, 32)) +
                   "\" (expected sound, use or daily)");
    return false;
  }
  return Finish(kind, v, impl_->limits, out, reason);
}

// ---------------------------------------------------------------------------------------
// CSV. Hand-written: the format is a small fixed subset of RFC 4180 and the splitter runs
// per record on the hot path (memchr over unquoted fields, no allocation unless a field
// contains ""); Debian ships no C++ CSV library that fits (libcsv is a C callback API
// that copies every field).

Result<CsvParser> CsvParser::FromHeader(std::string_view header, TimeLimits limits) {
  static_assert(kKnownColumns == kFieldCount);
  CsvParser p;
  p.limits_ = limits;
  std::string reason;
  if (!p.Split(header, &reason)) return Status::InvalidArgument("CSV header: " + reason);
  for (int& i : p.index_) i = -1;
  p.width_ = p.fields_.size();
  for (size_t i = 0; i < p.fields_.size(); ++i) {
    std::string_view name = p.fields_[i];
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (i == 0 && name.substr(0, 3) == "\xEF\xBB\xBF") name.remove_prefix(3);  // BOM
    std::optional<Field> f = FieldOfName(name);
    if (!f) continue;  // unknown columns are ignored
    if (p.index_[*f] >= 0) {
      return Status::InvalidArgument("CSV header: column \"" + std::string(name) +
                                     "\" appears twice");
    }
    p.index_[*f] = static_cast<int>(i);
  }
  uint32_t required;
  if (p.index_[kFSongId] >= 0) {
    p.kind_ = RecordKind::kSound;
    required = kSoundRequired;
  } else if (p.index_[kFDay] >= 0) {
    p.kind_ = RecordKind::kDaily;
    required = kDailyRequired;
  } else if (p.index_[kFTime] >= 0) {
    p.kind_ = RecordKind::kUse;
    required = kUseRequired;
  } else {
    return Status::InvalidArgument(
        "CSV header: cannot tell the kind of record (expected columns of sound, use or daily "
        "records, see docs/formats.md)");
  }
  for (int f = 0; f < kFieldCount; ++f) {
    if ((required & Bit(Field(f))) && p.index_[f] < 0) {
      return Status::InvalidArgument("CSV header: missing column \"" + std::string(kFieldNames[f]) +
                                     "\"");
    }
  }
  return p;
}

bool CsvParser::Split(std::string_view record, std::string* reason) {
  fields_.clear();
  size_t scratch_used = 0;
  size_t i = 0;
  const size_t n = record.size();
  for (;;) {
    if (i < n && record[i] == '"') {
      // Quoted field: up to the closing quote; "" stands for one quote.
      size_t j = i + 1;
      bool escaped = false;
      for (;;) {
        size_t q = record.find('"', j);
        if (q == std::string_view::npos) {
          reason->assign("unterminated quoted field");
          return false;
        }
        if (q + 1 < n && record[q + 1] == '"') {
          escaped = true;
          j = q + 2;
          continue;
        }
        j = q;
        break;
      }
      std::string_view inner = record.substr(i + 1, j - i - 1);
      if (escaped) {
        if (scratch_used == scratch_.size()) scratch_.emplace_back();
        std::string& s = scratch_[scratch_used++];
        s.clear();
        for (size_t k = 0; k < inner.size(); ++k) {
          s.push_back(inner[k]);
          if (inner[k] == '"') ++k;
        }
        inner = s;
      }
      fields_.push_back(inner);
      i = j + 1;
      if (i == n) return true;
      if (record[i] != ',') {
        reason->assign("unexpected character after a quoted field");
        return false;
      }
      ++i;
      continue;
    }
    const size_t comma = record.find(',', i);
    std::string_view field = record.substr(i, comma == std::string_view::npos ? n - i : comma - i);
    if (field.find('"') != std::string_view::npos) {
      reason->assign("quote inside an unquoted field");
      return false;
    }
    fields_.push_back(field);
    if (comma == std::string_view::npos) return true;
    i = comma + 1;
  }
}

bool CsvParser::Parse(std::string_view record, ParsedRecord* out, std::string* reason) {
  if (!simdjson::validate_utf8(record.data(), record.size())) {
    reason->assign("invalid UTF-8");
    return false;
  }
  if (!Split(record, reason)) return false;
  if (fields_.size() != width_) {
    reason->assign("expected " + std::to_string(width_) + " fields, found " +
                   std::to_string(fields_.size()));
    return false;
  }
  Values v;
  auto text = [&](int f) -> std::string_view { return fields_[index_[f]]; };
  auto id = [&](Field f, uint64_t* dst) {
    std::optional<uint64_t> parsed = ParseIdText(text(f));
    if (parsed) {
      *dst = *parsed;
      v.Set(f);
    } else {
      v.Bad(f, kIdRule);
    }
  };
  auto integer = [&](Field f, const char* rule, int64_t* dst) {
    if (ParseInt64Text(text(f), dst)) {
      v.Set(f);
    } else {
      v.Bad(f, rule);
    }
  };
  auto boolean = [&](Field f, bool* dst) {
    std::string_view s = text(f);
    auto eq = [&](std::string_view word) {
      if (s.size() != word.size()) return false;
      for (size_t k = 0; k < s.size(); ++k)
        if ((s[k] | 0x20) != word[k]) return false;
      return true;
    };
    if (s == "1" || eq("true")) {
      *dst = true;
      v.Set(f);
    } else if (s == "0" || eq("false")) {
      *dst = false;
      v.Set(f);
    } else {
      v.Bad(f, "must be true, false, 1 or 0");
    }
  };
  for (int f = 0; f < kFieldCount; ++f) {
    if (index_[f] < 0 || text(f).empty()) continue;  // absent: default or missing
    switch (Field(f)) {
      case kFClipId:
        id(kFClipId, &v.clip_id);
        break;
      case kFSongId:
        id(kFSongId, &v.song_id);
        break;
      case kFVideoId:
        id(kFVideoId, &v.video_id);
        break;
      case kFTitle:
        v.title = text(f);
        v.Set(kFTitle);
        break;
      case kFAuthor:
        v.author = text(f);
        v.Set(kFAuthor);
        break;
      case kFCover:
        v.cover = text(f);
        v.Set(kFCover);
        break;
      case kFVideoCover:
        v.video_cover = text(f);
        v.Set(kFVideoCover);
        break;
      case kFRegion:
        v.region_text = text(f);
        v.Set(kFRegion);
        break;
      case kFDay:
        v.day_text = text(f);
        v.Set(kFDay);
        break;
      case kFDuration:
        integer(kFDuration, "must be an integer number of seconds >= 0", &v.duration);
        break;
      case kFViews:
        integer(kFViews, "must be an integer >= 0", &v.views);
        break;
      case kFUses:
        integer(kFUses, "must be an integer >= 1", &v.uses);
        break;
      case kFCommercial:
        boolean(kFCommercial, &v.commercial);
        break;
      case kFPromoted:
        boolean(kFPromoted, &v.promoted);
        break;
      case kFTime: {
        int64_t t;
        if (ParseInt64Text(text(f), &t)) {
          v.time = t;
          v.Set(kFTime);
        } else if (std::optional<int64_t> rfc = ParseRfc3339(text(f))) {
          v.time = *rfc;
          v.Set(kFTime);
        } else {
          v.Bad(kFTime, kTimeRule);
        }
        break;
      }
      case kFieldCount:
        break;
    }
  }
  // An empty author column is a present, empty author.
  if (kind_ == RecordKind::kSound && index_[kFAuthor] >= 0) v.Set(kFAuthor);
  return Finish(kind_, v, limits_, out, reason);
}

}  // namespace soundtrend::ingest
