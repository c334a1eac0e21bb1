#include "store/postgres/pg_change_feed.h"

#include "store/postgres/pg_db.h"

namespace soundtrend::store::postgres {
namespace {

class PgChangeFeed final : public ChangeFeed {
 public:
  PgChangeFeed(std::string url, std::string_view channel)
      : url_(std::move(url)), channel_(channel) {}

  Result<bool> WaitForChange(int timeout_millis) override {
    if (conn_ == nullptr) {
      Result<std::unique_ptr<PgConnection>> opened = PgConnection::Open(url_);
      if (!opened.ok()) return opened.status();
      ST_RETURN_IF_ERROR((*opened)->Listen(channel_));
      conn_ = std::move(opened).value();
      return true;  // what was committed before the LISTEN was not signalled: look once
    }
    Result<std::vector<std::string>> got = conn_->WaitNotifications(timeout_millis);
    if (!got.ok()) {
      conn_.reset();  // LISTEN again on a new connection at the next call
      return got.status();
    }
    return !got->empty();
  }

 private:
  const std::string url_;
  const std::string channel_;
  std::unique_ptr<PgConnection> conn_;
};

class PgPublisherLock final : public PublisherLock {
 public:
  explicit PgPublisherLock(std::string url) : url_(std::move(url)) {}

  Result<bool> Hold() override {
    if (conn_ == nullptr) {
      Result<std::unique_ptr<PgConnection>> opened = PgConnection::Open(url_);
      if (!opened.ok()) return opened.status();
      conn_ = std::move(opened).value();
      held_ = false;
    }
    // Held: a round trip proves the session (and so the lock) is still there; a session
    // lost even for a moment may have let another node take it. Not held: try (does not
    // wait; a session lock taken twice would stack, hence only when not held).
    Result<PgResult> r = held_
                             ? conn_->Exec("SELECT true")
                             : conn_->Exec("SELECT pg_try_advisory_lock($1)", {kPublisherLockKey});
    if (!r.ok() || r->rows() != 1) {
      conn_.reset();
      held_ = false;
      return r.ok() ? Status::Internal("pg_try_advisory_lock: no row") : r.status();
    }
    held_ = r->text(0, 0) == "t";
    return held_;
  }

 private:
  const std::string url_;
  std::unique_ptr<PgConnection> conn_;
  bool held_ = false;
};

}  // namespace

std::unique_ptr<ChangeFeed> OpenPgChangeFeed(const std::string& url, std::string_view channel) {
  return std::make_unique<PgChangeFeed>(url, channel);
}

std::unique_ptr<PublisherLock> OpenPgPublisherLock(const std::string& url) {
  return std::make_unique<PgPublisherLock>(url);
}

}  // namespace soundtrend::store::postgres
