// The reference page's Python and JavaScript examples, unchanged except for the base URL
// and the key, run against a server on 127.0.0.1. See README.md in this directory for where
// the files come from and the substitution. One body per example, three servers
// (Examples/ReferenceExamplesTest.*/FakeGateway|Sqlite|Postgres): the serving routes over
// the API test doubles (in-process), and a real ServeApp (`soundtrend serve` in-process, as
// tests/contract/serve_app_test.cc drives it) with demo data and charging on, on SQLite and on
// a PostgreSQL database (issue 10: a reference client runs unchanged on a PostgreSQL node).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "app/serve_app.h"
#include "app/stores.h"
#include "common/regions.h"
#include "contract_util.h"
#include "demo/demo_files.h"
#include "engine/publisher.h"
#include "gateway/backend_param.h"
#include "ingest/ingester.h"
#include "serving_fixture.h"

extern char** environ;

namespace soundtrend::contract {
namespace {

constexpr char kReferenceBaseUrl[] = "https://api.keyapi.ai";
constexpr char kReferenceKey[] = "<YOUR_API_KEY>";

struct ProcessRun {
  bool started = false;
  int exit_code = -1;
  std::string output;  // stdout + stderr
};

// Runs argv[0] (searched in PATH) with stdout and stderr captured; bounded by `timeout`.
ProcessRun RunProcess(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  ProcessRun run;
  int out[2];
  if (pipe(out) != 0) return run;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<std::string> storage = args;
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Loopback must not go through a proxy the environment may configure.
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  env_storage.emplace_back("NO_PROXY=127.0.0.1,localhost");
  env_storage.emplace_back("no_proxy=127.0.0.1,localhost");
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    return run;
  }
  run.started = true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{out[0], POLLIN, 0};
    if (poll(&pfd, 1, 200) <= 0) continue;
    char buf[4096];
    const ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;  // EOF: the process closed its output
    run.output.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  // Bounded wait for the real process (polling is for processes only, never for tests).
  int status = 0;
  pid_t waited = 0;
  while ((waited = waitpid(pid, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    usleep(10000);
  }
  if (waited == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    run.output += "\n[killed after the timeout]";
    return run;
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

// True when `command` runs and exits 0 (used to detect runtimes and modules).
bool Succeeds(const std::vector<std::string>& command) {
  ProcessRun r = RunProcess(command, std::chrono::seconds(30));
  return r.started && r.exit_code == 0;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The substitution step: the reference base URL and key placeholder, nothing else.
std::string Substitute(std::string text, const std::string& base_url, const std::string& key) {
  size_t replaced = 0;
  for (auto [from, to] : {std::pair<std::string, std::string>{kReferenceBaseUrl, base_url},
                          std::pair<std::string, std::string>{kReferenceKey, key}}) {
    for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos)) {
      text.replace(pos, from.size(), to);
      pos += to.size();
      ++replaced;
    }
  }
  EXPECT_EQ(replaced, 2u) << "each example names the base URL and the key once";
  return text;
}

// The server an example runs against.
enum class Server { kFakeGateway, kSqlite, kPostgres };
std::string ServerName(const ::testing::TestParamInfo<Server>& info) {
  switch (info.param) {
    case Server::kFakeGateway:
      return "FakeGateway";
    case Server::kSqlite:
      return "Sqlite";
    case Server::kPostgres:
      return "Postgres";
  }
  return "?";
}

// The request both examples make (their params, in their order).
constexpr char kExampleRequest[] =
    "/v1/tiktok/trending/music?search_keyword=FALSE&page=1&limit=20&period=7&region=US"
    "&new_to_top_100=false&commercial_music=false";

class ReferenceExamplesTest : public ::testing::TestWithParam<Server> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) c = c == '/' ? '_' : c;
    dir_ = std::filesystem::temp_directory_path() /
           ("st_examples_" + std::to_string(getpid()) + "_" + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    if (GetParam() == Server::kFakeGateway) {
      fake_ = std::make_unique<ServingStack>(MakeFakeGateway());
      port_ = fake_->port;
      key_ = kKey;
      return;
    }
    OpenNode(GetParam() == Server::kSqlite ? testing::TestBackend::kSqlite
                                           : testing::TestBackend::kPostgres);
  }
  void TearDown() override {
    node_.reset();
    fake_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // A real node: a small demo platform (US, up to the latest closed day) ingested into a
  // fresh database, `serve` opened on it (it publishes the charts before listening), charging
  // on, and a key with credits.
  void OpenNode(testing::TestBackend backend) {
    const std::string db = testing::FreshDatabase(backend, dir_, "soundtrend.db");
    app::ServeConfig config;
    config.db_path = db;
    config.port = 0;
    config.threads = 2;
    config.charging = true;
    config.node_id = "examples-node";
    config.state_dir = (dir_ / "state").string();
    config.access_log = std::make_shared<spdlog::logger>(
        "examples", std::make_shared<spdlog::sinks::null_sink_mt>());
    demo::DemoOptions demo;
    demo.sounds = 200;
    demo.days = 10;
    demo.regions = {*FindRegion("US")};
    demo.end_day =
        engine::LatestClosedDay(SystemClock::Instance().NowMicros(), config.lateness_seconds);
    auto written = demo::WriteDemoFiles(demo, (dir_ / "demo").string());
    ASSERT_TRUE(written.ok()) << written.status().ToString();
    {
      auto store = app::OpenChartStore(db);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      ingest::Ingester ingester(**store, SystemClock::Instance(), {});
      for (const demo::WrittenFile& file : written->files) {
        auto report = ingester.IngestFile(file.path);
        ASSERT_TRUE(report.ok()) << file.path << ": " << report.status().ToString();
      }
    }
    auto node = app::ServeApp::Open(config);
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    node_ = std::move(node).value();
    auto port = node_->Start();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    port_ = *port;
    gateway::NewKeySpec spec;
    spec.name = "examples";
    spec.credits = 1000;
    spec.qps_limit = 1000;
    auto key = node_->billing_gateway().CreateKey(spec);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    key_ = key->api_key;
  }

  // Writes the example with the substitutions into the temp dir; returns its path.
  std::string Prepare(const std::string& name) {
    const std::string source = ReadFile(std::string(ST_EXAMPLES_DIR) + "/" + name);
    EXPECT_FALSE(source.empty()) << name;
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary)
        << Substitute(source, "http://127.0.0.1:" + std::to_string(port_), key_);
    return path;
  }

  // What the server answers the examples' request (asked here directly, with the same key):
  // what the examples must print. Also its X-Credits-Remaining, to show the example's own
  // request was charged.
  struct Expected {
    int64_t total = 0;
    bool has_more = false;
    std::string first_clip_id;
    std::string first_title;
    int64_t credits_remaining = 0;
  };
  Expected Ask() {
    TestClient client(port_);
    Reply r = client.Get(kExampleRequest, key_);
    EXPECT_EQ(r.status, 200) << r.body;
    Json json(r.body);
    Expected e;
    if (!json.ok || r.status != 200) return e;
    simdjson::dom::element data = json.root["data"];
    e.total = int64_t(data["pagination"]["total"]);
    e.has_more = bool(data["pagination"]["has_more"]);
    simdjson::dom::array sounds = data["sound_list"];
    if (sounds.size() > 0) {
      e.first_clip_id = std::string(std::string_view(sounds.at(0)["clip_id"]));
      e.first_title = std::string(std::string_view(sounds.at(0)["title"]));
    }
    e.credits_remaining = std::stoll(r.Header("x-credits-remaining"));
    return e;
  }
  // The X-Credits-Remaining of one more request: the reference's minus this one's and the
  // example's (2 each) when the example's request was charged. The fake gateway charges too.
  void ExpectTheExampleWasCharged(const Expected& before) {
    EXPECT_EQ(Ask().credits_remaining, before.credits_remaining - 4);
  }

  std::filesystem::path dir_;
  std::unique_ptr<ServingStack> fake_;
  std::unique_ptr<app::ServeApp> node_;
  uint16_t port_ = 0;
  std::string key_;
};

TEST_P(ReferenceExamplesTest, PythonExampleRunsUnchanged) {
  if (!Succeeds({"python3", "--version"})) GTEST_SKIP() << "python3 is not installed";
  if (!Succeeds({"python3", "-c", "import requests"})) {
    GTEST_SKIP()
        << "the Python module 'requests' is not installed (apt-get install python3-requests)";
  }
  const Expected expected = Ask();
  ASSERT_GT(expected.total, 20) << "the page is not full: nothing to show";
  ProcessRun run = RunProcess({"python3", Prepare("trending_music.py")}, std::chrono::seconds(60));
  ASSERT_TRUE(run.started);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  // print(response.json()): the Python repr of the envelope, with the data in it.
  std::vector<std::string> wanted = {"'code': 0",
                                     "'message': 'success'",
                                     "'page': 1",
                                     "'size': 20",
                                     "'total': " + std::to_string(expected.total),
                                     expected.has_more ? "'has_more': True" : "'has_more': False",
                                     "'clip_id': '" + expected.first_clip_id + "'",
                                     "'is_search': False",
                                     "'requestId': '"};
  // A title's repr is 'title' unless it holds a quote or a backslash.
  if (expected.first_title.find_first_of("'\\\"") == std::string::npos) {
    wanted.push_back("'title': '" + expected.first_title + "'");
  }
  if (GetParam() == Server::kFakeGateway) {  // the test doubles' first sound, as it always was
    for (const char* fixed : {"'total': 100", "'title': 'New Sun'", "'author': 'Chihei Hatakeyama'",
                              "'clip_id': '7000000000000000001'", "'url_title': 'New-Sun'"}) {
      wanted.emplace_back(fixed);
    }
  }
  for (const std::string& text : wanted) {
    EXPECT_NE(run.output.find(text), std::string::npos) << text << "\n" << run.output;
  }
  ExpectTheExampleWasCharged(expected);
}

TEST_P(ReferenceExamplesTest, JavaScriptExampleRunsUnchanged) {
  if (!Succeeds({"node", "--version"})) GTEST_SKIP() << "node is not installed";
  if (!Succeeds({"node", "-e", "process.exit(typeof fetch === 'function' ? 0 : 1)"})) {
    GTEST_SKIP() << "this node has no global fetch (needs Node.js >= 18)";
  }
  const Expected expected = Ask();
  ASSERT_GT(expected.total, 20) << "the page is not full: nothing to show";
  // console.log(data) of the parsed JSON; `.mjs` makes the top-level await legal.
  ProcessRun run = RunProcess({"node", Prepare("trending_music.mjs")}, std::chrono::seconds(60));
  ASSERT_TRUE(run.started);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  for (const std::string& text :
       {std::string("code: 0"), std::string("message: 'success'"), std::string("page: 1"),
        std::string("size: 20"), "total: " + std::to_string(expected.total),
        std::string(expected.has_more ? "has_more: true" : "has_more: false"),
        std::string("sound_list: ["), std::string("[Object]"), std::string("requestId: '")}) {
    EXPECT_NE(run.output.find(text), std::string::npos) << text << "\n" << run.output;
  }
  ExpectTheExampleWasCharged(expected);
}

INSTANTIATE_TEST_SUITE_P(Examples, ReferenceExamplesTest,
                         ::testing::Values(Server::kFakeGateway, Server::kSqlite,
                                           Server::kPostgres),
                         ServerName);

}  // namespace
}  // namespace soundtrend::contract
