#include "store/postgres/pg_usage_store.h"

#include <mutex>
#include <set>

#include "store/postgres/pg_array.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_schema.h"

namespace soundtrend::store::postgres {
namespace {

class PgUsageStore final : public UsageStore {
 public:
  explicit PgUsageStore(std::unique_ptr<PgConnection> db) : db_(std::move(db)) {}

  // Three statements whatever the number of rows (a busy node adds a few hundred rows a
  // second: one statement each was most of its database round trips): the rows go in as
  // arrays (unnest), the same (key, day) twice summed by GROUP BY, and one DELETE trims
  // every key touched to its newest `keep_recent`.
  Status Add(std::span<const DailyUsage> counts, std::span<const RequestRecord> requests,
             size_t keep_recent) override {
    if (counts.empty() && requests.empty()) return Status::Ok();
    std::lock_guard lock(mu_);
    PgTransaction tx(*db_);
    ST_RETURN_IF_ERROR(tx.status());
    if (!counts.empty()) {
      PgArray keys, days, ok, payment_required, rate_limited, other_client_errors, server_errors,
          credits;
      for (const DailyUsage& c : counts) {
        keys.AddText(c.key_id);
        days.AddInteger(c.day);
        ok.AddInteger(c.ok);
        payment_required.AddInteger(c.payment_required);
        rate_limited.AddInteger(c.rate_limited);
        other_client_errors.AddInteger(c.other_client_errors);
        server_errors.AddInteger(c.server_errors);
        credits.AddInteger(c.credits);
      }
      Result<PgResult> r = db_->Exec(
          "INSERT INTO usage_daily AS u(key_id, day, ok, payment_required, rate_limited, "
          "other_client_errors, server_errors, credits) "
          "SELECT k, d, sum(a), sum(b), sum(c), sum(e), sum(f), sum(g) FROM unnest("
          "$1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], "
          "$7::bigint[], $8::bigint[]) AS t(k, d, a, b, c, e, f, g) GROUP BY k, d "
          "ON CONFLICT (key_id, day) DO UPDATE SET ok = u.ok + excluded.ok, "
          "payment_required = u.payment_required + excluded.payment_required, "
          "rate_limited = u.rate_limited + excluded.rate_limited, "
          "other_client_errors = u.other_client_errors + excluded.other_client_errors, "
          "server_errors = u.server_errors + excluded.server_errors, "
          "credits = u.credits + excluded.credits",
          {keys.text(), days.text(), ok.text(), payment_required.text(), rate_limited.text(),
           other_client_errors.text(), server_errors.text(), credits.text()});
      if (!r.ok()) return r.status();
    }
    if (!requests.empty()) {
      PgArray keys, times, ids, endpoints, statuses, costs;
      std::set<std::string_view> touched;
      for (const RequestRecord& q : requests) {
        keys.AddText(q.key_id);
        times.AddInteger(q.time_micros);
        ids.AddText(q.request_id);
        endpoints.AddText(q.endpoint);
        statuses.AddInteger(q.status);
        costs.AddInteger(q.cost);
        touched.insert(q.key_id);
      }
      Result<PgResult> r = db_->Exec(
          "INSERT INTO usage_recent(key_id, time_micros, request_id, endpoint, status, cost) "
          "SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], "
          "$6::bigint[]) ON CONFLICT DO NOTHING",
          {keys.text(), times.text(), ids.text(), endpoints.text(), statuses.text(), costs.text()});
      if (!r.ok()) return r.status();
      PgArray touched_keys;
      for (std::string_view key : touched) touched_keys.AddText(key);
      r = db_->Exec(
          "DELETE FROM usage_recent WHERE (key_id, time_micros, request_id) IN ("
          "SELECT key_id, time_micros, request_id FROM (SELECT key_id, time_micros, request_id, "
          "row_number() OVER (PARTITION BY key_id ORDER BY time_micros DESC, "
          "request_id COLLATE \"C\" DESC) AS n FROM usage_recent "
          "WHERE key_id = ANY($1::text[])) AS ranked WHERE n > $2)",
          {touched_keys.text(), static_cast<int64_t>(keep_recent)});
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
