// The service's log output: level, format (text or JSON lines) and destination (stderr or
// a file reopened on SIGUSR1 for logrotate), shared by serve's main logger and its
// per-request access log.
//
// JSON format: one object per line, {"time":"<RFC 3339 UTC, microseconds>","level":"info",
// "logger":"soundtrend", ...}. A message that is itself a JSON object (the access log's
// request lines, see http/server.h) has its fields merged into the line; any other message
// goes in "message", escaped.
//
// Reopening: the log file's descriptor number stays the same for the whole run; Reopen
// opens the path again (creating it) and dup2()s the new file onto that number, so every
// sink writing to it moves to the new file at once, without a lock or a lost line.
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace soundtrend::app {

inline constexpr std::string_view kLogLevels[] = {"trace", "debug",    "info", "warn",
                                                  "error", "critical", "off"};
inline constexpr std::string_view kLogFormats[] = {"text", "json"};

// A formatter writing the JSON lines above.
std::unique_ptr<spdlog::formatter> MakeJsonLogFormatter();

// The text pattern of serve's logs (spdlog's default, with UTC time).
inline constexpr char kTextLogPattern[] = "[%Y-%m-%dT%H:%M:%S.%fZ] [%l] %v";

class LogFile {
 public:
  // `path` empty: stderr (Reopen does nothing). Otherwise opened for appending, created
  // with mode 0640 if missing. IoError naming the path when it cannot be opened.
  static Result<std::unique_ptr<LogFile>> Open(const std::string& path);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // Opens the path again and moves fd() onto it (see above). Thread-safe with writers.
  Status Reopen();

 private:
  LogFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

}  // namespace soundtrend::app
