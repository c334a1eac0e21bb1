// Search folding (docs/api.md §4): case-insensitive and accent-insensitive matching.
//
// Uses ICU (Debian's libicu): canonical decomposition (NFD), removal of combining marks,
// full case folding. "Beyoncé" and "BEYONCE" both fold to "beyonce".
#pragma once

#include <string>
#include <string_view>

namespace soundtrend {

// The folded form of UTF-8 text, as UTF-8. Invalid UTF-8 sequences become U+FFFD.
std::string FoldForSearch(std::string_view utf8);

}  // namespace soundtrend
