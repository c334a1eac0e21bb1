#include "cluster/cluster_fixture.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <regex>
#include <thread>

#include "store/postgres/pg_test_server.h"

namespace soundtrend::cluster {

using soundtrend::store::postgres::PgTestServer;
using soundtrend::testing::Field;
using soundtrend::testing::RunCommand;

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // Paces the poll (a busy loop would take a core from the nodes under test).
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::string WithoutRequestId(const std::string& body) {
  return std::regex_replace(body, std::regex("\"requestId\":\"[^\"]*\""), "\"requestId\":\"\"");
}

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

void ClusterTest::SetUp() {
  dir_ = std::filesystem::temp_directory_path() /
         ("st_cluster_" + std::to_string(getpid()) + "_" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  url_ = PgTestServer::Shared().CreateDatabase();
}

void ClusterTest::TearDown() {
  nodes_.clear();  // ~ServeProcess SIGKILLs and reaps what still runs
  std::filesystem::remove_all(dir_);
}

CommandResult ClusterTest::Cli(const std::string& db, std::vector<std::string> args) {
  std::vector<std::string> argv = {SOUNDTREND_BINARY, "--db", db};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, cli_log());
}

std::vector<std::string> ClusterTest::WriteDemo(const DemoOptions& demo) {
  const std::string out = (dir_ / "demo").string();
  const std::string tag = std::to_string(demo.sounds) + "/" + std::to_string(demo.days) + "/" +
                          demo.regions + "/" + std::to_string(demo.seed);
  if (demo_written_ != tag) {
    std::filesystem::remove_all(out);
    const CommandResult made =
        RunCommand({SOUNDTREND_BINARY, "demo", "--out", out, "--seed", std::to_string(demo.seed),
                    "--sounds", std::to_string(demo.sounds), "--days", std::to_string(demo.days),
                    "--regions", demo.regions},
                   cli_log());
    if (made.exit_code != 0) return {};
    demo_written_ = tag;
  }
  return {out + "/catalog.ndjson", out + "/daily.csv.gz", out + "/uses.ndjson.gz"};
}

::testing::AssertionResult ClusterTest::IngestDemo(const DemoOptions& demo) {
  return IngestDemoInto(url_, demo);
}

::testing::AssertionResult ClusterTest::IngestDemoInto(const std::string& db,
                                                       const DemoOptions& demo) {
  std::vector<std::string> files = WriteDemo(demo);
  if (files.empty()) return ::testing::AssertionFailure() << "demo failed:\n" << CliLog();
  std::vector<std::string> args = {"ingest"};
  args.insert(args.end(), files.begin(), files.end());
  const CommandResult ingested = Cli(db, args);
  if (ingested.exit_code != 0) {
    return ::testing::AssertionFailure() << "ingest exit " << ingested.exit_code << ":\n"
                                         << CliLog();
  }
  return ::testing::AssertionSuccess();
}

std::string ClusterTest::CreateKey(long long credits, long long qps, long long burst,
                                   std::vector<std::string> extra) {
  std::vector<std::string> args = {"keys",      "create",
                                   "--name",    "test",
                                   "--credits", std::to_string(credits),
                                   "--qps",     std::to_string(qps),
                                   "--burst",   std::to_string(burst)};
  args.insert(args.end(), extra.begin(), extra.end());
  const CommandResult created = Cli(args);
  if (created.exit_code != 0) return "";
  const std::string key = FirstLine(created.out);
  key_ids_[key] = Field(created.out, "key_id");
  return key;
}

std::string ClusterTest::KeyIdOf(const std::string& key) const {
  auto it = key_ids_.find(key);
  return it == key_ids_.end() ? "" : it->second;
}

std::vector<std::string> ClusterTest::NodeArgv(const std::string& name,
                                               const NodeOptions& options) const {
  std::vector<std::string> argv = {
      SOUNDTREND_BINARY, "--db", url_,          "serve",
      "--port",          "0",    "--threads",   std::to_string(options.threads),
      "--node-id",       name,   "--state-dir", (dir_ / ("state-" + name)).string()};
  argv.insert(argv.end(), node_extra_args_.begin(), node_extra_args_.end());
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  return argv;
}

::testing::AssertionResult ClusterTest::StartNode(const std::string& name,
                                                  const NodeOptions& options) {
  nodes_.erase(name);  // a previous process of that name (SIGKILLed if it still ran)
  auto process =
      std::make_unique<ServeProcess>(NodeArgv(name, options), NodeLogPath(name).string());
  const uint16_t port = process->port();
  const std::string line = process->line();
  nodes_[name] = std::move(process);
  if (port == 0) {
    return ::testing::AssertionFailure()
           << name << " did not start (first line '" << line << "'):\n"
           << NodeLog(name);
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ClusterTest::StartNodes(int n, const NodeOptions& options) {
  for (int i = 0; i < n; ++i) {
    ::testing::AssertionResult started = StartNode(NodeName(i), options);
    if (!started) return started;
  }
  return ::testing::AssertionSuccess();
}

ServeProcess& ClusterTest::node(const std::string& name) {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) throw std::runtime_error("no node " + name);
  return *it->second;
}

int ClusterTest::StopNode(const std::string& name, int sig) {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return -1;
  return it->second->Stop(sig);
}

bool ClusterTest::WaitForLog(const std::string& name, const std::string& text, size_t times,
                             std::chrono::milliseconds timeout) const {
  const std::filesystem::path path = NodeLogPath(name);
  return WaitUntil([&] { return Count(Slurp(path), text) >= times; }, timeout);
}

}  // namespace soundtrend::cluster
