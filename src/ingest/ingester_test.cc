#include "ingest/ingester.h"

#include <gtest/gtest.h>

#include <map>
#include <tuple>

#include "common/clock.h"
#include "ingest/byte_source.h"
#include "ingest/test_util.h"
#include "store/sqlite/sqlite_chart_store.h"

namespace soundtrend::ingest {
namespace {

constexpr int64_t kNow = 1769990461;   // 2026-02-02T00:01:01Z
constexpr int64_t kDay0 = 1769904000;  // 2026-02-01T00:00:00Z

std::string UseLine(uint64_t clip, std::string_view region, int64_t time, uint64_t video = 0,
                    int64_t views = 0) {
  std::string s = "{\"type\":\"use\",\"clip_id\":\"" + std::to_string(clip) + "\",\"region\":\"" +
                  std::string(region) + "\",\"time\":" + std::to_string(time);
  if (video) {
    s += ",\"video_id\":\"" + std::to_string(video) + "\",\"views\":" + std::to_string(views);
  }
  return s + "}\n";
}

// `n` use records over a few clips, regions and days; deterministic.
std::string Uses(int n, int salt = 0) {
  static const char* kRegions[] = {"US", "GB", "FR", "JP", "DE"};
  std::string out;
  for (int i = 0; i < n; ++i) {
    const int k = i * 7 + salt;
    out += UseLine(1 + k % 13, kRegions[k % 5], kDay0 - (k % 3) * 86400 + k % 1000,
                   k % 4 == 0 ? 100 + k % 17 : 0, k % 1000);
  }
  return out;
}

using Cells = std::map<std::tuple<Day, RegionId, uint64_t>, int64_t>;

class IngesterTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = Open("charts.db"); }
  std::unique_ptr<store::ChartStore> Open(const std::string& name) {
    Result<std::unique_ptr<store::ChartStore>> s =
        store::OpenSqliteChartStore(dir_.path() + "/" + name);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  static Cells CellsOf(store::ChartStore& store) {
    Cells cells;
    Status st = store.ForEachDailyUses([&](const DailyUses& d) {
      cells[{d.day, d.region, d.clip_id}] += d.uses;
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return cells;
  }
  static std::vector<VideoRecord> VideosOf(store::ChartStore& store) {
    std::vector<VideoRecord> v;
    EXPECT_TRUE(store
                    .ForEachVideo([&](const VideoRecord& r) {
                      v.push_back(r);
                      return Status::Ok();
                    })
                    .ok());
    std::sort(v.begin(), v.end(), [](const VideoRecord& a, const VideoRecord& b) {
      return std::tie(a.region, a.clip_id, a.day, a.video_id) <
             std::tie(b.region, b.clip_id, b.day, b.video_id);
    });
    return v;
  }
  Result<IngestReport> Ingest(store::ChartStore& store, std::string_view data,
                              IngestOptions options = {},
                              InputFormat format = InputFormat::kNdjson) {
    Ingester ingester(store, clock_, std::move(options));
    return ingester.IngestBuffer("input", data, format);
  }

  testing::TempDir dir_;
  FakeClock clock_{kNow * 1000000};
  std::unique_ptr<store::ChartStore> store_;
};

TEST_F(IngesterTest, AppliesOneBatchWithTheContentHashAsId) {
  const std::string data =
      Uses(100) +
      R"({"type":"sound","clip_id":"1","song_id":"2","title":"T","author":"A","duration":3})"
      "\n";
  std::vector<std::string> applied;
  IngestOptions options;
  options.on_batch_applied = [&](const Batch& b) { applied.push_back(b.id); };
  Result<IngestReport> r = Ingest(*store_, data, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->batch_id, "sha256:" + Sha256Hex(data));
  EXPECT_FALSE(r->refused);
  EXPECT_FALSE(r->already_applied);
  EXPECT_EQ(r->records, 101);
  EXPECT_EQ(r->rejected, 0);
  EXPECT_EQ(r->sounds, 1);
  EXPECT_EQ(r->batches_applied, 1);
  EXPECT_EQ(applied, std::vector<std::string>{r->batch_id});
  Cells cells = CellsOf(*store_);
  EXPECT_EQ(static_cast<int64_t>(cells.size()), r->cells);
  int64_t total = 0;
  for (const auto& [k, v] : cells) total += v;
  EXPECT_EQ(total, 100);
  EXPECT_TRUE(*store_->HasBatch(r->batch_id));
}

TEST_F(IngesterTest, InvalidRecordRefusesTheWholeBatchWithLinesAndReasons) {
  std::string data = Uses(5);
  for (int i = 0; i < 150; ++i) data += UseLine(1, "UK", kDay0);  // lines 6..155
  data += "{broken\n" + Uses(5);                                  // line 156
  int rejects_seen = 0;
  IngestOptions options;
  options.on_reject = [&](std::string_view, const RecordError&, std::string_view) {
    ++rejects_seen;
  };
  Result<IngestReport> r = Ingest(*store_, data, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->refused);
  EXPECT_EQ(r->records, 161);
  EXPECT_EQ(r->rejected, 151);
  EXPECT_EQ(rejects_seen, 151);
  ASSERT_EQ(r->errors.size(), 100u);  // the first 100
  EXPECT_EQ(r->errors[0].line, 6);
  EXPECT_EQ(r->errors[0].reason, "region: unknown region \"UK\"");
  EXPECT_EQ(r->errors[99].line, 105);
  EXPECT_EQ(r->batches_applied, 0);
  // Nothing was written.
  Result<store::StoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->daily_cells, 0);
  EXPECT_EQ(stats->batches, 0);
  EXPECT_FALSE(*store_->HasBatch(r->batch_id));
  const std::string text = DescribeErrors(*r);
  EXPECT_NE(text.find("151 invalid records (first 100 shown)"), std::string::npos) << text;
  EXPECT_NE(text.find("line 6: region: unknown region"), std::string::npos);
}

TEST_F(IngesterTest, SkipInvalidKeepsTheGoodRecordsAndReportsTheRejected) {
  std::string data = Uses(3);
  data += UseLine(0, "US", kDay0);             // line 4: bad id
  data += Uses(2);                             // lines 5-6
  data += UseLine(1, "US", kNow + 2 * 86400);  // line 7: in the future
  data += "\n";                                // line 8: empty, skipped
  data += R"({"type":"use","clip_id":"1","region":"US","time":"x"})"
          "\n";  // line 9
  std::vector<std::tuple<std::string, int64_t, std::string, std::string>> rejects;
  IngestOptions options;
  options.skip_invalid = true;
  options.on_reject = [&](std::string_view source, const RecordError& e, std::string_view text) {
    rejects.emplace_back(std::string(source), e.line, e.reason, std::string(text));
  };
  Result<IngestReport> r = Ingest(*store_, data, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->refused);
  EXPECT_EQ(r->records, 8);
  EXPECT_EQ(r->rejected, 3);
  ASSERT_EQ(rejects.size(), 3u);
  EXPECT_EQ(std::get<0>(rejects[0]), "input");
  EXPECT_EQ(std::get<1>(rejects[0]), 4);
  EXPECT_EQ(std::get<2>(rejects[0]), "clip_id: must be a positive 64-bit integer id (digits)");
  EXPECT_EQ(std::get<3>(rejects[0]),
            UseLine(0, "US", kDay0).substr(0, UseLine(0, "US", kDay0).size() - 1));
  EXPECT_EQ(std::get<1>(rejects[1]), 7);
  EXPECT_EQ(std::get<1>(rejects[2]), 9);
  EXPECT_EQ(r->errors.size(), 3u);
  int64_t total = 0;
  for (const auto& [k, v] : CellsOf(*store_)) total += v;
  EXPECT_EQ(total, 5);
}

TEST_F(IngesterTest, SameInputTwiceChangesNothing) {
  const std::string data = Uses(200);
  Result<IngestReport> first = Ingest(*store_, data);
  ASSERT_TRUE(first.ok());
  const Cells cells = CellsOf(*store_);
  const auto videos = VideosOf(*store_);
  const int64_t batches = store_->Stats()->batches;
  Result<IngestReport> second = Ingest(*store_, data);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->already_applied);
  EXPECT_EQ(second->batch_id, first->batch_id);
  EXPECT_EQ(second->batches_applied, 0);
  EXPECT_EQ(second->batches_already_applied, 1);
  EXPECT_EQ(second->cells, 0);
  EXPECT_EQ(CellsOf(*store_), cells);
  EXPECT_EQ(VideosOf(*store_), videos);
  EXPECT_EQ(store_->Stats()->batches, batches);
}

TEST_F(IngesterTest, ExplicitBatchIdDecidesIdempotence) {
  IngestOptions options;
  options.batch_id = "client-42";
  Result<IngestReport> a = Ingest(*store_, Uses(10), options);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->batch_id, "client-42");
  EXPECT_FALSE(a->already_applied);
  // Other content, same id: nothing changes.
  const Cells cells = CellsOf(*store_);
  Result<IngestReport> b = Ingest(*store_, Uses(10, 3), options);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->already_applied);
  EXPECT_EQ(CellsOf(*store_), cells);
  // The same content under the default id is a new batch: uses add up.
  Result<IngestReport> c = Ingest(*store_, Uses(10));
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->already_applied);
  for (const auto& [k, v] : CellsOf(*store_)) EXPECT_EQ(v, 2 * cells.at(k));
}

