// st_embed_files: the embedded bytes equal the files', names are sorted, Find finds them.
#include <gtest/gtest.h>

#include <string>

#include "embedded/common_testdata.h"

namespace soundtrend {
namespace {

TEST(EmbeddedFiles, HoldEveryFileByteForByteSortedByName) {
  auto files = embedded::common_testdata::Files();
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].name, "empty.txt");
  EXPECT_EQ(files[1].name, "hello.txt");
  EXPECT_EQ(files[2].name, "sub/bytes.bin");
  EXPECT_EQ(files[0].data, "");
  EXPECT_EQ(files[1].data, "hello\nworld\n");
  EXPECT_EQ(files[2].data, std::string("\x00\xff\x7f{\"a\":1}", 10));
}

TEST(EmbeddedFiles, FindByRelativePath) {
  const EmbeddedFile* f = embedded::common_testdata::Find("sub/bytes.bin");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->data.size(), 10u);
  EXPECT_EQ(embedded::common_testdata::Find("hello.txt")->data, "hello\nworld\n");
  EXPECT_EQ(embedded::common_testdata::Find("missing.txt"), nullptr);
  EXPECT_EQ(embedded::common_testdata::Find("sub"), nullptr);
  EXPECT_EQ(embedded::common_testdata::Find(""), nullptr);
}

}  // namespace
}  // namespace soundtrend
