#include "store/postgres/pg_usage_store.h"

#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "store/postgres/pg_db.h"
#include "store/postgres/pg_schema.h"

namespace soundtrend::store::postgres {
namespace {

// An element of a PostgreSQL array literal ({"a","b"} / {1,2}): text quoted, with `"` and
// `\` escaped.
void AppendArrayText(std::string& out, std::string_view text, bool first) {
  if (!first) out += ',';
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}
void AppendArrayInt(std::string& out, int64_t v, bool first) {
  if (!first) out += ',';
  out += std::to_string(v);
}

class PgUsageStore final : public UsageStore {
 public:
  explicit PgUsageStore(std::unique_ptr<PgConnection> db) : db_(std::move(db)) {}

  Status Add(std::span<const DailyUsage> counts, std::span<const RequestRecord> requests,
             size_t keep_recent) override {
    if (counts.empty() && requests.empty()) return Status::Ok();
    std::lock_guard lock(mu_);
    PgTransaction tx(*db_);
    ST_RETURN_IF_ERROR(tx.status());
    for (const DailyUsage& c : counts) {
      Result<PgResult> r = db_->Exec(
          "INSERT INTO usage_daily AS u(key_id, day, ok, payment_required, rate_limited, "
          "other_client_errors, server_errors, credits) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
          "ON CONFLICT (key_id, day) DO UPDATE SET ok = u.ok + excluded.ok, "
          "payment_required = u.payment_required + excluded.payment_required, "
          "rate_limited = u.rate_limited + excluded.rate_limited, "
          "other_client_errors = u.other_client_errors + excluded.other_client_errors, "
          "server_errors = u.server_errors + excluded.server_errors, "
          "credits = u.credits + excluded.credits",
          {c.key_id, static_cast<int64_t>(c.day), c.ok, c.payment_required, c.rate_limited,
           c.other_client_errors, c.server_errors, c.credits});
      if (!r.ok()) return r.status();
    }
    std::set<std::string_view> keys;
    if (!requests.empty()) {
      // Every request in one statement (one round trip, not one per request: a busy key
      // adds its latest requests every second on every node), as arrays unnested.
      std::string key_ids = "{", times = "{", request_ids = "{", endpoints = "{", statuses = "{",
                  costs = "{";
      for (const RequestRecord& q : requests) {
        const bool first = key_ids.size() == 1;
        AppendArrayText(key_ids, q.key_id, first);
        AppendArrayInt(times, q.time_micros, first);
        AppendArrayText(request_ids, q.request_id, first);
        AppendArrayText(endpoints, q.endpoint, first);
        AppendArrayInt(statuses, q.status, first);
        AppendArrayInt(costs, q.cost, first);
        keys.insert(q.key_id);
      }
      for (std::string* a : {&key_ids, &times, &request_ids, &endpoints, &statuses, &costs}) {
        *a += '}';
      }
      Result<PgResult> r = db_->Exec(
          "INSERT INTO usage_recent(key_id, time_micros, request_id, endpoint, status, cost) "
          "SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], "
          "$5::integer[], $6::bigint[]) ON CONFLICT DO NOTHING",
          {key_ids, times, request_ids, endpoints, statuses, costs});
      if (!r.ok()) return r.status();
    }
    for (std::string_view key : keys) {
      Result<PgResult> r = db_->Exec(
          "DELETE FROM usage_recent WHERE key_id = $1 AND (time_micros, request_id) NOT IN "
          "(SELECT time_micros, request_id FROM usage_recent WHERE key_id = $1 "
          "ORDER BY time_micros DESC, request_id COLLATE \"C\" DESC LIMIT $2)",
          {key, static_cast<int64_t>(keep_recent)});
      if (!r.ok()) return r.status();
    }
    return tx.Commit();
  }

  Result<std::vector<DailyUsage>> Daily(std::string_view key_id, Day from, Day to) override {
    std::lock_guard lock(mu_);
    Result<PgResult> r = db_->Exec(
        "SELECT day, ok, payment_required, rate_limited, other_client_errors, server_errors, "
        "credits FROM usage_daily WHERE key_id = $1 AND day BETWEEN $2 AND $3 ORDER BY day",
        {key_id, static_cast<int64_t>(from), static_cast<int64_t>(to)});
    if (!r.ok()) return r.status();
    std::vector<DailyUsage> out;
    for (int i = 0; i < r->rows(); ++i) {
      out.push_back(DailyUsage{std::string(key_id), static_cast<Day>(r->integer(i, 0)),
                               r->integer(i, 1), r->integer(i, 2), r->integer(i, 3),
                               r->integer(i, 4), r->integer(i, 5), r->integer(i, 6)});
    }
    return out;
  }

  Result<std::vector<RequestRecord>> Recent(std::string_view key_id, size_t limit) override {
    std::lock_guard lock(mu_);
    Result<PgResult> r = db_->Exec(
        "SELECT time_micros, request_id, endpoint, status, cost FROM usage_recent "
        "WHERE key_id = $1 ORDER BY time_micros DESC, request_id COLLATE \"C\" DESC LIMIT $2",
        {key_id, static_cast<int64_t>(limit)});
    if (!r.ok()) return r.status();
    std::vector<RequestRecord> out;
    for (int i = 0; i < r->rows(); ++i) {
      out.push_back(RequestRecord{std::string(key_id), r->integer(i, 0), std::string(r->text(i, 2)),
                                  static_cast<int>(r->integer(i, 3)), r->integer(i, 4),
                                  std::string(r->text(i, 1))});
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::unique_ptr<PgConnection> db_;
};

}  // namespace

Result<std::unique_ptr<UsageStore>> OpenPgUsageStore(const std::string& url,
                                                     PgOpenOptions options) {
  Result<std::unique_ptr<PgConnection>> db = PgConnection::Open(url);
  if (!db.ok()) return db.status();
  ST_RETURN_IF_ERROR(EnsureSchema(**db, options.migrate));
  return std::unique_ptr<UsageStore>(new PgUsageStore(std::move(db).value()));
}

}  // namespace soundtrend::store::postgres
