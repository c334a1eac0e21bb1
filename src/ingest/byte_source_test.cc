#include "ingest/byte_source.h"

#include <gtest/gtest.h>

#include "ingest/record_reader.h"
#include "ingest/test_util.h"

namespace soundtrend::ingest {
namespace {

std::string ReadAll(ByteSource& src, size_t chunk = 7) {
  std::string out, buf(chunk, '\0');
  for (;;) {
    Result<size_t> n = src.Read(buf.data(), buf.size());
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    if (!n.ok() || *n == 0) return out;
    out.append(buf.data(), *n);
  }
}

TEST(ByteSourceTest, PlainFileIsReadAsIsAndHashed) {
  testing::TempDir dir;
  auto src = ByteSource::OpenFile(dir.File("a.txt", "abc"));
  ASSERT_TRUE(src.ok());
  EXPECT_FALSE((*src)->gzip());
  EXPECT_EQ(ReadAll(**src), "abc");
  EXPECT_EQ((*src)->Sha256Hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ((*src)->raw_bytes_read(), 3);
  EXPECT_EQ(*(*src)->raw_size(), 3);
  EXPECT_EQ(Sha256Hex("abc"), (*src)->Sha256Hex());
}

TEST(ByteSourceTest, GzipIsDetectedByMagicBytesWhateverTheName) {
  testing::TempDir dir;
  std::string text(100000, 'x');
  for (size_t i = 0; i < text.size(); i += 10) text[i] = '\n';
  const std::string gz = testing::Gzip(text);
  auto src = ByteSource::OpenFile(dir.File("no_suffix.ndjson", gz));
  ASSERT_TRUE(src.ok());
  EXPECT_TRUE((*src)->gzip());
  EXPECT_EQ(ReadAll(**src, 4096), text);
  // The id hashes the content, not the stored (compressed) bytes (issue 12, defect 6).
  EXPECT_EQ((*src)->Sha256Hex(), Sha256Hex(text));
  EXPECT_EQ((*src)->RawSha256Hex(), Sha256Hex(gz));
}

TEST(ByteSourceTest, ConcatenatedGzipMembersAreReadInSequence) {
  const std::string data = testing::Gzip("first\n") + testing::Gzip("second\n");
  auto src = ByteSource::FromMemory(data);
  EXPECT_EQ(ReadAll(*src), "first\nsecond\n");
}

TEST(ByteSourceTest, TruncatedGzipIsAnError) {
  std::string gz = testing::Gzip(std::string(5000, 'a'));
  gz.resize(gz.size() - 6);
  auto src = ByteSource::FromMemory(gz);
  std::string buf(1 << 16, '\0');
  Status last;
  for (int i = 0; i < 10; ++i) {
    Result<size_t> n = src->Read(buf.data(), buf.size());
    if (!n.ok()) {
      last = n.status();
      break;
    }
  }
  EXPECT_EQ(last.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(last.message().find("truncated"), std::string::npos) << last.message();
}

TEST(ByteSourceTest, CorruptGzipIsAnError) {
  std::string gz = testing::Gzip(std::string(5000, 'a'));
  for (size_t i = 12; i < gz.size() - 8; ++i) gz[i] = static_cast<char>(0xff);
  auto src = ByteSource::FromMemory(gz);
  std::string buf(1 << 16, '\0');
  Result<size_t> n = src->Read(buf.data(), buf.size());
  EXPECT_FALSE(n.ok());
}

TEST(ByteSourceTest, MissingFileNamesThePath) {
  auto src = ByteSource::OpenFile("/nonexistent/dir/x.csv");
  ASSERT_FALSE(src.ok());
  EXPECT_NE(src.status().message().find("/nonexistent/dir/x.csv"), std::string::npos);
}

std::vector<std::pair<int64_t, std::string>> Records(std::string_view data, bool csv,
                                                     size_t block = 8) {
  auto src = ByteSource::FromMemory(data);
  RecordReader reader(*src, {.csv_quotes = csv, .block_bytes = block, .max_record_bytes = 100});
  std::vector<std::pair<int64_t, std::string>> out;
  std::string_view rec;
  int64_t line;
  bool too_long = false;
  for (;;) {
    Result<bool> r = reader.Next(&rec, &line, &too_long);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || !*r) return out;
    out.emplace_back(line, too_long ? "<too long>" : std::string(rec));
  }
}

TEST(RecordReaderTest, SplitsLinesCountsBlankOnesAndHandlesCrlf) {
  auto recs = Records("a\r\n\nbbbbbbbbbbbbbbbbbbbb\n\r\nc", false);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0], (std::pair<int64_t, std::string>{1, "a"}));
  EXPECT_EQ(recs[1], (std::pair<int64_t, std::string>{3, "bbbbbbbbbbbbbbbbbbbb"}));
  EXPECT_EQ(recs[2], (std::pair<int64_t, std::string>{5, "c"}));
}

TEST(RecordReaderTest, CsvQuotedNewlinesStayInTheRecord) {
  auto recs = Records("h1,h2\n\"multi\nline\",\"x\"\"\ny\"\nlast,1\n", true);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[1].first, 2);
  EXPECT_EQ(recs[1].second, "\"multi\nline\",\"x\"\"\ny\"");
  EXPECT_EQ(recs[2].first, 5);
}

