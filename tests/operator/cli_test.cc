// The operator's experience with the real `soundtrend` binary (issue 13): databases that
// must exist, --json output, strict validation, exit codes, the configuration file.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/process_util.h"

namespace soundtrend::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::set<std::string> Keys(simdjson::dom::object o) {
  std::set<std::string> out;
  for (auto [k, v] : o) out.insert(std::string(k));
  return out;
}

class OperatorCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("st_operator_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "data" / "soundtrend.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs soundtrend with `args`; stderr is kept in err_.
  CommandResult Run(std::vector<std::string> args, bool with_db = true) {
    std::vector<std::string> argv = {SOUNDTREND_BINARY};
    if (with_db) {
      argv.push_back("--db");
      argv.push_back(db_);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    const fs::path err = dir_ / "stderr.txt";
    fs::remove(err);
    CommandResult r = RunCommand(argv, err.string());
    err_ = ReadFile(err);
    return r;
  }

  // The element stays valid until the next Parse (one parser).
  simdjson::dom::element Parse(const std::string& text) {
    simdjson::dom::element e;
    EXPECT_EQ(parser_.parse(text).get(e), simdjson::SUCCESS) << text;
    return e;
  }

  fs::path dir_;
  std::string db_;
  std::string err_;
  simdjson::dom::parser parser_;
};

TEST_F(OperatorCliTest, ReadOnlyCommandsRefuseAMissingDatabaseAndCreateNothing) {
  const std::vector<std::vector<std::string>> readers = {
      {"keys", "list"},
      {"keys", "list", "--json"},
      {"keys", "revoke", "key_000000000000"},
      {"keys", "show", "key_000000000000"},
      {"keys", "update", "key_000000000000", "--qps", "5"},
      {"keys", "rotate", "key_000000000000"},
      {"credits", "grant", "key_000000000000", "10", "--grant-id", "g1"},
      {"ledger", "show", "key_000000000000"},
      {"ledger", "export"},
      {"build"},
      {"backup", "--out", (dir_ / "b.db").string()},
  };
  for (const auto& args : readers) {
    SCOPED_TRACE(args.front() + " " + args.back());
    CommandResult r = Run(args);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(err_.find("no database at " + db_), std::string::npos) << err_;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_FALSE(fs::exists(dir_ / "data")) << "created " << (dir_ / "data");
  }
  // A PostgreSQL URL is a database to connect to (none listens on port 1), never a file name.
  const fs::path cwd = fs::current_path();
  fs::current_path(dir_);
  CommandResult pg =
      Run({"--db", "postgresql://st@127.0.0.1:1/postgres?connect_timeout=2", "keys", "list"},
          /*with_db=*/false);
  fs::current_path(cwd);
  EXPECT_EQ(pg.exit_code, 1);
  EXPECT_NE(err_.find("PostgreSQL: cannot connect"), std::string::npos) << err_;
  EXPECT_FALSE(fs::exists(dir_ / "postgresql:"));

  // A command that creates one says so.
  CommandResult created = Run({"keys", "create", "--name", "first"});
  EXPECT_EQ(created.exit_code, 0) << err_;
  EXPECT_NE(err_.find("created a new database at " + db_), std::string::npos) << err_;
  EXPECT_TRUE(fs::exists(db_));
  EXPECT_EQ(Run({"keys", "list"}).exit_code, 0);
  EXPECT_EQ(err_.find("created a new database"), std::string::npos);
}

TEST_F(OperatorCliTest, EveryJsonOutputParsesAndCarriesEveryField) {
  const std::set<std::string> key_fields = {"key_id",       "name",
                                            "qps",          "burst",
                                            "endpoints",    "balance",
                                            "created_at",   "expires_at",
                                            "revoked_at",   "charged_requests",
                                            "credits_used", "previous_key_expires_at"};
  CommandResult create =
      Run({"keys", "create", "--name", "acme", "--credits", "100", "--qps", "5", "--expires",
           "2099-01-01", "--endpoints", "/v1/tiktok/trending/music", "--json"});
  ASSERT_EQ(create.exit_code, 0) << err_;
  simdjson::dom::element c = Parse(create.out);
  EXPECT_EQ(Keys(c.get_object()), (std::set<std::string>{"key", "key_id", "details"}));
  const std::string key_id{std::string_view(c["key_id"])};
  const std::string key{std::string_view(c["key"])};
  EXPECT_EQ(std::string_view(c["key"]).substr(0, 8), "sk_live_");
  EXPECT_EQ(Keys(c["details"].get_object()), key_fields);
  EXPECT_EQ(int64_t(c["details"]["balance"]), 100);
  EXPECT_EQ(std::string_view(c["details"]["expires_at"]), "2099-01-01T00:00:00.000000Z");

  CommandResult list = Run({"keys", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << err_;
  simdjson::dom::element l = Parse(list.out);
  ASSERT_EQ(l["keys"].get_array().size(), 1u);
  EXPECT_EQ(Keys(l["keys"].at(0).get_object()), key_fields);
  EXPECT_EQ(list.out.find(key), std::string::npos);

  CommandResult grant = Run({"credits", "grant", key_id, "50", "--grant-id", "inv-1", "--json"});
  ASSERT_EQ(grant.exit_code, 0) << err_;
  simdjson::dom::element g = Parse(grant.out);
  EXPECT_EQ(Keys(g.get_object()),
            (std::set<std::string>{"key_id", "grant_id", "applied", "balance"}));
  EXPECT_EQ(int64_t(g["balance"]), 150);

  CommandResult ledger = Run({"ledger", "show", key_id, "--json"});
  ASSERT_EQ(ledger.exit_code, 0) << err_;
  simdjson::dom::element s = Parse(ledger.out);
  EXPECT_EQ(Keys(s.get_object()),
            (std::set<std::string>{"key_id", "name", "balance", "total", "entries"}));
  ASSERT_EQ(s["entries"].get_array().size(), 2u);
  EXPECT_EQ(Keys(s["entries"].at(1).get_object()),
            (std::set<std::string>{"seq", "time", "key_id", "kind", "reference", "endpoint",
                                   "amount", "balance_after"}));
  EXPECT_EQ(int64_t(s["entries"].at(1)["balance_after"]), 150);

  // ingest, build, backup.
  const fs::path records = dir_ / "records.ndjson";
  std::ofstream(records)
      << R"({"type":"sound","clip_id":"7100000000000000001","song_id":"1","title":"A","author":"B","cover":"https://example.com/c.jpeg","duration":60,"commercial":false,"promoted":false})"
      << "\n"
      << R"({"type":"daily","clip_id":"7100000000000000001","region":"US","day":"2026-01-10","uses":42})"
      << "\n";
  CommandResult ingest = Run({"ingest", "--json", records.string()});
  ASSERT_EQ(ingest.exit_code, 0) << err_;
  simdjson::dom::element i = Parse(ingest.out);
  ASSERT_EQ(i["files"].get_array().size(), 1u);
  EXPECT_EQ(Keys(i["files"].at(0).get_object()),
            (std::set<std::string>{"file", "outcome", "batch_id", "records", "rejected", "sounds",
                                   "cells", "videos", "batches_applied", "batches_already_applied",
                                   "seconds", "error"}));
  EXPECT_EQ(std::string_view(i["files"].at(0)["outcome"]), "applied");
  EXPECT_EQ(int64_t(i["total"]["records"]), 2);

  CommandResult build = Run({"build", "--json"});
  ASSERT_EQ(build.exit_code, 0) << err_;
  simdjson::dom::element b = Parse(build.out);
  EXPECT_EQ(Keys(b.get_object()),
            (std::set<std::string>{"no_data", "as_of", "as_of_clamped", "latest_closed_day",
                                   "days_computed", "first_computed_day", "editions_loaded",
                                   "editions_saved", "sounds", "cells", "videos", "load_seconds",
                                   "compute_seconds", "save_seconds"}));
  EXPECT_FALSE(bool(b["no_data"]));

  CommandResult backup = Run({"backup", "--out", (dir_ / "b.db").string(), "--json"});
  ASSERT_EQ(backup.exit_code, 0) << err_;
  simdjson::dom::element k = Parse(backup.out);
  EXPECT_EQ(Keys(k.get_object()),
            (std::set<std::string>{"database", "out", "pages", "bytes", "seconds"}));
  EXPECT_GT(int64_t(k["bytes"]), 0);

  CommandResult show = Run({"keys", "show", key_id, "--json"});
  ASSERT_EQ(show.exit_code, 0) << err_;
  simdjson::dom::element sh = Parse(show.out);
  EXPECT_EQ(Keys(sh.get_object()), key_fields);
  EXPECT_EQ(int64_t(sh["balance"]), 150);
  EXPECT_EQ(show.out.find(key), std::string::npos);

  CommandResult update = Run({"keys", "update", key_id, "--qps", "9", "--burst", "20", "--name",
                              "acme2", "--expires", "never", "--endpoints", "all", "--json"});
  ASSERT_EQ(update.exit_code, 0) << err_;
  simdjson::dom::element u = Parse(update.out);
  EXPECT_EQ(Keys(u.get_object()), key_fields);
  EXPECT_EQ(int64_t(u["qps"]), 9);
  EXPECT_EQ(int64_t(u["burst"]), 20);
  EXPECT_EQ(std::string_view(u["name"]), "acme2");
  EXPECT_TRUE(u["expires_at"].is_null());
  EXPECT_EQ(u["endpoints"].get_array().size(), 0u);
  EXPECT_EQ(int64_t(u["balance"]), 150);

  CommandResult rotate = Run({"keys", "rotate", key_id, "--grace", "600", "--json"});
  ASSERT_EQ(rotate.exit_code, 0) << err_;
  simdjson::dom::element ro = Parse(rotate.out);
  EXPECT_EQ(Keys(ro.get_object()), (std::set<std::string>{"key", "key_id", "details"}));
  EXPECT_EQ(Keys(ro["details"].get_object()), key_fields);
  EXPECT_EQ(std::string_view(ro["key_id"]), key_id);
  EXPECT_EQ(std::string_view(ro["key"]).substr(0, 8), "sk_live_");
  EXPECT_NE(std::string_view(ro["key"]), key);
  EXPECT_FALSE(ro["details"]["previous_key_expires_at"].is_null());

  // Text output: the new key alone on line 1, as `keys create` prints it.
  CommandResult rotate_text = Run({"keys", "rotate", key_id});
  ASSERT_EQ(rotate_text.exit_code, 0) << err_;
  EXPECT_EQ(rotate_text.out.rfind("sk_live_", 0), 0u) << rotate_text.out;
  EXPECT_NE(rotate_text.out.find("\nkey_id: " + key_id + "\nprevious key refused: at once\n"),
            std::string::npos)
      << rotate_text.out;
  CommandResult show_text = Run({"keys", "show", key_id});
  ASSERT_EQ(show_text.exit_code, 0) << err_;
  EXPECT_NE(show_text.out.find("qps: 9\n"), std::string::npos) << show_text.out;
  EXPECT_NE(show_text.out.find("previous_key_expires: none\n"), std::string::npos) << show_text.out;

  CommandResult revoke = Run({"keys", "revoke", key_id, "--json"});
  ASSERT_EQ(revoke.exit_code, 0) << err_;
  EXPECT_TRUE(bool(Parse(revoke.out)["revoked"]));
}

TEST_F(OperatorCliTest, OperatorInputIsValidatedStrictlyWithTheFieldAndTheRule) {
  ASSERT_EQ(Run({"keys", "create", "--name", "seed"}).exit_code, 0);
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"keys", "create", "--name", "a", "--expires", "2020-01-01"},
       2,
       "--expires 2020-01-01T00:00:00.000000Z is not in the future"},
      {{"keys", "create", "--name", "a", "--endpoints", "/v1/nope"},
       2,
       "--endpoints: /v1/nope is not a customer endpoint (one of /v1/tiktok/trending/music"},
      {{"keys", "create", "--name", "a", "--expires", "2030-02-30"}, 2, "--expires must be"},
      {{"keys", "create", "--name", "a", "--qps", "0"}, 2, "--qps"},
      {{"--log-level", "nope", "keys", "list"}, 2, "--log-level"},
      {{"--log-format", "xml", "keys", "list"}, 2, "--log-format"},
      {{"keys", "frobnicate"}, 2, "A subcommand is required"},
      {{"keys", "update", "KEY", "--expires", "2020-01-01"},
       2,
       "keys update: --expires 2020-01-01T00:00:00.000000Z is not in the future"},
      {{"keys", "update", "KEY", "--endpoints", "/v1/nope"},
       2,
       "keys update: --endpoints: /v1/nope is not a customer endpoint (one of "},
      {{"keys", "update", "KEY", "--qps", "0"},
       2,
       "keys update: --qps must be between 1 and 100000"},
      {{"keys", "update", "KEY", "--burst", "6000001"},
       2,
       "keys update: --burst must be between 1 and 6000000"},
      {{"keys", "update", "KEY", "--name", ""}, 2, "keys update: --name must be 1 to 200 bytes"},
      {{"keys", "update", "KEY", "--expires", "soon"},
       2,
       "keys update: --expires must be YYYY-MM-DD or never, got 'soon'"},
      {{"keys", "update", "KEY"}, 2, "keys update: nothing to change"},
      {{"keys", "rotate", "KEY", "--grace", "2592001"},
       2,
       "keys rotate: --grace must be between 0 and 2592000 seconds"},
      {{"keys", "show", "key_000000000000"}, 1, "keys show: unknown key id: key_000000000000"},
  };
  const std::string seed_id{
      std::string_view(Parse(Run({"keys", "list", "--json"}).out)["keys"].at(0)["key_id"])};
  for (Case c : cases) {
    for (std::string& a : c.args) {
      if (a == "KEY") a = seed_id;
    }
    SCOPED_TRACE(c.args.back());
    CommandResult r = Run(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << err_;
    EXPECT_NE(err_.find(c.message), std::string::npos) << err_;
  }
  // Nothing was created by the refused commands.
  CommandResult list = Run({"keys", "list", "--json"});
  simdjson::dom::element l = Parse(list.out);
  EXPECT_EQ(l["keys"].get_array().size(), 1u);
  EXPECT_EQ(int64_t(l["keys"].at(0)["qps"]), 10) << "the refused updates changed nothing";
  EXPECT_EQ(std::string_view(l["keys"].at(0)["name"]), "seed");
}

TEST_F(OperatorCliTest, IngestExitsNonZeroWhenNothingWasApplied) {
  const fs::path bad = dir_ / "bad.ndjson";
  std::ofstream(bad)
      << R"({"type":"daily","clip_id":"x","region":"US","day":"2026-01-10","uses":1})"
      << "\n"
      << R"({"type":"daily","clip_id":"1","region":"XX","day":"2026-01-10","uses":1})"
      << "\n";
  CommandResult all_invalid = Run({"ingest", "--skip-invalid", bad.string()});
  EXPECT_EQ(all_invalid.exit_code, 1) << all_invalid.out << err_;
  EXPECT_NE(all_invalid.out.find("nothing applied"), std::string::npos) << all_invalid.out;
  EXPECT_EQ(all_invalid.out.find(": applied"), std::string::npos) << all_invalid.out;
  EXPECT_NE(err_.find("every record is invalid"), std::string::npos) << err_;
  const fs::path empty = dir_ / "empty.ndjson";
  std::ofstream(empty) << "";
  EXPECT_EQ(Run({"ingest", empty.string()}).exit_code, 1);
  // Refused without --skip-invalid: 1 as before.
  EXPECT_EQ(Run({"ingest", bad.string()}).exit_code, 1);
}

TEST_F(OperatorCliTest, ConfigurationFileIsHonoredAndFlagsOverrideIt) {
  const fs::path config = dir_ / "soundtrend.toml";
  std::ofstream(config) << "db = \"" << (dir_ / "from-config.db").string() << "\"\n"
                        << "log-level = \"warn\"\n"
                        << "[keys.create]\nqps = 7\ncredits = 30\n";
  CommandResult from_file =
      Run({"--config", config.string(), "keys", "create", "--name", "a", "--json"}, false);
  ASSERT_EQ(from_file.exit_code, 0) << err_;
  simdjson::dom::element a = Parse(from_file.out);
  EXPECT_EQ(int64_t(a["details"]["qps"]), 7);
  EXPECT_EQ(int64_t(a["details"]["balance"]), 30);
  EXPECT_TRUE(fs::exists(dir_ / "from-config.db"));  // the file's db

  // Flags win over the file.
  CommandResult flags = Run({"--config", config.string(), "--db", db_, "keys", "create", "--name",
                             "b", "--qps", "9", "--json"},
                            false);
  ASSERT_EQ(flags.exit_code, 0) << err_;
  simdjson::dom::element b = Parse(flags.out);
  EXPECT_EQ(int64_t(b["details"]["qps"]), 9);
  EXPECT_EQ(int64_t(b["details"]["balance"]), 30);
  EXPECT_TRUE(fs::exists(db_));

  // An unknown setting is refused, naming it.
  std::ofstream(config, std::ios::app) << "quota = 5\n";
  CommandResult unknown =
      Run({"--config", config.string(), "keys", "create", "--name", "c"}, false);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(err_.find("quota"), std::string::npos) << err_;
  EXPECT_EQ(Run({"--config", (dir_ / "missing.toml").string(), "keys", "list"}, false).exit_code,
            2);
}

TEST_F(OperatorCliTest, ExitCodesAreDocumentedInHelp) {
  CommandResult help = Run({"--help"}, false);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Exit codes: 0"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace soundtrend::testing
