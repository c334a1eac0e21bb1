#include "common/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace soundtrend::gzip {
namespace {

std::string Gunzip(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 16 + 15), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  EXPECT_EQ(rc, Z_STREAM_END) << "inflate: " << rc << " " << (z.msg ? z.msg : "");
  EXPECT_EQ(z.avail_in, 0u);  // nothing after the member
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  return out;
}

TEST(GzipTest, PiecesAndStoredBytesJoinIntoOneMemberOfTheirConcatenation) {
  std::string item;
  for (int i = 0; i < 50; ++i)
    item += R"({"author":"Artist","clip_id":"67037233514975088)" + std::to_string(i) +
            R"(","title":"New Sun"},)";
  const DeflatePiece a = Deflate(item), b = Deflate("," + item), empty = Deflate("");
  EXPECT_LT(a.deflated.size(), item.size() / 3);
  std::string out;
  GzipBuilder gz(out);
  gz.AddStored(R"({"code":0,"data":[)");
  gz.AddPiece(a);
  gz.AddPiece(b);
  gz.AddPiece(empty);
  gz.AddStored("");
  gz.AddStored(R"(],"requestId":"x"})");
  gz.Finish();
  EXPECT_EQ(Gunzip(out), R"({"code":0,"data":[)" + item + "," + item + R"(],"requestId":"x"})");
  // The same piece reused in another body, in another order.
  std::string other;
  GzipBuilder gz2(other);
  gz2.AddPiece(b);
  gz2.AddStored(std::string(70000, 'x'));  // more than one stored block
  gz2.AddPiece(a);
  gz2.Finish();
  EXPECT_EQ(Gunzip(other), "," + item + std::string(70000, 'x') + item);
  EXPECT_EQ(Gunzip(Compress("hello")), "hello");
  std::string nothing;
  GzipBuilder gz3(nothing);
  gz3.Finish();
  EXPECT_EQ(Gunzip(nothing), "");
}

TEST(GzipTest, AcceptEncoding) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br"));
  EXPECT_TRUE(AcceptsGzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip("x-gzip"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("deflate, br"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip; q=0.000"));
  EXPECT_TRUE(AcceptsGzip("gzip;q=0.001"));
  EXPECT_FALSE(AcceptsGzip("gzipx"));
}

}  // namespace
}  // namespace soundtrend::gzip
