// Minimal JSON output helpers for pre-rendered response fragments.
//
// Written by hand on purpose: the responses are assembled from fragments rendered once per
// snapshot, so all that is needed is correct string escaping and number formatting
// appended to a std::string. Debian's Boost (1.74) has no Boost.JSON, and a DOM library
// would cost an allocation per value on the hot path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace soundtrend::json {

// Appends `s` as a JSON string literal, quotes included. Control characters, '"' and '\\'
// are escaped, and U+2028 / U+2029 are escaped so the output is also safe inside
// JavaScript. The output is always valid UTF-8: a byte of `s` that starts no well-formed
// sequence (ingest validates stored text; an echoed request byte may be anything) is
// written as U+FFFD.
void AppendString(std::string& out, std::string_view s);
// Appends an integer.
void AppendInt(std::string& out, int64_t v);
// Appends a value in hundredths as a JSON number with at most two decimals and no
// trailing zeros: 100 -> 1, 31 -> 0.31, 30 -> 0.3, 0 -> 0, 5 -> 0.05.
void AppendHundredths(std::string& out, int v);
inline void AppendBool(std::string& out, bool v) { out += v ? "true" : "false"; }

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace soundtrend::json
