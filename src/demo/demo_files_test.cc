#include "demo/demo_files.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <zlib.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "common/json_writer.h"
#include "demo/collecting_sink.h"

namespace soundtrend::demo {
namespace {

namespace fs = std::filesystem;

// Every region, daily and raw cells, but a fifth of the default volume: the formats and the
// match with the generator do not need more lines (tens of thousands of uses still).
DemoOptions SmallOptions(uint64_t seed = 11) {
  DemoOptions o;
  o.seed = seed;
  o.sounds = 400;
  o.days = 30;
  o.end_day = 20000;
  o.scale = 0.2;
  o.raw_days = 5;
  o.raw_fraction = 0.3;
  return o;
}

class DemoFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("soundtrend_demo_files_" + std::string(info->name()) + "_" +
                                        std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

std::string ReadGzip(const fs::path& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  EXPECT_NE(f, nullptr) << path;
  if (f == nullptr) return {};
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

std::string ReadPlain(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    EXPECT_NE(nl, std::string_view::npos) << "every line ends with a newline";
    if (nl == std::string_view::npos) break;
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  return lines;
}

// A string of 1..20 digits, as the formats require for ids.
uint64_t ParseId(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  EXPECT_TRUE(ec == std::errc() && end == s.data() + s.size() && v > 0) << s;
  return v;
}

using Cell = std::tuple<uint64_t, RegionId, Day>;

TEST_F(DemoFilesTest, FilesFollowDocumentedFormatsAndMatchTheGenerator) {
  auto report = WriteDemoFiles(SmallOptions(), dir_.string());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->files.size(), 3u);
  EXPECT_EQ(report->files[0].path, (dir_ / "catalog.ndjson").string());
  EXPECT_EQ(report->files[1].path, (dir_ / "daily.csv.gz").string());
  EXPECT_EQ(report->files[2].path, (dir_ / "uses.ndjson.gz").string());
  for (const WrittenFile& f : report->files)
    EXPECT_EQ(f.bytes, static_cast<int64_t>(fs::file_size(f.path)));

  CollectingSink expected;
  ASSERT_TRUE(Generate(SmallOptions(), expected).ok());

  simdjson::dom::parser parser;
  // catalog.ndjson: `sound` records.
  const std::string catalog = ReadPlain(dir_ / "catalog.ndjson");
  const auto sound_lines = Lines(catalog);
  ASSERT_EQ(sound_lines.size(), expected.sounds.size());
  EXPECT_EQ(report->files[0].records, static_cast<int64_t>(sound_lines.size()));
  for (size_t i = 0; i < sound_lines.size(); ++i) {
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(sound_lines[i]).get(e), simdjson::SUCCESS) << sound_lines[i];
    SoundRecord r;
    EXPECT_EQ(std::string_view(e["type"]), "sound");
    r.clip_id = ParseId(std::string_view(e["clip_id"]));
    r.song_id = ParseId(std::string_view(e["song_id"]));
    r.title = std::string(std::string_view(e["title"]));
    r.author = std::string(std::string_view(e["author"]));
    r.cover = std::string(std::string_view(e["cover"]));
    r.duration = static_cast<int32_t>(int64_t(e["duration"]));
    r.commercial = bool(e["commercial"]);
    r.promoted = bool(e["promoted"]);
    EXPECT_EQ(r, expected.sounds[i]);
  }

  // daily.csv.gz: header then clip_id,region,day,uses.
  std::map<Cell, int64_t> daily;
  const std::string daily_text = ReadGzip(dir_ / "daily.csv.gz");
  const auto daily_lines = Lines(daily_text);
  ASSERT_FALSE(daily_lines.empty());
  EXPECT_EQ(daily_lines[0], "clip_id,region,day,uses");
  for (size_t i = 1; i < daily_lines.size(); ++i) {
    std::vector<std::string_view> f;
    std::string_view line = daily_lines[i];
    for (size_t c; (c = line.find(',')) != std::string_view::npos; line.remove_prefix(c + 1))
      f.push_back(line.substr(0, c));
    f.push_back(line);
    ASSERT_EQ(f.size(), 4u) << daily_lines[i];
    auto region = FindRegion(f[1]);
    auto day = ParseDay(f[2]);
    ASSERT_TRUE(region && day) << daily_lines[i];
    const int64_t uses = static_cast<int64_t>(ParseId(f[3]));
    EXPECT_TRUE(daily.emplace(Cell{ParseId(f[0]), *region, *day}, uses).second);
  }
  EXPECT_EQ(report->files[1].records, static_cast<int64_t>(daily_lines.size() - 1));
  std::map<Cell, int64_t> expected_daily;
  for (const DailyUses& d : expected.daily) expected_daily[{d.clip_id, d.region, d.day}] = d.uses;
  EXPECT_EQ(daily, expected_daily);

  // uses.ndjson.gz: `use` records with video fields.
  std::map<Cell, int64_t> raw;
  const std::string uses_text = ReadGzip(dir_ / "uses.ndjson.gz");
  const auto use_lines = Lines(uses_text);
  ASSERT_EQ(use_lines.size(), expected.raw.size());
  EXPECT_GT(use_lines.size(), 10000u);  // ~74,000 with SmallOptions
  for (size_t i = 0; i < use_lines.size(); ++i) {
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(use_lines[i]).get(e), simdjson::SUCCESS) << use_lines[i];
    EXPECT_EQ(std::string_view(e["type"]), "use");
    const uint64_t clip = ParseId(std::string_view(e["clip_id"]));
    auto region = FindRegion(std::string_view(e["region"]));
    ASSERT_TRUE(region);
    const int64_t time = int64_t(e["time"]);
    const uint64_t video = ParseId(std::string_view(e["video_id"]));
    EXPECT_EQ(std::string_view(e["video_cover"]), VideoCoverUrl(video));
    EXPECT_EQ(int64_t(e["views"]), expected.raw[i].views);
    EXPECT_EQ(video, expected.raw[i].video_id);
    EXPECT_EQ(time, expected.raw[i].time);
    ++raw[{clip, *region, DayOfUnixSeconds(time)}];
  }
  // No (clip, region, day) in both files.
  for (const auto& [cell, uses] : raw) EXPECT_FALSE(daily.count(cell));
  EXPECT_EQ(report->summary.raw_uses, static_cast<int64_t>(use_lines.size()));
  EXPECT_EQ(report->summary.daily_cells, static_cast<int64_t>(daily.size()));

