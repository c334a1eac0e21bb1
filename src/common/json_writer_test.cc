#include "common/json_writer.h"

#include <gtest/gtest.h>

namespace soundtrend::json {
namespace {

std::string Str(std::string_view s) {
  std::string out;
  AppendString(out, s);
  return out;
}

std::string Hundredths(int v) {
  std::string out;
  AppendHundredths(out, v);
  return out;
}

TEST(JsonWriterTest, EscapesStrings) {
  EXPECT_EQ(Str("New Sun"), "\"New Sun\"");
  EXPECT_EQ(Str("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Str("l1\nl2\t\x01"), "\"l1\\nl2\\t\\u0001\"");
  EXPECT_EQ(Str("Beyoncé"), "\"Beyoncé\"");
  EXPECT_EQ(Str("a\u2028b"), "\"a\\u2028b\"");
}

TEST(JsonWriterTest, InvalidUtf8IsWrittenAsReplacementCharacters) {
  // Regression (issue 12, defect 5): an echoed request byte made the body invalid UTF-8.
  EXPECT_EQ(Str("\xFF"), "\"\xEF\xBF\xBD\"");
  EXPECT_EQ(Str("a\xC3"), "\"a\xEF\xBF\xBD\"");                                // truncated sequence
  EXPECT_EQ(Str("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // overlong
  EXPECT_EQ(Str("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  EXPECT_EQ(Str("caf\xC3\xA9 \xF0\x9F\x8E\xB5"), "\"caf\xC3\xA9 \xF0\x9F\x8E\xB5\"");
  EXPECT_TRUE(IsValidUtf8(Str("\x80\xBF\xF8\xFE\xE2\x80")));
}

TEST(JsonWriterTest, Hundredths) {
  EXPECT_EQ(Hundredths(100), "1");
  EXPECT_EQ(Hundredths(31), "0.31");
  EXPECT_EQ(Hundredths(30), "0.3");
  EXPECT_EQ(Hundredths(5), "0.05");
  EXPECT_EQ(Hundredths(0), "0");
}

TEST(JsonWriterTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("Beyoncé 東京 🎵"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

}  // namespace
}  // namespace soundtrend::json
