// The cluster tests' fixture (issue 10): a temporary directory, a fresh database on the
// process's private PostgreSQL (PgTestServer::Shared(), a free loopback port), the CLI on
// that database, a seeded demo ingested, keys, and N real `soundtrend serve` nodes with
// their own --node-id, --state-dir and log file. Used by every file in tests/cluster/.
//
//   class MyTest : public cluster::ClusterTest {};
//   TEST_F(MyTest, X) {
//     ASSERT_TRUE(IngestDemo());
//     const std::string key = CreateKey(1000);
//     ASSERT_TRUE(StartNodes(3));                      // node-0, node-1, node-2
//     contract::TestClient a(node(0).port());
//     StopNode(0, SIGKILL);  ASSERT_TRUE(RestartNode(0));   // same id, same state dir
//   }
//
// Extra serve flags for every node (e.g. {"--redis", url}): set node_extra_args_ before
// StartNodes, or give them per node in NodeOptions. Waits poll with a deadline on the
// steady clock (WaitUntil); nothing sleeps to wait.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/process_util.h"

namespace soundtrend::cluster {

using soundtrend::testing::CommandResult;
using soundtrend::testing::FirstLine;
using soundtrend::testing::ServeProcess;

// The demo platform a test ingests (small: a test's build of every edition stays short).
struct DemoOptions {
  int sounds = 40;
  int days = 10;
  std::string regions = "US";
  int seed = 42;
};

struct NodeOptions {
  int threads = 2;
  std::vector<std::string> extra_args;  // after the fixture's node_extra_args_
};

// Polls `done` until it is true or `timeout` has passed on the steady clock (a short pause
// between polls paces it; it never waits longer than the deadline).
bool WaitUntil(const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(30));

// A body with its per-request part (requestId) blanked, for byte comparisons across nodes.
std::string WithoutRequestId(const std::string& body);

// The whole text of a file ("" when it does not exist).
std::string Slurp(const std::filesystem::path& path);

// How many times `what` occurs in `text`.
size_t Count(const std::string& text, const std::string& what);

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override;     // dir_ (fresh), url_ (a fresh empty database)
  void TearDown() override;  // SIGKILLs the nodes still running, removes dir_

  // `soundtrend --db DB ARGS...`, stderr appended to cli.log.
  CommandResult Cli(const std::string& db, std::vector<std::string> args);
  CommandResult Cli(std::vector<std::string> args) { return Cli(url_, std::move(args)); }
  std::string cli_log() const { return (dir_ / "cli.log").string(); }
  std::string CliLog() const { return Slurp(cli_log()); }

  // Writes the demo platform into dir_/demo (once per options) and returns its files.
  std::vector<std::string> WriteDemo(const DemoOptions& demo = {});
  // Writes the demo and ingests it into `db` (default url_).
  ::testing::AssertionResult IngestDemo(const DemoOptions& demo = {});
  ::testing::AssertionResult IngestDemoInto(const std::string& db, const DemoOptions& demo = {});
  // Creates a key on url_ and returns it ("" on failure; the CLI log says why). qps/burst
  // default high enough that limits never interfere.
  std::string CreateKey(long long credits, long long qps = 100000, long long burst = 100000,
                        std::vector<std::string> extra = {});
  // The key id of a key ("key_..." is the part the CLI prints in `keys list`): the key
  // string's id as `keys create` printed it on its "key_id: " line.
  std::string KeyIdOf(const std::string& key) const;

  // Node i is "node-<i>" with state dir dir_/state-node-<i> and log dir_/node-<i>.log.
  static std::string NodeName(int i) { return "node-" + std::to_string(i); }
  std::vector<std::string> NodeArgv(const std::string& name, const NodeOptions& options) const;
  // Starts node `name` (replacing a stopped one of that name: a restart keeps its id and
  // state dir); false when it did not print "listening on" within 30 s.
  ::testing::AssertionResult StartNode(const std::string& name, const NodeOptions& options = {});
  ::testing::AssertionResult StartNodes(int n, const NodeOptions& options = {});
  ::testing::AssertionResult RestartNode(int i, const NodeOptions& options = {}) {
    return StartNode(NodeName(i), options);
  }
  ServeProcess& node(int i) { return node(NodeName(i)); }
  ServeProcess& node(const std::string& name);
  bool HasNode(const std::string& name) const { return nodes_.count(name) != 0; }
  // Sends `sig` and waits for the exit; returns the exit code (-1 when killed by a signal).
  int StopNode(int i, int sig) { return StopNode(NodeName(i), sig); }
  int StopNode(const std::string& name, int sig);
  std::filesystem::path NodeLogPath(const std::string& name) const {
    return dir_ / (name + ".log");
  }
  std::string NodeLog(int i) const { return Slurp(NodeLogPath(NodeName(i))); }
  std::string NodeLog(const std::string& name) const { return Slurp(NodeLogPath(name)); }
  // Waits until node `name`'s log holds `text` `times` times (info lines are flushed by a
  // thread: read the log through this, not once).
  bool WaitForLog(const std::string& name, const std::string& text, size_t times = 1,
                  std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

  std::filesystem::path dir_;
  std::string url_;
  std::vector<std::string> node_extra_args_;  // given to every node started after it is set

 private:
  std::map<std::string, std::unique_ptr<ServeProcess>> nodes_;
  std::map<std::string, std::string> key_ids_;  // key -> key id
  std::string demo_written_;                    // the options the demo in dir_/demo was made with
};

}  // namespace soundtrend::cluster
