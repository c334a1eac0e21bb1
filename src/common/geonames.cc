#include "common/geonames.h"

#include <array>
#include <string_view>

namespace soundtrend {
namespace {

struct GeoNamesEntry {
  std::string_view code;
  uint32_t id;
};

// Source: GeoNames, "countryInfo.txt" (https://download.geonames.org/export/dump/countryInfo.txt),
// column `geonameid` of each ISO 3166-1 alpha-2 code; CC BY 4.0, geonames.org. Keyed by
// code, so the order does not matter (regions_test checks every region has one entry).
constexpr std::array<GeoNamesEntry, kRegionCount> kGeoNames = {{
    {"AR", 3865483}, {"AU", 2077456}, {"AT", 2782113}, {"BH", 290291},  {"BD", 1210997},
    {"BY", 630336},  {"BE", 2802361}, {"BR", 3469034}, {"BG", 732800},  {"KH", 1831722},
    {"CA", 6251999}, {"CL", 3895114}, {"CO", 3686110}, {"HR", 3202326}, {"CZ", 3077311},
    {"DK", 2623032}, {"EG", 357994},  {"EE", 453733},  {"FI", 660013},  {"FR", 3017382},
    {"DE", 2921044}, {"GR", 390903},  {"HU", 719819},  {"IS", 2629691}, {"ID", 1643084},
    {"IQ", 99237},   {"IE", 2963597}, {"IL", 294640},  {"IT", 3175395}, {"JP", 1861060},
    {"JO", 248816},  {"KZ", 1522867}, {"KW", 285570},  {"LV", 458258},  {"LB", 272103},
    {"LT", 597427},  {"LU", 2960313}, {"MO", 1821275}, {"MY", 1733045}, {"MX", 3996063},
    {"MA", 2542007}, {"MM", 1327865}, {"NL", 2750405}, {"NZ", 2186224}, {"NG", 2328926},
    {"NO", 3144096}, {"OM", 286963},  {"PK", 1168579}, {"PE", 3932488}, {"PH", 1694008},
    {"PL", 798544},  {"PT", 2264397}, {"QA", 289688},  {"RO", 798549},  {"SA", 102358},
    {"SG", 1880251}, {"SK", 3057568}, {"ZA", 953987},  {"KR", 1835841}, {"ES", 2510769},
    {"SE", 2661886}, {"CH", 2658434}, {"TW", 1668284}, {"TH", 1605651}, {"TR", 298795},
    {"UA", 690791},  {"AE", 290557},  {"GB", 2635167}, {"US", 6252001}, {"UZ", 1512440},
    {"VN", 1562822},
}};

std::array<uint32_t, kRegionCount> ById() {
  std::array<uint32_t, kRegionCount> ids{};
  for (const GeoNamesEntry& e : kGeoNames) {
    if (auto region = FindRegion(e.code)) ids[*region] = e.id;
  }
  return ids;
}

}  // namespace

uint32_t GeoNamesId(RegionId region) {
  static const std::array<uint32_t, kRegionCount> ids = ById();
  return region < kRegionCount ? ids[region] : 0;
}

}  // namespace soundtrend
