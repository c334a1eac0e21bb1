#include "common/regions.h"

namespace soundtrend {

const std::array<Region, kRegionCount>& Regions() {
  static constexpr std::array<Region, kRegionCount> kTable = {{
      {"AR", "Argentina"},      {"AU", "Australia"},     {"AT", "Austria"},
      {"BH", "Bahrain"},        {"BD", "Bangladesh"},    {"BY", "Belarus"},
      {"BE", "Belgium"},        {"BR", "Brazil"},        {"BG", "Bulgaria"},
      {"KH", "Cambodia"},       {"CA", "Canada"},        {"CL", "Chile"},
      {"CO", "Colombia"},       {"HR", "Croatia"},       {"CZ", "Czech Republic"},
      {"DK", "Denmark"},        {"EG", "Egypt"},         {"EE", "Estonia"},
      {"FI", "Finland"},        {"FR", "France"},        {"DE", "Germany"},
      {"GR", "Greece"},         {"HU", "Hungary"},       {"IS", "Iceland"},
      {"ID", "Indonesia"},      {"IQ", "Iraq"},          {"IE", "Ireland"},
      {"IL", "Israel"},         {"IT", "Italy"},         {"JP", "Japan"},
      {"JO", "Jordan"},         {"KZ", "Kazakhstan"},    {"KW", "Kuwait"},
      {"LV", "Latvia"},         {"LB", "Lebanon"},       {"LT", "Lithuania"},
      {"LU", "Luxembourg"},     {"MO", "Macao"},         {"MY", "Malaysia"},
      {"MX", "Mexico"},         {"MA", "Morocco"},       {"MM", "Myanmar"},
      {"NL", "Netherlands"},    {"NZ", "New Zealand"},   {"NG", "Nigeria"},
      {"NO", "Norway"},         {"OM", "Oman"},          {"PK", "Pakistan"},
      {"PE", "Peru"},           {"PH", "Philippines"},   {"PL", "Poland"},
      {"PT", "Portugal"},       {"QA", "Qatar"},         {"RO", "Romania"},
      {"SA", "Saudi Arabia"},   {"SG", "Singapore"},     {"SK", "Slovakia"},
      {"ZA", "South Africa"},   {"KR", "South Korea"},   {"ES", "Spain"},
      {"SE", "Sweden"},         {"CH", "Switzerland"},   {"TW", "Taiwan"},
      {"TH", "Thailand"},       {"TR", "Turkey"},        {"UA", "Ukraine"},
      {"AE", "United Arab Emirates"}, {"GB", "United Kingdom"}, {"US", "United States"},
      {"UZ", "Uzbekistan"},     {"VN", "Vietnam"},
  }};
  return kTable;
}

std::optional<RegionId> FindRegion(std::string_view code) {
  if (code.size() != 2) return std::nullopt;
  auto upper = [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; };
  const char a = upper(code[0]), b = upper(code[1]);
  const auto& table = Regions();
  for (size_t i = 0; i < table.size(); ++i) {
    if (table[i].code[0] == a && table[i].code[1] == b) return static_cast<RegionId>(i);
  }
  return std::nullopt;
}

}  // namespace soundtrend
