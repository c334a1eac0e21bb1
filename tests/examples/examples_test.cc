// The reference page's Python and JavaScript examples, unchanged except for the base URL
// and the key, run against the real server (in-process, socket on 127.0.0.1). See
// README.md in this directory for where the files come from and the substitution.
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

class ReferenceExamplesTest : public ::testing::Test {
 protected:
  ReferenceExamplesTest()
      : stack_(MakeFakeGateway()),
        dir_(std::filesystem::temp_directory_path() /
             ("st_examples_" + std::to_string(getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::create_directories(dir_);
  }
  ~ReferenceExamplesTest() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Writes the example with the substitutions into the temp dir; returns its path.
  std::string Prepare(const std::string& name) {
    const std::string source = ReadFile(std::string(ST_EXAMPLES_DIR) + "/" + name);
    EXPECT_FALSE(source.empty()) << name;
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary)
        << Substitute(source, "http://127.0.0.1:" + std::to_string(stack_.port), kKey);
    return path;
  }

  ServingStack stack_;
  std::filesystem::path dir_;
};

TEST_F(ReferenceExamplesTest, PythonExampleRunsUnchanged) {
  if (!Succeeds({"python3", "--version"})) GTEST_SKIP() << "python3 is not installed";
  if (!Succeeds({"python3", "-c", "import requests"})) {
    GTEST_SKIP()
        << "the Python module 'requests' is not installed (apt-get install python3-requests)";
  }
  ProcessRun run = RunProcess({"python3", Prepare("trending_music.py")}, std::chrono::seconds(60));
  ASSERT_TRUE(run.started);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  // print(response.json()): the Python repr of the envelope, with the data in it.
  for (const char* expected : {"'code': 0", "'message': 'success'", "'page': 1", "'size': 20",
                               "'total': 100", "'has_more': True", "'title': 'New Sun'",
                               "'author': 'Chihei Hatakeyama'", "'clip_id': '7000000000000000001'",
                               "'url_title': 'New-Sun'", "'is_search': False", "'requestId': '"}) {
    EXPECT_NE(run.output.find(expected), std::string::npos) << expected << "\n" << run.output;
  }
}

TEST_F(ReferenceExamplesTest, JavaScriptExampleRunsUnchanged) {
  if (!Succeeds({"node", "--version"})) GTEST_SKIP() << "node is not installed";
  if (!Succeeds({"node", "-e", "process.exit(typeof fetch === 'function' ? 0 : 1)"})) {
    GTEST_SKIP() << "this node has no global fetch (needs Node.js >= 18)";
  }
  // console.log(data) of the parsed JSON; `.mjs` makes the top-level await legal.
  ProcessRun run = RunProcess({"node", Prepare("trending_music.mjs")}, std::chrono::seconds(60));
  ASSERT_TRUE(run.started);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  for (const char* expected : {"code: 0", "message: 'success'", "page: 1", "size: 20", "total: 100",
                               "has_more: true", "sound_list: [", "[Object]", "requestId: '"}) {
    EXPECT_NE(run.output.find(expected), std::string::npos) << expected << "\n" << run.output;
  }
}

}  // namespace
}  // namespace soundtrend::contract
