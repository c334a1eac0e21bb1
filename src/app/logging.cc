#include "app/logging.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "common/json_writer.h"

namespace soundtrend::app {
namespace {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line;
    line.reserve(msg.payload.size() + 96);
    line += "{\"time\":\"";
    const auto since_epoch = msg.time.time_since_epoch();
    const int64_t micros =
        std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count();
    const std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[48];
    const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    line.append(buf, n);
    std::snprintf(buf, sizeof buf, ".%06dZ\"", static_cast<int>(micros % 1000000));
    line += buf;
    line += ",\"level\":";
    const auto level = spdlog::level::to_string_view(msg.level);
    json::AppendString(line, std::string_view(level.data(), level.size()));
    line += ",\"logger\":";
    json::AppendString(line, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (payload.size() >= 2 && payload.front() == '{' && payload.back() == '}') {
      if (payload.size() > 2) {
        line += ',';
        line.append(payload.substr(1));
      } else {
        line += '}';
      }
    } else {
      line += ",\"message\":";
      json::AppendString(line, json::IsValidUtf8(payload) ? payload : "<not UTF-8>");
      line += '}';
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>();
  }
};

int OpenForAppend(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

}  // namespace

std::unique_ptr<spdlog::formatter> MakeJsonLogFormatter() {
  return std::make_unique<JsonLogFormatter>();
}

Result<std::unique_ptr<LogFile>> LogFile::Open(const std::string& path) {
  if (path.empty()) return std::unique_ptr<LogFile>(new LogFile("", STDERR_FILENO));
  const int fd = OpenForAppend(path);
  if (fd < 0) {
    return Status::IoError("--log-file " + path + ": cannot open: " + std::strerror(errno));
  }
  return std::unique_ptr<LogFile>(new LogFile(path, fd));
}

LogFile::~LogFile() {
  if (!path_.empty()) ::close(fd_);
}

Status LogFile::Reopen() {
  if (path_.empty()) return Status::Ok();
  const int fresh = OpenForAppend(path_);
  if (fresh < 0) {
    return Status::IoError("cannot reopen " + path_ + ": " + std::strerror(errno));
  }
  const int moved = ::dup3(fresh, fd_, O_CLOEXEC);
  const int saved_errno = errno;
  ::close(fresh);
  if (moved < 0) {
    return Status::IoError("cannot reopen " + path_ + ": " + std::strerror(saved_errno));
  }
  return Status::Ok();
}

}  // namespace soundtrend::app
