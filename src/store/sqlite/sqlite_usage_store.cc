#include "store/sqlite/sqlite_usage_store.h"

#include <set>

#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_schema.h"

namespace soundtrend::store::sqlite {
namespace {

constexpr std::string_view kAddDaily =
    "INSERT INTO usage_daily(key_id, day, ok, payment_required, rate_limited,"
    " other_client_errors, server_errors, credits) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    " ON CONFLICT(key_id, day) DO UPDATE SET ok = ok + excluded.ok,"
    " payment_required = payment_required + excluded.payment_required,"
    " rate_limited = rate_limited + excluded.rate_limited,"
    " other_client_errors = other_client_errors + excluded.other_client_errors,"
    " server_errors = server_errors + excluded.server_errors,"
    " credits = credits + excluded.credits";
constexpr std::string_view kAddRequest =
    "INSERT OR IGNORE INTO usage_recent(key_id, time_micros, request_id, endpoint, status, cost)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
constexpr std::string_view kTrim =
    "DELETE FROM usage_recent WHERE key_id = ?1 AND (time_micros, request_id) NOT IN"
    " (SELECT time_micros, request_id FROM usage_recent WHERE key_id = ?1"
    "  ORDER BY time_micros DESC, request_id DESC LIMIT ?2)";
constexpr std::string_view kDaily =
    "SELECT day, ok, payment_required, rate_limited, other_client_errors, server_errors, credits"
    " FROM usage_daily WHERE key_id = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day";
constexpr std::string_view kRecent =
    "SELECT time_micros, request_id, endpoint, status, cost FROM usage_recent WHERE key_id = ?1"
    " ORDER BY time_micros DESC, request_id DESC LIMIT ?2";

class SqliteUsageStore final : public UsageStore {
 public:
  explicit SqliteUsageStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}

  Status Init() {
    // The tables: sqlite/migrations/0004_usage.sql, applied by version (sqlite_schema.h).
    Result<SchemaChange> schema = EnsureSchema(*db_, /*migrate=*/false);
    return schema.ok() ? Status::Ok() : schema.status();
  }

  Status Add(std::span<const DailyUsage> counts, std::span<const RequestRecord> requests,
             size_t keep_recent) override {
    if (counts.empty() && requests.empty()) return Status::Ok();
    Transaction tx(*db_);
    ST_RETURN_IF_ERROR(tx.status());
    if (!counts.empty()) {
      auto st = db_->Prepare(kAddDaily);
      if (!st.ok()) return st.status();
      for (const DailyUsage& c : counts) {
        st->Bind(1, c.key_id)
            .Bind(2, int64_t{c.day})
            .Bind(3, c.ok)
            .Bind(4, c.payment_required)
            .Bind(5, c.rate_limited)
            .Bind(6, c.other_client_errors)
            .Bind(7, c.server_errors)
            .Bind(8, c.credits);
        ST_RETURN_IF_ERROR(st->Run());
      }
    }
    if (!requests.empty()) {
      auto st = db_->Prepare(kAddRequest);
      if (!st.ok()) return st.status();
      std::set<std::string_view> keys;
      for (const RequestRecord& r : requests) {
        st->Bind(1, r.key_id)
            .Bind(2, r.time_micros)
            .Bind(3, r.request_id)
            .Bind(4, r.endpoint)
            .Bind(5, int64_t{r.status})
            .Bind(6, r.cost);
        ST_RETURN_IF_ERROR(st->Run());
        keys.insert(r.key_id);
      }
      auto trim = db_->Prepare(kTrim);
      if (!trim.ok()) return trim.status();
      for (std::string_view key : keys) {
        trim->Bind(1, key).Bind(2, static_cast<int64_t>(keep_recent));
        ST_RETURN_IF_ERROR(trim->Run());
      }
    }
    return tx.Commit();
  }

  Result<std::vector<DailyUsage>> Daily(std::string_view key_id, Day from, Day to) override {
    auto st = db_->Prepare(kDaily);
    if (!st.ok()) return st.status();
    st->Bind(1, key_id).Bind(2, int64_t{from}).Bind(3, int64_t{to});
    std::vector<DailyUsage> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back(DailyUsage{std::string(key_id), static_cast<Day>(st->ColumnInt(0)),
                               st->ColumnInt(1), st->ColumnInt(2), st->ColumnInt(3),
                               st->ColumnInt(4), st->ColumnInt(5), st->ColumnInt(6)});
    }
    return out;
  }

  Result<std::vector<RequestRecord>> Recent(std::string_view key_id, size_t limit) override {
    auto st = db_->Prepare(kRecent);
    if (!st.ok()) return st.status();
    st->Bind(1, key_id).Bind(2, static_cast<int64_t>(limit));
    std::vector<RequestRecord> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back(RequestRecord{
          std::string(key_id), st->ColumnInt(0), std::string(st->ColumnText(2)),
          static_cast<int>(st->ColumnInt(3)), st->ColumnInt(4), std::string(st->ColumnText(1))});
    }
    return out;
  }

 private:
  std::unique_ptr<Database> db_;
};

}  // namespace

Result<std::unique_ptr<UsageStore>> OpenSqliteUsageStore(const std::string& path) {
  OpenOptions options;
  options.synchronous_full = false;  // display counters: a power loss may lose the last second
  auto db = Database::Open(path, options);
  if (!db.ok()) return db.status();
  auto store = std::make_unique<SqliteUsageStore>(std::move(db).value());
  ST_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<UsageStore>(std::move(store));
}

}  // namespace soundtrend::store::sqlite
