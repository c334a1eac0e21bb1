#include "store/postgres/pg_db.h"

#include <poll.h>

#include <charconv>

#include "common/process_counters.h"

namespace soundtrend::store::postgres {
namespace {

// One statement (or script) sent and its results read is one round trip; so is a
// (re)connect. LISTEN's notifications arrive without one. bench/cluster.sh reads it.
ProcessCounter g_round_trips("soundtrend_pg_round_trips_total",
                             "PostgreSQL round trips (statements, scripts, connects).");

}  // namespace

int64_t PgResult::integer(int row, int col) const {
  std::string_view t = text(row, col);
  int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

std::string PgResult::bytes(int row, int col) const {
  size_t length = 0;
  unsigned char* raw = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(r_.get(), row, col)), &length);
  if (raw == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(raw), length);
  PQfreemem(raw);
  return out;
}

uint64_t PgRoundTrips() { return g_round_trips.value(); }

bool IsPostgresUrl(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& url,
                                                         int default_connect_timeout_seconds) {
  g_round_trips.Add();
  // The URL is expanded in place of dbname (expand_dbname): what it sets overrides the
  // default given before it.
  const std::string timeout = std::to_string(default_connect_timeout_seconds);
  const char* const keywords[] = {"connect_timeout", "dbname", nullptr};
  const char* const values[] = {timeout.c_str(), url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Status::Unavailable("PostgreSQL: out of memory connecting");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    return Status::Unavailable("PostgreSQL: cannot connect: " + message);
  }
  // Notices (e.g. "relation already exists, skipping") are not errors: keep them off stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(url, conn));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

Status PgConnection::EnsureConnected() {
  if (PQstatus(conn_) != CONNECTION_OK) {
    g_round_trips.Add();
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      sqlstate_ = "08006";
      return Status::Unavailable(std::string("PostgreSQL: connection lost: ") +
                                 PQerrorMessage(conn_));
    }
    setup_pending_ = setup_ != nullptr;  // a new session: nothing of the old one holds
  }
  if (setup_pending_ && !in_setup_) {
    in_setup_ = true;
    Status set_up = setup_(*this);
    in_setup_ = false;
    if (!set_up.ok()) return set_up;
    setup_pending_ = false;
  }
  return Status::Ok();
}

Status PgConnection::Fail(PGresult* r, std::string_view what) {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  sqlstate_ = state != nullptr ? state : "";
  std::string message = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
  if (r != nullptr) PQclear(r);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  const bool lost = PQstatus(conn_) != CONNECTION_OK || sqlstate_.starts_with("08") ||
                    sqlstate_ == "57P01" || sqlstate_ == "57P03";
  std::string text = "PostgreSQL: " + std::string(what) + ": " + message;
  if (lost) return Status::Unavailable(std::move(text));
  if (sqlstate_ == "23505") return Status::AlreadyExists(std::move(text));
  return Status::IoError(std::move(text));
}

void PgConnection::Bind(std::span<const PgParam> params, Bound& out) {
  out.values.assign(params.size(), nullptr);
  out.lengths.assign(params.size(), 0);
  out.formats.assign(params.size(), 0);
  out.text.assign(params.size(), std::string());
  for (size_t i = 0; i < params.size(); ++i) {
    const PgParam& p = params[i];
    if (p.null()) continue;
    if (p.binary()) {
      out.values[i] = p.value().data();
      out.formats[i] = 1;
    } else {
      out.text[i].assign(p.value());  // text parameters are C strings
      out.values[i] = out.text[i].c_str();
    }
    out.lengths[i] = static_cast<int>(p.value().size());
  }
}

Result<PgResult> PgConnection::Exec(std::string_view sql, std::span<const PgParam> params) {
  ST_RETURN_IF_ERROR(EnsureConnected());
  Bound b;
  Bind(params, b);
  const std::string statement(sql);
  g_round_trips.Add();
  PGresult* r =
      PQexecParams(conn_, statement.c_str(), static_cast<int>(params.size()), nullptr,
                   b.values.data(), b.lengths.data(), b.formats.data(), /*text results*/ 0);
  const ExecStatusType st = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Fail(r, "statement failed");
  sqlstate_.clear();
  return PgResult(r);
}

Status PgConnection::ForEachRow(std::string_view sql, std::span<const PgParam> params,
                                const std::function<Status(const PgResult&)>& row) {
  ST_RETURN_IF_ERROR(EnsureConnected());
  Bound b;
  Bind(params, b);
  const std::string statement(sql);
  g_round_trips.Add();
  if (PQsendQueryParams(conn_, statement.c_str(), static_cast<int>(params.size()), nullptr,
                        b.values.data(), b.lengths.data(), b.formats.data(), 0) != 1) {
    return Fail(nullptr, "query not sent");
  }
  PQsetSingleRowMode(conn_);
  Status result;
  // Every result must be read, also after an error, before the connection is usable again.
  while (PGresult* r = PQgetResult(conn_)) {
    const ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_SINGLE_TUPLE) {
      PgResult one(r);
      if (result.ok()) result = row(one);
    } else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
      PQclear(r);
    } else {
      Status failed = Fail(r, "query failed");
      if (result.ok()) result = std::move(failed);
    }
  }
  if (result.ok()) sqlstate_.clear();
  return result;
}

Status PgConnection::ExecScript(std::string_view sql) {
  ST_RETURN_IF_ERROR(EnsureConnected());
  const std::string script(sql);
  g_round_trips.Add();
  PGresult* r = PQexec(conn_, script.c_str());
  const ExecStatusType st = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Fail(r, "script failed");
  PQclear(r);
  sqlstate_.clear();
  return Status::Ok();
}

Status PgConnection::Listen(std::string_view channel) {
  // A channel name is an identifier, not a value: ours are constants ([a-z_]).
  for (char c : channel) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) return Status::InvalidArgument("bad channel name");
  }
  return Exec("LISTEN " + std::string(channel)).status();
}

Result<std::vector<std::string>> PgConnection::WaitNotifications(int timeout_millis) {
  ST_RETURN_IF_ERROR(EnsureConnected());
  std::vector<std::string> out;
  auto drain = [&]() -> Status {
    if (PQconsumeInput(conn_) != 1) {
      sqlstate_ = "08006";
      return Status::Unavailable(std::string("PostgreSQL: connection lost: ") +
                                 PQerrorMessage(conn_));
    }
    while (PGnotify* n = PQnotifies(conn_)) {
      out.emplace_back(n->extra != nullptr ? n->extra : "");
      PQfreemem(n);
    }
    return Status::Ok();
  };
  ST_RETURN_IF_ERROR(drain());
  if (!out.empty() || timeout_millis <= 0) return out;
  const int fd = PQsocket(conn_);
  if (fd < 0) return Status::Unavailable("PostgreSQL: no connection socket");
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_millis) > 0) ST_RETURN_IF_ERROR(drain());
  return out;
}

PgTransaction::PgTransaction(PgConnection& db, std::string_view begin) : db_(db) {
  Result<PgResult> r = db_.Exec(begin);
  status_ = r.status();
  open_ = r.ok();
}

PgTransaction::~PgTransaction() {
  if (open_) (void)db_.Exec("ROLLBACK");
}

Status PgTransaction::Commit() {
  if (!open_) return status_.ok() ? Status::FailedPrecondition("transaction not open") : status_;
  open_ = false;
  Result<PgResult> r = db_.Exec("COMMIT");
  return r.status();
}

}  // namespace soundtrend::store::postgres