TEST_F(IngesterTest, LargeInputIsAppliedInChunksWithTheSameTotals) {
  const std::string data = Uses(1000);
  Result<IngestReport> whole = Ingest(*store_, data);
  ASSERT_TRUE(whole.ok());
  auto chunked_store = Open("chunked.db");
  IngestOptions options;
  options.records_per_batch = 64;
  std::vector<std::string> applied;
  options.on_batch_applied = [&](const Batch& b) { applied.push_back(b.id); };
  Result<IngestReport> chunked = Ingest(*chunked_store, data, options);
  ASSERT_TRUE(chunked.ok()) << chunked.status().ToString();
  EXPECT_EQ(chunked->batch_id, whole->batch_id);
  EXPECT_EQ(chunked->records, 1000);
  EXPECT_EQ(chunked->batches_applied, 16);  // ceil(1000 / 64)
  ASSERT_EQ(applied.size(), 16u);
  EXPECT_EQ(applied[0], whole->batch_id + "#0");
  EXPECT_EQ(applied[15], whole->batch_id + "#15");
  EXPECT_EQ(CellsOf(*chunked_store), CellsOf(*store_));
  EXPECT_EQ(VideosOf(*chunked_store), VideosOf(*store_));
  EXPECT_TRUE(*chunked_store->HasBatch(whole->batch_id));
  // Again: the whole input is recorded, nothing changes.
  Result<IngestReport> again = Ingest(*chunked_store, data, options);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_applied);
  EXPECT_EQ(CellsOf(*chunked_store), CellsOf(*store_));
}

