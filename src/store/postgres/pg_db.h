// A small libpq wrapper shared by the PostgreSQL stores: one connection, statements with
// bound parameters only (PQexecParams; never SQL built from values), results read by
// row and column, transactions, and errors as Status (a lost connection is Unavailable,
// retried with one reconnect at the next call).
// Not thread-safe: a store serializes its calls on its connection.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace soundtrend::store::postgres {

// A bound parameter: text (integers are written as text), binary bytes (bytea), or NULL.
class PgParam {
 public:
  PgParam(std::nullopt_t) : null_(true) {}                           // NOLINT: implicit by design
  PgParam(std::string_view text) : value_(text) {}                   // NOLINT
  PgParam(const std::string& text) : value_(text) {}                 // NOLINT
  PgParam(const char* text) : value_(text) {}                        // NOLINT
  PgParam(int64_t v) : owned_(std::to_string(v)), value_(owned_) {}  // NOLINT
  PgParam(int v) : PgParam(static_cast<int64_t>(v)) {}               // NOLINT
  PgParam(std::optional<int64_t> v) : null_(!v) {                    // NOLINT
    if (v) {
      owned_ = std::to_string(*v);
      value_ = owned_;
    }
  }
  static PgParam Bytes(std::string_view bytes) {
    PgParam p(bytes);
    p.binary_ = true;
    return p;
  }
  PgParam(const PgParam& o)
      : owned_(o.owned_),
        value_(o.owned_.empty() ? o.value_ : owned_),
        null_(o.null_),
        binary_(o.binary_) {}

  bool null() const { return null_; }
  bool binary() const { return binary_; }
  std::string_view value() const { return value_; }

 private:
  std::string owned_;
  std::string_view value_;
  bool null_ = false;
  bool binary_ = false;
};

class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r, &PQclear) {}
  int rows() const { return PQntuples(r_.get()); }
  bool null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view text(int row, int col) const {
    return {PQgetvalue(r_.get(), row, col), static_cast<size_t>(PQgetlength(r_.get(), row, col))};
  }
  int64_t integer(int row, int col) const;
  std::optional<int64_t> optional_integer(int row, int col) const {
    if (null(row, col)) return std::nullopt;
    return integer(row, col);
  }
  // A bytea column (text format "\x..."), decoded.
  std::string bytes(int row, int col) const;

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_;
};

// A connect (and a reconnect) gives up after this many seconds unless the URL sets its own
// connect_timeout: a host that never answers must not hold a thread for the OS's TCP
// timeout (minutes).
inline constexpr int kDefaultConnectTimeoutSeconds = 10;

class PgConnection {
 public:
  // `url`: a libpq connection URI (postgresql://USER@HOST:PORT/DB) or key=value string; its
  // connect_timeout, when it has one, wins over `default_connect_timeout_seconds`.
  static Result<std::unique_ptr<PgConnection>> Open(
      const std::string& url, int default_connect_timeout_seconds = kDefaultConnectTimeoutSeconds);
  ~PgConnection();

  // Runs one statement with bound parameters (`$1`, `$2`, ...).
  Result<PgResult> Exec(std::string_view sql, std::span<const PgParam> params);
  Result<PgResult> Exec(std::string_view sql, std::initializer_list<PgParam> params = {}) {
    return Exec(sql, std::span<const PgParam>(params.begin(), params.size()));
  }
  // Runs one query and calls `row(result, 0)` for each row as it arrives (libpq's
  // single-row mode: the rows are never all in memory). Stops at `row`'s first error.
  Status ForEachRow(std::string_view sql, std::span<const PgParam> params,
                    const std::function<Status(const PgResult&)>& row);
  // Runs a script of statements without parameters (migrations).
  Status ExecScript(std::string_view sql);

  // LISTEN on a channel: notifications then queue on this connection (WaitNotifications).
  // A reconnect forgets it: listen again after an Unavailable.
  Status Listen(std::string_view channel);
  // The payloads of the notifications that arrived, waiting up to `timeout_millis` for
  // the first one (poll on the connection's socket; never blocks longer).
  Result<std::vector<std::string>> WaitNotifications(int timeout_millis);

  // Runs `setup` on every new session of this connection after a reconnect, before the
  // statement that reconnected (a session-level state the store needs on every session it
  // uses, e.g. PgKeyStore's node id lock). When it fails, that statement fails with its
  // status without being sent, and the next call runs it again; no other statement runs on
  // the new session before it has succeeded. Not for the first session (Open's caller has
  // set it up).
  void SetSessionSetup(std::function<Status(PgConnection&)> setup) { setup_ = std::move(setup); }

  // The SQLSTATE of the last failed statement ("" after a success), e.g. "23505".
  const std::string& last_sqlstate() const { return sqlstate_; }
  const std::string& url() const { return url_; }

 private:
  PgConnection(std::string url, PGconn* conn) : url_(std::move(url)), conn_(conn) {}
  Status Fail(PGresult* r, std::string_view what);
  // The parameter arrays of PQexecParams / PQsendQueryParams for `params`.
  struct Bound {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    std::vector<std::string> text;
  };
  static void Bind(std::span<const PgParam> params, Bound& out);
  Status EnsureConnected();

  std::string url_;
  PGconn* conn_;
  std::string sqlstate_;
  std::function<Status(PgConnection&)> setup_;
  bool setup_pending_ = false;  // a new session on which setup_ has not yet succeeded
  bool in_setup_ = false;       // setup_'s own statements run
};

// BEGIN ... COMMIT on a connection; rolls back when destroyed uncommitted.
class PgTransaction {
 public:
  // `begin`: "BEGIN", "BEGIN ISOLATION LEVEL REPEATABLE READ", ...
  explicit PgTransaction(PgConnection& db, std::string_view begin = "BEGIN");
  ~PgTransaction();
  const Status& status() const { return status_; }
  Status Commit();

 private:
  PgConnection& db_;
  Status status_;
  bool open_ = false;
};

// Round trips to PostgreSQL made by this process so far (every connection): each statement,
// script and (re)connect counts one. /metrics shows it as soundtrend_pg_round_trips_total.
uint64_t PgRoundTrips();

// The URL names a PostgreSQL database (postgresql:// or postgres://).
bool IsPostgresUrl(std::string_view url);

}  // namespace soundtrend::store::postgres
