// Running the real `soundtrend` binary from a test: one-shot commands (exit code + stdout)
// and a `serve` process on 127.0.0.1 with an ephemeral port, read from its
// "listening on http://HOST:PORT" line. Waits poll with deadlines; nothing sleeps blindly.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

extern char** environ;

namespace soundtrend::testing {

struct CommandResult {
  int exit_code = -1;  // -1: did not exit normally
  std::string out;     // stdout
};

// Starts `argv` with stdout on a pipe (returned in *stdout_fd) and stderr appended to
// `stderr_path` (or inherited when empty). Returns the pid, or -1.
inline pid_t SpawnWithPipe(const std::vector<std::string>& argv, int* stdout_fd,
                           const std::string& stderr_path = "") {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  if (!stderr_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return -1;
  }
  *stdout_fd = fds[0];
  return pid;
}

inline int WaitExit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Runs a command to completion.
inline CommandResult RunCommand(const std::vector<std::string>& argv,
                                const std::string& stderr_path = "") {
  CommandResult result;
  int fd = -1;
  const pid_t pid = SpawnWithPipe(argv, &fd, stderr_path);
  if (pid < 0) return result;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      result.out.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(fd);
  result.exit_code = WaitExit(pid);
  return result;
}

inline std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

// The value of a "name: value" line.
inline std::string Field(const std::string& text, const std::string& name) {
  const std::string prefix = name + ": ";
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    if (text.compare(pos, prefix.size(), prefix) == 0) {
      return text.substr(pos + prefix.size(), end - pos - prefix.size());
    }
    pos = end + 1;
  }
  return "";
}

// A `soundtrend ... serve --port 0` process.
class ServeProcess {
 public:
  // Starts it and waits (up to `timeout`) for its "listening on" line; port() is 0 when it
  // did not come up.
  ServeProcess(const std::vector<std::string>& argv, const std::string& stderr_path,
               std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    pid_ = SpawnWithPipe(argv, &fd_, stderr_path);
    if (pid_ < 0) return;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string out;
    while (out.find('\n') == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[256];
      const ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) return;  // exited before listening
      out.append(buf, static_cast<size_t>(n));
    }
    line_ = FirstLine(out);
    const size_t colon = line_.rfind(':');
    if (line_.rfind("listening on http://", 0) == 0 && colon != std::string::npos) {
      port_ = static_cast<uint16_t>(std::stoi(line_.substr(colon + 1)));
    }
  }
  ~ServeProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      WaitExit(pid_);
    }
    if (fd_ >= 0) close(fd_);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& line() const { return line_; }
  // Sends `sig` and waits for the exit; returns the exit code (-1 when killed by a signal).
  int Stop(int sig) {
    if (pid_ <= 0 || exited_) return -1;
    kill(pid_, sig);
    exited_ = true;
    return WaitExit(pid_);
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  bool exited_ = false;
  uint16_t port_ = 0;
  std::string line_;
};

}  // namespace soundtrend::testing