// A store that fails every ApplyBatch after the first `budget` ones (a crash stand-in).
class FailingStore : public store::ChartStore {
 public:
  FailingStore(store::ChartStore& inner, int budget) : inner_(inner), budget_(budget) {}
  Result<bool> ApplyBatch(const Batch& b) override {
    if (budget_-- <= 0) return Status::IoError("injected failure");
    return inner_.ApplyBatch(b);
  }
  Result<bool> HasBatch(const std::string& id) override { return inner_.HasBatch(id); }
  Status ForEachSound(const std::function<Status(const SoundRecord&)>& fn) override {
    return inner_.ForEachSound(fn);
  }
  Status ForEachDailyUses(const std::function<Status(const DailyUses&)>& fn) override {
    return inner_.ForEachDailyUses(fn);
  }
  Status ForEachVideo(const std::function<Status(const VideoRecord&)>& fn) override {
    return inner_.ForEachVideo(fn);
  }
  Result<std::optional<Day>> LatestUsageDay() override { return inner_.LatestUsageDay(); }
  Status SaveEditions(std::span<const store::EditionRecord> e) override {
    return inner_.SaveEditions(e);
  }
  Status ForEachEdition(const std::function<Status(const store::EditionRecord&)>& fn) override {
    return inner_.ForEachEdition(fn);
  }
  Result<int64_t> LatestBatchSeq() override { return inner_.LatestBatchSeq(); }
  Status ForEachCellsVersion(int64_t after,
                             const std::function<Status(const store::CellsVersion&)>& fn) override {
    return inner_.ForEachCellsVersion(after, fn);
  }
  Result<int64_t> ReadChanges(int64_t after, const ChangeCallbacks& callbacks) override {
    return inner_.ReadChanges(after, callbacks);
  }
  Result<store::StoreStats> Stats() override { return inner_.Stats(); }

 private:
  store::ChartStore& inner_;
  int budget_;
};

