#include "common/text_fold.h"

#include <gtest/gtest.h>

namespace soundtrend {
namespace {

TEST(TextFoldTest, CaseAndAccentsFold) {
  EXPECT_EQ(FoldForSearch("Beyoncé"), "beyonce");
  EXPECT_EQ(FoldForSearch("BEYONCE"), "beyonce");
  EXPECT_EQ(FoldForSearch("Ñandú Café"), "nandu cafe");
  EXPECT_EQ(FoldForSearch("Straße"), "strasse");
  EXPECT_EQ(FoldForSearch("Ǻngström"), "angstrom");
}

TEST(TextFoldTest, NonLatinScriptsSurvive) {
  EXPECT_EQ(FoldForSearch("東京"), "東京");
  EXPECT_EQ(FoldForSearch("ΣΟΦΙΑ"), FoldForSearch("σοφια"));
}

}  // namespace
}  // namespace soundtrend
