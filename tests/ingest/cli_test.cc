// `soundtrend ingest` over the real binary: summaries, refusals with FILE:LINE: reason,
// --skip-invalid with --rejects, idempotent re-runs and the exit codes of the CLI contract.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "ingest/process.h"
#include "ingest/test_util.h"
#include "store/sqlite/sqlite_chart_store.h"

namespace soundtrend {
namespace {

using ingest::testing::ReadFile;
using ingest::testing::RunToEnd;

class IngestCliTest : public ::testing::Test {
 protected:
  int Ingest(std::vector<std::string> args) {
    std::vector<std::string> argv = {SOUNDTREND_BINARY, "--db", db_, "ingest"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::remove(log_.c_str());
    const int rc = RunToEnd(argv, log_);
    out_ = ReadFile(log_);
    return rc;
  }
  int64_t Uses() {
    auto store = store::OpenSqliteChartStore(db_);
    EXPECT_TRUE(store.ok());
    int64_t total = 0;
    EXPECT_TRUE((*store)
                    ->ForEachDailyUses([&](const DailyUses& d) {
                      total += d.uses;
                      return Status::Ok();
                    })
                    .ok());
    return total;
  }
  std::string UseLine(std::string_view region) const {
    return "{\"type\":\"use\",\"clip_id\":\"7\",\"region\":\"" + std::string(region) +
           "\",\"time\":" + std::to_string(now_ - 3600) + "}\n";
  }

  ingest::testing::TempDir dir_;
  std::string db_ = dir_.path() + "/data/st.db";  // the parent directory is created
  std::string log_ = dir_.path() + "/out.log";
  std::string out_;
  int64_t now_ = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
};

TEST_F(IngestCliTest, RefusedFileListsErrorsAndStoresNothingThenSkipInvalidWritesRejects) {
  const std::string bad = dir_.File("bad.ndjson", UseLine("US") + UseLine("UK") + "{oops\n");
  const std::string good =
      dir_.File("good.csv", "clip_id,region,time\n8,FR," + std::to_string(now_ - 60) + "\n");
  EXPECT_EQ(Ingest({bad, good}), 1) << out_;
  EXPECT_NE(out_.find(bad + ":2: region: unknown region \"UK\""), std::string::npos) << out_;
  EXPECT_NE(out_.find(bad + ":3: broken JSON"), std::string::npos) << out_;
  EXPECT_NE(out_.find(bad + ": refused"), std::string::npos) << out_;
  EXPECT_NE(out_.find(good + ": applied"), std::string::npos) << out_;
  EXPECT_NE(out_.find("total: 1 file loaded, 1 refused or failed"), std::string::npos) << out_;
  EXPECT_EQ(Uses(), 1);  // only good.csv

  const std::string rejects = dir_.path() + "/rejects.jsonl";
  EXPECT_EQ(Ingest({"--skip-invalid", "--rejects", rejects, bad, good}), 0) << out_;
  EXPECT_NE(out_.find(bad + ": applied"), std::string::npos) << out_;
  EXPECT_NE(out_.find("3 records, 2 rejected"), std::string::npos) << out_;
  EXPECT_NE(out_.find(good + ": already applied"), std::string::npos) << out_;
  EXPECT_EQ(Uses(), 2);
  const std::string written = ReadFile(rejects);
  EXPECT_NE(written.find("{\"source\":\"" + bad +
                         "\",\"line\":2,\"reason\":\"region: unknown region \\\"UK\\\"\""),
            std::string::npos)
      << written;
  EXPECT_NE(written.find("\"line\":3,\"reason\":\"broken JSON"), std::string::npos) << written;
  EXPECT_NE(written.find("\"record\":\"{oops\""), std::string::npos) << written;

  // Again: nothing changes.
  EXPECT_EQ(Ingest({"--skip-invalid", bad, good}), 0) << out_;
  EXPECT_NE(out_.find(bad + ": already applied"), std::string::npos) << out_;
  EXPECT_EQ(Uses(), 2);
}

TEST_F(IngestCliTest, ExitCodes) {
  const std::string good = dir_.File("a.ndjson", UseLine("US"));
  EXPECT_EQ(Ingest({"--format", "xml", good}), 2) << out_;
  EXPECT_EQ(Ingest({"--batch-id", "b", good, good}), 2) << out_;
  EXPECT_EQ(Ingest({dir_.path() + "/missing.ndjson", good}), 1) << out_;
  EXPECT_NE(out_.find("missing.ndjson: failed"), std::string::npos) << out_;
  EXPECT_EQ(Uses(), 1);  // the other file was still loaded
  EXPECT_EQ(Ingest({"--batch-id", "b1", good}), 0) << out_;
  EXPECT_NE(out_.find("(batch b1)"), std::string::npos) << out_;
  EXPECT_EQ(Uses(), 2);
}

// Usage errors CLI11 itself detects exit 2 too (not CLI11's codes, e.g. 106, 109).
TEST_F(IngestCliTest, UsageErrorsExit2AndHelpExits0) {
  const std::string good = dir_.File("a.ndjson", UseLine("US"));
  EXPECT_EQ(Ingest({"--no-such-flag", good}), 2) << out_;
  EXPECT_EQ(Ingest({}), 2) << out_;              // FILE... is required
  EXPECT_EQ(Ingest({"--batch-id"}), 2) << out_;  // option without its value
  EXPECT_EQ(Ingest({"--format", "auto", "--format", "csv", good}), 2) << out_;
  EXPECT_EQ(Ingest({"--help"}), 0) << out_;
  EXPECT_NE(out_.find("--skip-invalid"), std::string::npos) << out_;
  EXPECT_EQ(RunToEnd({SOUNDTREND_BINARY, "no-such-command"}, log_), 2);
  EXPECT_EQ(RunToEnd({SOUNDTREND_BINARY}, log_), 2);  // a subcommand is required
  EXPECT_EQ(RunToEnd({SOUNDTREND_BINARY, "--help"}, log_), 0);
}

}  // namespace
}  // namespace soundtrend