TEST_F(IngesterTest, ResumesAPartlyAppliedInputExactlyOnce) {
  const std::string data = Uses(1000);
  Result<IngestReport> clean = Ingest(*store_, data);
  ASSERT_TRUE(clean.ok());
  auto partial = Open("partial.db");
  IngestOptions options;
  options.records_per_batch = 100;
  {
    FailingStore failing(*partial, 1 + 4);  // the plan marker and 4 chunks, then failure
    Result<IngestReport> r = Ingest(failing, data, options);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Status::Code::kIoError);
  }
  EXPECT_TRUE(*partial->HasBatch(clean->batch_id + "#3"));
  EXPECT_FALSE(*partial->HasBatch(clean->batch_id + "#4"));
  EXPECT_FALSE(*partial->HasBatch(clean->batch_id));
  int64_t partial_total = 0;
  for (const auto& [k, v] : CellsOf(*partial)) partial_total += v;
  EXPECT_EQ(partial_total, 400);  // whole chunks only

  // A different chunk size cannot resume it.
  IngestOptions other = options;
  other.records_per_batch = 50;
  Result<IngestReport> refused = Ingest(*partial, data, other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);

  Result<IngestReport> resumed = Ingest(*partial, data, options);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->batches_already_applied, 4);
  EXPECT_EQ(resumed->batches_applied, 6);
  EXPECT_EQ(CellsOf(*partial), CellsOf(*store_));
  EXPECT_EQ(VideosOf(*partial), VideosOf(*store_));
  EXPECT_TRUE(*partial->HasBatch(clean->batch_id));
}

TEST_F(IngesterTest, CsvAndNdjsonPlainAndGzipFilesGiveTheSameCells) {
  std::string csv = "clip_id,region,time,video_id,views\n";
  std::string ndjson;
  for (int i = 0; i < 50; ++i) {
    const uint64_t clip = 1 + i % 4;
    const int64_t time = kDay0 + i * 3000;
    csv += std::to_string(clip) + ",US," + std::to_string(time) + "," + std::to_string(100 + i) +
           "," + std::to_string(i) + "\n";
    ndjson += UseLine(clip, "US", time, 100 + i, i);
  }
  struct Case {
    std::string name, content;
  } cases[] = {{"a.csv", csv},
               {"b.ndjson", ndjson},
               {"c.csv.gz", testing::Gzip(csv)},
               {"d.ndjson.gz", testing::Gzip(ndjson)},
               {"e.data", testing::Gzip(ndjson)}};  // format and gzip detected by content
  Cells reference;
  std::vector<VideoRecord> reference_videos;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto store = Open(c.name + ".db");
    Ingester ingester(*store, clock_, {});
    Result<IngestReport> r = ingester.IngestFile(dir_.File(c.name, c.content));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->records, 50);
    EXPECT_EQ(r->rejected, 0);
    const bool gz = c.content.substr(0, 2) == "\x1f\x8b";
    EXPECT_EQ(r->batch_id,
              "sha256:" + Sha256Hex(gz ? (c.name[0] == 'c' ? csv : ndjson) : c.content));
    EXPECT_EQ(r->bytes, static_cast<int64_t>(c.content.size()));
    if (reference.empty()) {
      reference = CellsOf(*store);
      reference_videos = VideosOf(*store);
      EXPECT_FALSE(reference.empty());
    } else {
      EXPECT_EQ(CellsOf(*store), reference);
      EXPECT_EQ(VideosOf(*store), reference_videos);
    }
  }
}

TEST_F(IngesterTest, TheSameRecordsPlainAndGzipAreOneBatch) {
  // Regression (issue 12, defect 6): the id hashed the file's bytes, so the gzip copy of an
  // input counted its records a second time.
  const std::string data = Uses(50);
  Ingester ingester(*store_, clock_, {});
  Result<IngestReport> plain = ingester.IngestFile(dir_.File("uses.ndjson", data));
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->batches_applied, 1);
  const Cells once = CellsOf(*store_);
  Result<IngestReport> gz = ingester.IngestFile(dir_.File("uses.ndjson.gz", testing::Gzip(data)));
  ASSERT_TRUE(gz.ok()) << gz.status().ToString();
  EXPECT_TRUE(gz->already_applied);
  EXPECT_EQ(gz->batch_id, plain->batch_id);
  EXPECT_EQ(CellsOf(*store_), once);
}

TEST_F(IngesterTest, AGzipInputRecordedUnderItsCompressedHashIsAppliedAlready) {
  const std::string gz = testing::Gzip(Uses(50));
  Batch old;  // what a version before issue 12 recorded for this file
  old.id = "sha256:" + Sha256Hex(gz);
  ASSERT_TRUE(store_->ApplyBatch(old).ok());
  Result<IngestReport> r = Ingest(*store_, gz);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->already_applied);
  EXPECT_TRUE(CellsOf(*store_).empty());
}

