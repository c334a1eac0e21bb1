// soundtrend serve (see /work/notes/cli.md and serve_app.h).
//
// Signals: SIGTERM, SIGINT, SIGHUP and SIGUSR1 are blocked in every thread (the mask is set
// before any thread starts and inherited), and the main thread waits for them with sigwait,
// so they are handled as ordinary code. SIGTERM/SIGINT: ServeApp::Stop, then Wait (in-flight
// requests finish), then exit 0. SIGHUP: re-read keys and grants now (changes made with
// `soundtrend keys|credits` are otherwise seen within the gateway's reload interval) and
// reload the chart data from the store (data loaded by `soundtrend ingest` meanwhile).
// SIGUSR1: write out the buffered log lines, then reopen --log-file (logrotate's
// postrotate; app/logging.h).
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "app/buffered_log_sink.h"
#include "app/commands.h"
#include "app/database.h"
#include "app/logging.h"
#include "app/serve_app.h"
#include "app/stores.h"
#include "gateway/admin_auth.h"
#include "store/redis/redis_url.h"

namespace soundtrend::app {

namespace {

struct ServeFlags {
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 0;
  std::string admin_token;       // --admin-token (visible in ps: warned)
  std::string admin_token_file;  // --admin-token-file
  int64_t lateness_seconds = 7200;
  int64_t publish_interval_seconds = 60;
  bool no_charging = false;
  std::string ledger_sync = "normal";
  std::string web_dir = SOUNDTREND_DEFAULT_WEB_DIR;
  bool secure_cookies = false;
  std::vector<std::string> cors_origins;
  std::string node_id;             // --node-id; empty: "<host name>:<port>"
  std::string state_dir = "data";  // --state-dir: this node's ledger logs (PostgreSQL)
  std::string redis;               // --redis redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]
};

// --host as the numeric address to bind: a numeric address as it is, a name resolved once
// here (IPv4 first, so "localhost" binds 127.0.0.1). Runs before any data is loaded.
Result<std::string> ResolveHost(const std::string& host) {
  boost::system::error_code ec;
  const boost::asio::ip::address numeric = boost::asio::ip::make_address(host, ec);
  if (!ec) return numeric.to_string();
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  const auto results = resolver.resolve(host, "", ec);
  if (ec || results.empty()) {
    return Status::InvalidArgument("--host " + host + ": not a numeric address or a known name" +
                                   (ec ? " (" + ec.message() + ")" : ""));
  }
  std::optional<boost::asio::ip::address> chosen;
  for (const auto& entry : results) {
    const boost::asio::ip::address a = entry.endpoint().address();
    if (!chosen || (a.is_v4() && !chosen->is_v4())) chosen = a;
  }
  return chosen->to_string();
}

// The admin token: --admin-token-file (the file's first line), else --admin-token (warned:
// every local user sees a command line), else SOUNDTREND_ADMIN_TOKEN, else none. Both
// flags at once is a usage error.
Result<std::string> AdminToken(const ServeFlags& flags) {
  if (!flags.admin_token_file.empty() && !flags.admin_token.empty()) {
    return Status::InvalidArgument("give --admin-token-file or --admin-token, not both");
  }
  if (!flags.admin_token_file.empty()) {
    std::ifstream in(flags.admin_token_file, std::ios::binary);
    if (!in) {
      return Status::InvalidArgument("--admin-token-file " + flags.admin_token_file +
                                     ": cannot be read");
    }
    std::string token;
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t'))
      token.pop_back();
    if (token.empty()) {
      return Status::InvalidArgument("--admin-token-file " + flags.admin_token_file +
                                     ": the first line is empty");
    }
    struct stat st {};
    if (::stat(flags.admin_token_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      spdlog::warn("--admin-token-file {} is readable by other users (chmod 600 it)",
                   flags.admin_token_file);
    }
    return token;
  }
  if (!flags.admin_token.empty()) {
    spdlog::warn(
        "--admin-token puts the token on the command line, where every local user can read it "
        "(ps, /proc); use {} or --admin-token-file instead",
        gateway::kAdminTokenEnv);
    return flags.admin_token;
  }
  const char* env = std::getenv(std::string(gateway::kAdminTokenEnv).c_str());
  return std::string(env != nullptr ? env : "");
}

int RunServe(const GlobalOptions& global, const ServeFlags& flags) {
  // Logs go to stderr or --log-file: stdout carries only the "listening on" line.
  auto log_file = LogFile::Open(global.log_file);
  if (!log_file.ok()) {
    std::cerr << "serve: " << log_file.status().message() << "\n";
    return 1;
  }
  const bool json_logs = global.log_format == "json";
  auto format = [json_logs](spdlog::logger& logger) {
    if (json_logs) {
      logger.set_formatter(MakeJsonLogFormatter());
    } else {
      logger.set_pattern(kTextLogPattern, spdlog::pattern_time_type::utc);
    }
  };
  const spdlog::level::level_enum level = spdlog::level::from_str(global.log_level);

  const Result<std::string> host = ResolveHost(flags.host);
  if (!host.ok()) {
    std::cerr << "serve: " << host.status().message() << "\n";
    return 2;
  }
  // A bad --redis is a usage error, refused before the database is touched (the message
  // masks a password).
  if (!flags.redis.empty()) {
    const Result<store::redis::RedisAddress> redis = store::redis::ParseRedisUrl(flags.redis);
    if (!redis.ok()) {
      std::cerr << "serve: " << redis.status().message() << "\n";
      return 2;
    }
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Both loggers write through BufferedFdSink (created after the signal mask: its flusher
  // thread inherits it). The per-request lines are buffered per event loop and written in
  // blocks, so requests share no lock and make no write() per line; warnings and errors
  // are written at once. Everything is written out when the server stops.
  const int log_fd = (*log_file)->fd();
  auto logger =
      std::make_shared<spdlog::logger>("soundtrend", std::make_shared<BufferedFdSink>(log_fd));
  format(*logger);
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  auto access_log =
      std::make_shared<spdlog::logger>("access", std::make_shared<BufferedFdSink>(log_fd));
  format(*access_log);
  access_log->set_level(level);

  // After the logger: its warnings (the token on the command line) go to the log, never to
  // stdout, which carries only the "listening on" line.
  const Result<std::string> admin_token = AdminToken(flags);
  if (!admin_token.ok()) {
    std::cerr << "serve: " << admin_token.status().message() << "\n";
    return 2;
  }

  // A missing database is created (serve then loads data over POST /admin/v1/ingest), and
  // said so: a mistyped --db shows here rather than as empty charts.
  const Result<DbCheck> db_check = CheckDatabase(global.db_path, DbAccess::kCreate);
  if (!db_check.ok()) {
    std::cerr << "serve: " << db_check.status().message() << "\n";
    return db_check.status().code() == Status::Code::kInvalidArgument ? 2 : 1;
  }
  if (db_check->created) spdlog::warn("created a new database at {}", global.db_path);

  ServeConfig config;
  config.db_path = global.db_path;
  config.host = *host;
  config.port = static_cast<uint16_t>(flags.port);
  config.threads = flags.threads;
  config.admin_token = *admin_token;
  config.lateness_seconds = flags.lateness_seconds;
  config.publish_interval_seconds = flags.publish_interval_seconds;
  config.charging = !flags.no_charging;
  config.ledger_sync_full = flags.ledger_sync == "full";
  config.access_log = access_log;
  config.web_dir = flags.web_dir;
  config.secure_cookies = flags.secure_cookies;
  config.access_log_json = json_logs;
  config.cors_origins = flags.cors_origins;
  config.node_id = flags.node_id.empty() ? DefaultNodeId(flags.port) : flags.node_id;
  config.state_dir = flags.state_dir;
  config.redis_url = flags.redis;

  auto app = ServeApp::Open(config);
  if (!app.ok()) {
    std::cerr << "serve: " << app.status().ToString() << "\n";
    return 1;
  }
  auto port = (*app)->Start();
  if (!port.ok()) {
    std::cerr << "serve: " << port.status().ToString() << "\n";
    return 1;
  }
  const bool ipv6 = host->find(':') != std::string::npos;
  std::printf("listening on http://%s%s%s:%u\n", ipv6 ? "[" : "", host->c_str(), ipv6 ? "]" : "",
              static_cast<unsigned>(*port));
  std::fflush(stdout);

  int received = 0;
  while (sigwait(&signals, &received) == 0 && (received == SIGHUP || received == SIGUSR1)) {
    if (received == SIGUSR1) {
      // Lines logged so far go to the old file, later ones to the new.
      access_log->flush();
      logger->flush();
      const Status reopened = (*log_file)->Reopen();
      if (reopened.ok()) {
        spdlog::info("SIGUSR1: log file reopened");
      } else {
        spdlog::error("SIGUSR1: {}", reopened.ToString());
      }
      continue;
    }
    const Status reloaded = (*app)->billing_gateway().Reload();
    if (reloaded.ok()) {
      spdlog::info("SIGHUP: keys and grants reloaded");
    } else {
      spdlog::error("SIGHUP: reloading keys failed: {}", reloaded.ToString());
    }
    const Status charts = (*app)->ReloadCharts();
    if (!charts.ok()) spdlog::error("SIGHUP: reloading the charts failed: {}", charts.ToString());
  }
  spdlog::info("received {}, shutting down (in-flight requests finish)",
               received == SIGTERM ? "SIGTERM" : "SIGINT");
  (*app)->Stop();
  (*app)->Wait();
  app->reset();  // drains the ledger queue
  access_log->flush();
  spdlog::info("stopped");
  logger->flush();
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, GlobalOptions& global) {
  auto flags = std::make_shared<ServeFlags>();
  auto* cmd = app.add_subcommand("serve", "Serve the API (prints 'listening on URL' when ready)");
  cmd->add_option("--host", flags->host,
                  "address to bind: numeric IPv4/IPv6, or a name resolved at start (IPv4 "
                  "first; the listening line shows the address)")
      ->capture_default_str();
  cmd->add_option("--port", flags->port, "TCP port; 0 = any free port")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--threads", flags->threads, "event loops (default: hardware threads)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--admin-token", flags->admin_token,
                  "token for /admin/v1/* (admin API disabled when none is given); visible to "
                  "every local user: prefer the environment variable " +
                      std::string(gateway::kAdminTokenEnv) + " or --admin-token-file");
  cmd->add_option("--admin-token-file", flags->admin_token_file,
                  "file whose first line is the admin token (chmod 600)");
  cmd->add_option("--lateness-seconds", flags->lateness_seconds,
                  "a day is closed this long after its end")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--publish-interval-seconds", flags->publish_interval_seconds,
                  "how often to publish new charts")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("--no-charging", flags->no_charging,
                "successful requests cost 0 (keys and rate limits stay on)");
  cmd->add_option("--ledger-sync", flags->ledger_sync,
                  "normal: a charge is written to the event loop's charge lane (a memory-mapped "
                  "ledger log, moved into SQLite within a second) before its response is sent, "
                  "so it survives a crash of the process (kill -9); full: staged in groups and "
                  "fsynced before the response, so it survives power loss (one fdatasync per "
                  "group commit, a few ms)")
      ->check(CLI::IsMember({"normal", "full"}))
      ->capture_default_str();
  cmd->add_option("--web-dir", flags->web_dir,
                  "the dashboard's web build (index.html, docs.html, assets/), loaded at start")
      ->envname("SOUNDTREND_WEB_DIR")
      ->capture_default_str();
  cmd->add_option("--node-id", flags->node_id,
                  "this node's name in leases, ledger logs and logs (default: host name:port)")
      ->envname("SOUNDTREND_NODE_ID");
  cmd->add_option("--state-dir", flags->state_dir,
                  "with a PostgreSQL --db: the directory of this node's ledger logs "
                  "(<node id>-charges...), on this machine")
      ->capture_default_str();
  cmd->add_option("--redis", flags->redis,
                  "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]: rate limits shared with the other "
                  "nodes (GCRA in Redis; prefer the environment variable for a password; "
                  "while Redis is unreachable each node limits on its own, logged once, "
                  "counted in /metrics)")
      ->envname("SOUNDTREND_REDIS");
  cmd->add_flag("--secure-cookies", flags->secure_cookies,
                "mark the dashboard's session cookie Secure (the service is reached over TLS; "
                "also set per request by X-Forwarded-Proto: https)");
  cmd->add_option("--cors-origin", flags->cors_origins,
                  "A browser origin allowed to call the API (CORS), e.g. https://app.example.com; "
                  "repeat for several, \"*\" for any (default: none)")
      ->check([](const std::string& origin) -> std::string {
        if (origin == "*") return "";
        const size_t scheme = origin.find("://");
        if ((origin.rfind("http://", 0) != 0 && origin.rfind("https://", 0) != 0) ||
            origin.size() <= scheme + 3 || origin.back() == '/' ||
            origin.find('/', scheme + 3) != std::string::npos) {
          return "must be scheme://host[:port] (no path), e.g. https://app.example.com";
        }
        return "";
      });
  cmd->callback([&global, flags] {
    const int code = RunServe(global, *flags);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace soundtrend::app