TEST(RecordReaderTest, AnOverlongRecordIsOneFlaggedRecordAndReadingGoesOn) {
  // Regression (issue 12, defect 7): one record over the limit failed the whole input.
  for (size_t block : {8, 64, 4096}) {
    SCOPED_TRACE(block);
    auto recs =
        Records("ok\n" + std::string(500, 'x') + "\nnext\n" + std::string(101, 'y'), false, block);
    ASSERT_EQ(recs.size(), 4u);
    EXPECT_EQ(recs[0], (std::pair<int64_t, std::string>{1, "ok"}));
    EXPECT_EQ(recs[1], (std::pair<int64_t, std::string>{2, "<too long>"}));
    EXPECT_EQ(recs[2], (std::pair<int64_t, std::string>{3, "next"}));
    EXPECT_EQ(recs[3], (std::pair<int64_t, std::string>{4, "<too long>"}));
  }
}

TEST(RecordReaderTest, AnOverlongCsvRecordKeepsTheLineCountOfItsQuotedNewlines) {
  const std::string quoted = "\"" + std::string(150, 'q') + "\n" + std::string(150, 'q') + "\"";
  auto recs = Records("h\n" + quoted + ",1\nlast\n", true, 16);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[1], (std::pair<int64_t, std::string>{2, "<too long>"}));
  EXPECT_EQ(recs[2], (std::pair<int64_t, std::string>{4, "last"}));
}

TEST(RecordReaderTest, AnOverlongRecordIsHandedOutWithItsFirstBytes) {
  // Regression (issue 12): an oversized record came out empty, so `--rejects` showed "".
  for (size_t block : {8, 64, 4096}) {
    SCOPED_TRACE(block);
    std::string long_one;
    for (int i = 0; i < 300; ++i) long_one += static_cast<char>('a' + i % 26);
    const std::string data = "ok\n" + long_one + "\n" + long_one.substr(0, 150);
    auto src = ByteSource::FromMemory(data);  // a view: `data` outlives it
    RecordReader reader(*src, {.csv_quotes = false, .block_bytes = block, .max_record_bytes = 100});
    std::string_view rec;
    int64_t line = 0;
    bool too_long = false;
    ASSERT_TRUE(*reader.Next(&rec, &line, &too_long));
    EXPECT_FALSE(too_long);
    for (int64_t expected_line : {2, 3}) {  // ended by a newline, then by the input's end
      ASSERT_TRUE(*reader.Next(&rec, &line, &too_long));
      EXPECT_TRUE(too_long);
      EXPECT_EQ(line, expected_line);
      EXPECT_EQ(rec, long_one.substr(0, 100));
    }
    EXPECT_FALSE(*reader.Next(&rec, &line, &too_long));
  }
}

TEST(RecordReaderTest, ARecordExactlyAtTheLimitIsKept) {
  auto recs = Records(std::string(100, 'a') + "\n" + std::string(101, 'b') + "\n", false, 16);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].second, std::string(100, 'a'));
  EXPECT_EQ(recs[1].second, "<too long>");
}

}  // namespace
}  // namespace soundtrend::ingest