TEST_F(IngesterTest, AnOverlongRecordIsAnInvalidRecord) {
  // Regression (issue 12, defect 7): one record over 1 MiB failed the whole input, even
  // with skip_invalid.
  const std::string big = "{\"type\":\"use\",\"pad\":\"" + std::string(1 << 20, 'x') + "\"}\n";
  const std::string data = Uses(10) + big + Uses(5, 3);
  Result<IngestReport> refused = Ingest(*store_, data);
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_TRUE(refused->refused);
  EXPECT_EQ(refused->records, 16);
  EXPECT_EQ(refused->rejected, 1);
  ASSERT_EQ(refused->errors.size(), 1u);
  EXPECT_EQ(refused->errors[0].line, 11);
  EXPECT_EQ(refused->errors[0].reason, "record longer than 1048576 bytes");
  IngestOptions skip;
  skip.skip_invalid = true;
  Result<IngestReport> kept = Ingest(*store_, data, skip);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_FALSE(kept->refused);
  EXPECT_EQ(kept->rejected, 1);
  int64_t total = 0;
  for (const auto& [k, v] : CellsOf(*store_)) total += v;
  EXPECT_EQ(total, 15);
}

TEST_F(IngesterTest, AnOverlongRecordIsRejectedWithItsStartMarkedTruncated) {
  // Regression (issue 12): on_reject (and so `--rejects`) got an oversized record as "".
  const std::string big = "{\"type\":\"use\",\"pad\":\"" + std::string(1 << 20, 'x') + "\"}\n";
  std::vector<std::tuple<int64_t, bool, std::string>> rejects;
  IngestOptions options;
  options.skip_invalid = true;
  options.on_reject = [&](std::string_view, const RecordError& e, std::string_view text) {
    rejects.emplace_back(e.line, e.truncated, std::string(text));
  };
  Result<IngestReport> r = Ingest(*store_, Uses(2) + big + UseLine(0, "US", kDay0), options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_EQ(std::get<0>(rejects[0]), 3);
  EXPECT_TRUE(std::get<1>(rejects[0]));
  EXPECT_EQ(std::get<2>(rejects[0]), big.substr(0, 1 << 20));
  EXPECT_EQ(std::get<0>(rejects[1]), 4);  // an invalid record of normal size: whole
  EXPECT_FALSE(std::get<1>(rejects[1]));
}

TEST_F(IngesterTest, AByteOrderMarkIsDroppedInNdjsonAndCsvAlike) {
  // Regression (issue 12, defect 7): NDJSON refused a BOM that CSV accepted.
  const std::string ndjson = Uses(5);
  std::string csv = "clip_id,region,time\n";
  for (int i = 0; i < 5; ++i) csv += "7,US," + std::to_string(kDay0 + i) + "\n";
  for (auto [data, format] :
       {std::pair{ndjson, InputFormat::kNdjson}, std::pair{csv, InputFormat::kCsv},
        std::pair{ndjson, InputFormat::kAuto}, std::pair{csv, InputFormat::kAuto}}) {
    auto store = Open("bom" + std::to_string(static_cast<int>(format)) + data.substr(0, 1) + ".db");
    Result<IngestReport> r = Ingest(*store, "\xEF\xBB\xBF" + data, {}, format);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_FALSE(r->refused) << (r->errors.empty() ? "" : r->errors[0].reason);
    EXPECT_EQ(r->records, 5);
    EXPECT_EQ(r->rejected, 0);
  }
}

TEST_F(IngesterTest, FormatLevelFailuresAreErrors) {
  Ingester ingester(*store_, clock_, {});
  Result<IngestReport> missing = ingester.IngestFile(dir_.path() + "/nope.ndjson");
  EXPECT_FALSE(missing.ok());
  Result<IngestReport> header = ingester.IngestFile(dir_.File("h.csv", "a,b\n1,2\n"));
  ASSERT_FALSE(header.ok());
  EXPECT_EQ(header.status().code(), Status::Code::kInvalidArgument);
  std::string gz = testing::Gzip(Uses(100));
  gz.resize(gz.size() / 2);
  Result<IngestReport> truncated = ingester.IngestFile(dir_.File("t.ndjson.gz", gz));
  EXPECT_FALSE(truncated.ok());
  EXPECT_EQ(store_->Stats()->batches, 0);
}

}  // namespace
}  // namespace soundtrend::ingest
