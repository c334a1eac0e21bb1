// A PostgreSQL array value in its text form ('{"a","b"}', '{1,2}'), to bind as one
// parameter ($1::text[], $2::bigint[]) so that many rows go in one statement (unnest).
// Text elements are always quoted, with `"` and `\` escaped, so any string round-trips.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace soundtrend::store::postgres {

class PgArray {
 public:
  void AddText(std::string_view element) {
    Separate();
    text_ += '"';
    for (char c : element) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
  }
  void AddInteger(int64_t element) {
    Separate();
    text_ += std::to_string(element);
  }
  // The array literal (bind it as a text parameter).
  std::string text() const { return text_ + '}'; }

 private:
  void Separate() { text_ += text_.size() > 1 ? "," : ""; }

  std::string text_ = "{";
};

}  // namespace soundtrend::store::postgres