  // Nothing else (no temporary files) in the directory.
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 3);
}

TEST_F(DemoFilesTest, SameSeedWritesByteIdenticalFilesOtherSeedDiffers) {
  ASSERT_TRUE(WriteDemoFiles(SmallOptions(1), (dir_ / "a").string()).ok());
  ASSERT_TRUE(WriteDemoFiles(SmallOptions(1), (dir_ / "b").string()).ok());
  ASSERT_TRUE(WriteDemoFiles(SmallOptions(2), (dir_ / "c").string()).ok());
  for (const char* name : {kCatalogFile, kDailyFile, kUsesFile}) {
    const std::string a = ReadPlain(dir_ / "a" / name);
    EXPECT_FALSE(a.empty());
    EXPECT_EQ(a, ReadPlain(dir_ / "b" / name)) << name;
    EXPECT_NE(a, ReadPlain(dir_ / "c" / name)) << name;
  }
}

TEST_F(DemoFilesTest, LinesEscapeJsonAndCarryIdsAsStrings) {
  SoundRecord s{7000000000000000001ULL,
                7000000000000000002ULL,
                "Say \"Hi\" \\ Beyoncé",
                "Sigur Rós",
                "https://cdn.soundtrend.example/cover/1.jpeg",
                60,
                true,
                false,
                ""};
  std::string line;
  DemoFileWriter::AppendSoundLine(line, s);
  EXPECT_EQ(line,
            R"({"type":"sound","clip_id":"7000000000000000001","song_id":"7000000000000000002",)"
            R"("title":"Say \"Hi\" \\ Beyoncé","author":"Sigur Rós",)"
            R"("cover":"https://cdn.soundtrend.example/cover/1.jpeg","duration":60,)"
            R"("commercial":true,"promoted":false})"
            "\n");
  line.clear();
  DemoFileWriter::AppendDailyLine(line, DailyUses{7000000000000000001ULL, *FindRegion("GB"), 0, 42},
                                  "2026-02-02");
  EXPECT_EQ(line, "7000000000000000001,GB,2026-02-02,42\n");
  line.clear();
  DemoFileWriter::AppendUseLine(line, RawUse{7000000000000000001ULL, *FindRegion("US"), 1769990461,
                                             7301234567890123456ULL, 1200});
  EXPECT_EQ(line,
            R"({"type":"use","clip_id":"7000000000000000001","region":"US","time":1769990461,)"
            R"("video_id":"7301234567890123456",)"
            R"("video_cover":"https://cdn.soundtrend.example/video/7301234567890123456.jpeg",)"
            R"("views":1200})"
            "\n");
}

TEST_F(DemoFilesTest, UnwritableDirectoryIsAnIoError) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "plain_file") << "x";
  auto report = WriteDemoFiles(SmallOptions(), (dir_ / "plain_file" / "sub").string());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Status::Code::kIoError);
}

TEST_F(DemoFilesTest, AbandonedWriterLeavesNoFiles) {
  {
    auto writer = DemoFileWriter::Open(dir_.string());
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->OnSound(SoundRecord{1, 1, "t", "a", "", 1, false, false, ""}).ok());
  }
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(DemoFilesTest, BadOptionsWriteNothing) {
  DemoOptions o = SmallOptions();
  o.sounds = 0;
  auto report = WriteDemoFiles(o, dir_.string());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir_));
}

}  // namespace
}  // namespace soundtrend::demo
