#include "store/sqlite/sqlite_chart_store.h"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <string_view>
#include <tuple>
#include <vector>

#include "store/sqlite/sqlite_db.h"

namespace soundtrend::store {
namespace {

using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS sounds(
  clip_id INTEGER PRIMARY KEY,
  song_id INTEGER NOT NULL,
  title TEXT NOT NULL,
  author TEXT NOT NULL,
  cover TEXT NOT NULL,
  duration INTEGER NOT NULL,
  commercial INTEGER NOT NULL,
  promoted INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS daily_uses(
  day INTEGER NOT NULL,
  region TEXT NOT NULL,
  clip_id INTEGER NOT NULL,
  uses INTEGER NOT NULL,
  PRIMARY KEY(day, region, clip_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS videos(
  region TEXT NOT NULL,
  clip_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  video_id INTEGER NOT NULL,
  cover TEXT NOT NULL,
  views INTEGER NOT NULL,
  PRIMARY KEY(region, clip_id, day, video_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batches(
  id TEXT PRIMARY KEY,
  applied_micros INTEGER NOT NULL,
  sounds INTEGER NOT NULL,
  cells INTEGER NOT NULL,
  videos INTEGER NOT NULL,
  source_records INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS editions(
  region TEXT NOT NULL,
  period INTEGER NOT NULL,
  day INTEGER NOT NULL,
  clip_ids TEXT NOT NULL,
  PRIMARY KEY(region, period, day)) WITHOUT ROWID;
)sql";

// 64-bit ids are stored with the same bits in SQLite's signed INTEGER.
int64_t ToDb(uint64_t id) { return static_cast<int64_t>(id); }
uint64_t FromDb(int64_t v) { return static_cast<uint64_t>(v); }

Result<RegionId> RegionFromDb(std::string_view code) {
  std::optional<RegionId> r = FindRegion(code);
  if (!r)
    return Status::Corruption("stored region code is not in the region table: " +
                              std::string(code));
  return *r;
}

Status CheckRegion(RegionId r) {
  if (r >= kRegionCount) {
    return Status::InvalidArgument("region id out of range: " + std::to_string(r));
  }
  return Status::Ok();
}

class SqliteChartStore final : public ChartStore {
 public:
  SqliteChartStore(std::unique_ptr<Database> db, SqliteChartStoreOptions options)
      : db_(std::move(db)), options_(options) {}

  Status Init() {
    ST_RETURN_IF_ERROR(db_->Exec(kSchema));
    ST_RETURN_IF_ERROR(Prep(has_batch_, "SELECT 1 FROM batches WHERE id = ?1"));
    ST_RETURN_IF_ERROR(Prep(insert_batch_,
                            "INSERT INTO batches(id, applied_micros, sounds, cells, videos, "
                            "source_records) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
    ST_RETURN_IF_ERROR(
        Prep(upsert_sound_,
             "INSERT OR REPLACE INTO sounds(clip_id, song_id, title, author, cover, "
             "duration, commercial, promoted) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    ST_RETURN_IF_ERROR(
        Prep(add_uses_,
             "INSERT INTO daily_uses(day, region, clip_id, uses) VALUES(?1, ?2, ?3, ?4) "
             "ON CONFLICT(day, region, clip_id) DO UPDATE SET uses = uses + "
             "excluded.uses"));
    ST_RETURN_IF_ERROR(Prep(upsert_video_,
                            "INSERT INTO videos(region, clip_id, day, video_id, cover, views) "
                            "VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
                            "ON CONFLICT(region, clip_id, day, video_id) DO UPDATE SET "
                            "views = excluded.views, cover = excluded.cover "
                            "WHERE excluded.views > videos.views"));
    ST_RETURN_IF_ERROR(Prep(videos_of_key_,
                            "SELECT video_id, views FROM videos WHERE region = ?1 AND clip_id = ?2 "
                            "AND day = ?3"));
    ST_RETURN_IF_ERROR(Prep(delete_video_,
                            "DELETE FROM videos WHERE region = ?1 AND clip_id = ?2 AND day = ?3 "
                            "AND video_id = ?4"));
    ST_RETURN_IF_ERROR(Prep(upsert_edition_,
                            "INSERT OR REPLACE INTO editions(region, period, day, clip_ids) "
                            "VALUES(?1, ?2, ?3, ?4)"));
    return Status::Ok();
  }

  Result<bool> ApplyBatch(const Batch& batch) override {
    std::lock_guard lock(mu_);
    if (batch.id.empty()) return Status::InvalidArgument("batch id is empty");
    for (const DailyUses& u : batch.uses) ST_RETURN_IF_ERROR(CheckRegion(u.region));
    for (const VideoRecord& v : batch.videos) ST_RETURN_IF_ERROR(CheckRegion(v.region));

    Transaction txn(*db_);
    ST_RETURN_IF_ERROR(txn.status());
    Result<bool> known = HasBatchLocked(batch.id);
    if (!known.ok()) return known.status();
    if (*known) return false;

    rows_written_ = 0;
    for (const SoundRecord& s : batch.sounds) {
      upsert_sound_->Bind(1, ToDb(s.clip_id))
          .Bind(2, ToDb(s.song_id))
          .Bind(3, std::string_view(s.title))
          .Bind(4, std::string_view(s.author))
          .Bind(5, std::string_view(s.cover))
          .Bind(6, static_cast<int64_t>(s.duration))
          .Bind(7, static_cast<int64_t>(s.commercial))
          .Bind(8, static_cast<int64_t>(s.promoted));
      ST_RETURN_IF_ERROR(upsert_sound_->Run());
      ST_RETURN_IF_ERROR(CountRow());
    }
    for (const DailyUses& u : batch.uses) {
      add_uses_->Bind(1, static_cast<int64_t>(u.day))
          .Bind(2, RegionCode(u.region))
          .Bind(3, ToDb(u.clip_id))
          .Bind(4, u.uses);
      ST_RETURN_IF_ERROR(add_uses_->Run());
      ST_RETURN_IF_ERROR(CountRow());
    }
    using VideoKey = std::tuple<RegionId, uint64_t, Day>;
    std::vector<VideoKey> touched;
    touched.reserve(batch.videos.size());
    for (const VideoRecord& v : batch.videos) {
      upsert_video_->Bind(1, RegionCode(v.region))
          .Bind(2, ToDb(v.clip_id))
          .Bind(3, static_cast<int64_t>(v.day))
          .Bind(4, ToDb(v.video_id))
          .Bind(5, std::string_view(v.cover))
          .Bind(6, v.views);
      ST_RETURN_IF_ERROR(upsert_video_->Run());
      ST_RETURN_IF_ERROR(CountRow());
      touched.emplace_back(v.region, v.clip_id, v.day);
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (const VideoKey& key : touched) ST_RETURN_IF_ERROR(KeepTopVideos(key));

    insert_batch_->Bind(1, std::string_view(batch.id))
        .Bind(2, options_.clock->NowMicros())
        .Bind(3, static_cast<int64_t>(batch.sounds.size()))
        .Bind(4, static_cast<int64_t>(batch.uses.size()))
        .Bind(5, static_cast<int64_t>(batch.videos.size()))
        .Bind(6, batch.source_records);
    ST_RETURN_IF_ERROR(insert_batch_->Run());
    ST_RETURN_IF_ERROR(txn.Commit());
    return true;
  }

  Result<bool> HasBatch(const std::string& batch_id) override {
    std::lock_guard lock(mu_);
    return HasBatchLocked(batch_id);
  }

  Status ForEachSound(const std::function<Status(const SoundRecord&)>& fn) override {
    std::lock_guard lock(mu_);
    Result<Statement> stmt = db_->Prepare(
        "SELECT clip_id, song_id, title, author, cover, duration, commercial, promoted FROM "
        "sounds ORDER BY clip_id");
    if (!stmt.ok()) return stmt.status();
    for (;;) {
      Result<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status::Ok();
      SoundRecord s;
      s.clip_id = FromDb(stmt->ColumnInt(0));
      s.song_id = FromDb(stmt->ColumnInt(1));
      s.title = stmt->ColumnText(2);
      s.author = stmt->ColumnText(3);
      s.cover = stmt->ColumnText(4);
      s.duration = static_cast<int32_t>(stmt->ColumnInt(5));
      s.commercial = stmt->ColumnInt(6) != 0;
      s.promoted = stmt->ColumnInt(7) != 0;
      ST_RETURN_IF_ERROR(fn(s));
    }
  }

  // Rows come out of the primary key in (day, region code, clip_id as signed) order; one
  // day at a time is re-sorted into (region id, clip_id as unsigned) order.
  Status ForEachDailyUses(const std::function<Status(const DailyUses&)>& fn) override {
    std::lock_guard lock(mu_);
    Result<Statement> stmt =
        db_->Prepare("SELECT day, region, clip_id, uses FROM daily_uses ORDER BY day");
    if (!stmt.ok()) return stmt.status();
    std::vector<DailyUses> day_rows;
    auto flush = [&]() -> Status {
      std::sort(day_rows.begin(), day_rows.end(), [](const DailyUses& a, const DailyUses& b) {
        return std::tie(a.region, a.clip_id) < std::tie(b.region, b.clip_id);
      });
      for (const DailyUses& u : day_rows) ST_RETURN_IF_ERROR(fn(u));
      day_rows.clear();
      return Status::Ok();
    };
    for (;;) {
      Result<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      DailyUses u;
      u.day = static_cast<Day>(stmt->ColumnInt(0));
      Result<RegionId> region = RegionFromDb(stmt->ColumnText(1));
      if (!region.ok()) return region.status();
      u.region = *region;
      u.clip_id = FromDb(stmt->ColumnInt(2));
      u.uses = stmt->ColumnInt(3);
      if (!day_rows.empty() && day_rows.back().day != u.day) ST_RETURN_IF_ERROR(flush());
      day_rows.push_back(u);
    }
    return flush();
  }

  Status ForEachVideo(const std::function<Status(const VideoRecord&)>& fn) override {
    std::lock_guard lock(mu_);
    Result<Statement> stmt = db_->Prepare(
        "SELECT region, clip_id, day, video_id, cover, views FROM videos ORDER BY region, "
        "clip_id, day, video_id");
    if (!stmt.ok()) return stmt.status();
    for (;;) {
      Result<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status::Ok();
      VideoRecord v;
      Result<RegionId> region = RegionFromDb(stmt->ColumnText(0));
      if (!region.ok()) return region.status();
      v.region = *region;
      v.clip_id = FromDb(stmt->ColumnInt(1));
      v.day = static_cast<Day>(stmt->ColumnInt(2));
      v.video_id = FromDb(stmt->ColumnInt(3));
      v.cover = stmt->ColumnText(4);
      v.views = stmt->ColumnInt(5);
      ST_RETURN_IF_ERROR(fn(v));
    }
  }

  Result<std::optional<Day>> LatestUsageDay() override {
    std::lock_guard lock(mu_);
    Result<Statement> stmt = db_->Prepare("SELECT max(day) FROM daily_uses");
    if (!stmt.ok()) return stmt.status();
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row || stmt->ColumnIsNull(0)) return std::optional<Day>();
    return std::optional<Day>(static_cast<Day>(stmt->ColumnInt(0)));
  }

  Status SaveEditions(std::span<const EditionRecord> editions) override {
    std::lock_guard lock(mu_);
    for (const EditionRecord& e : editions) {
      ST_RETURN_IF_ERROR(CheckRegion(e.region));
      if (!PeriodIndex(e.period)) {
        return Status::InvalidArgument("edition period must be 7, 30 or 120");
      }
    }
    Transaction txn(*db_);
    ST_RETURN_IF_ERROR(txn.status());
    std::string ids;
    for (const EditionRecord& e : editions) {
      ids.clear();
      for (size_t i = 0; i < e.top_clip_ids.size(); ++i) {
        if (i) ids += ',';
        ids += std::to_string(e.top_clip_ids[i]);
      }
      upsert_edition_->Bind(1, RegionCode(e.region))
          .Bind(2, static_cast<int64_t>(e.period))
          .Bind(3, static_cast<int64_t>(e.day))
          .Bind(4, std::string_view(ids));
      ST_RETURN_IF_ERROR(upsert_edition_->Run());
    }
    return txn.Commit();
  }

  Status ForEachEdition(const std::function<Status(const EditionRecord&)>& fn) override {
    std::lock_guard lock(mu_);
    Result<Statement> stmt = db_->Prepare(
        "SELECT region, period, day, clip_ids FROM editions ORDER BY region, period, day");
    if (!stmt.ok()) return stmt.status();
    for (;;) {
      Result<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status::Ok();
      EditionRecord e;
      Result<RegionId> region = RegionFromDb(stmt->ColumnText(0));
      if (!region.ok()) return region.status();
      e.region = *region;
      e.period = static_cast<int>(stmt->ColumnInt(1));
      e.day = static_cast<Day>(stmt->ColumnInt(2));
      std::string_view ids = stmt->ColumnText(3);
      while (!ids.empty()) {
        size_t comma = ids.find(',');
        std::string_view item = ids.substr(0, comma);
        uint64_t id = 0;
        auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
        if (ec != std::errc() || end != item.data() + item.size()) {
          return Status::Corruption("stored edition clip ids do not parse");
        }
        e.top_clip_ids.push_back(id);
        if (comma == std::string_view::npos) break;
        ids.remove_prefix(comma + 1);
      }
      ST_RETURN_IF_ERROR(fn(e));
    }
  }

  Result<StoreStats> Stats() override {
    std::lock_guard lock(mu_);
    StoreStats stats;
    struct Query {
      std::string_view sql;
      int64_t* out;
    };
    const Query queries[] = {
        {"SELECT count(*) FROM sounds", &stats.sounds},
        {"SELECT count(*) FROM daily_uses", &stats.daily_cells},
        {"SELECT count(*) FROM videos", &stats.videos},
        {"SELECT count(*) FROM batches", &stats.batches},
        {"SELECT count(*) FROM editions", &stats.editions},
    };
    for (const Query& q : queries) {
      Result<Statement> stmt = db_->Prepare(q.sql);
      if (!stmt.ok()) return stmt.status();
      Result<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      *q.out = *row ? stmt->ColumnInt(0) : 0;
    }
    return stats;
  }

 private:
  Status Prep(std::optional<Statement>& slot, std::string_view sql) {
    Result<Statement> stmt = db_->Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    slot.emplace(std::move(stmt).value());
    return Status::Ok();
  }

  Result<bool> HasBatchLocked(const std::string& batch_id) {
    has_batch_->Bind(1, std::string_view(batch_id));
    Result<bool> row = has_batch_->Step();
    has_batch_->Reset();
    return row;
  }

  Status CountRow() {
    ++rows_written_;
    if (options_.fail_apply_after_rows >= 0 && rows_written_ > options_.fail_apply_after_rows) {
      return Status::IoError("injected failure after " +
                             std::to_string(options_.fail_apply_after_rows) + " rows");
    }
    return Status::Ok();
  }

  // Deletes all but the 4 most viewed videos (ties: smaller video_id) of one key.
  Status KeepTopVideos(const std::tuple<RegionId, uint64_t, Day>& key) {
    const auto& [region, clip_id, day] = key;
    videos_of_key_->Bind(1, RegionCode(region))
        .Bind(2, ToDb(clip_id))
        .Bind(3, static_cast<int64_t>(day));
    std::vector<std::pair<int64_t, uint64_t>> found;  // (views, video_id)
    for (;;) {
      Result<bool> row = videos_of_key_->Step();
      if (!row.ok()) {
        videos_of_key_->Reset();
        return row.status();
      }
      if (!*row) break;
      found.emplace_back(videos_of_key_->ColumnInt(1), FromDb(videos_of_key_->ColumnInt(0)));
    }
    videos_of_key_->Reset();
    if (found.size() <= kVideosKept) return Status::Ok();
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (size_t i = kVideosKept; i < found.size(); ++i) {
      delete_video_->Bind(1, RegionCode(region))
          .Bind(2, ToDb(clip_id))
          .Bind(3, static_cast<int64_t>(day))
          .Bind(4, ToDb(found[i].second));
      ST_RETURN_IF_ERROR(delete_video_->Run());
    }
    return Status::Ok();
  }

  static constexpr size_t kVideosKept = 4;

  std::mutex mu_;
  std::unique_ptr<Database> db_;
  SqliteChartStoreOptions options_;
  int64_t rows_written_ = 0;
  std::optional<Statement> has_batch_, insert_batch_, upsert_sound_, add_uses_, upsert_video_,
      videos_of_key_, delete_video_, upsert_edition_;
};

}  // namespace

Result<std::unique_ptr<ChartStore>> OpenSqliteChartStore(const std::string& path) {
  return OpenSqliteChartStore(path, SqliteChartStoreOptions{});
}

Result<std::unique_ptr<ChartStore>> OpenSqliteChartStore(const std::string& path,
                                                         const SqliteChartStoreOptions& options) {
  sqlite::OpenOptions open_options;
  open_options.synchronous_full = options.synchronous_full;
  Result<std::unique_ptr<Database>> db = Database::Open(path, open_options);
  if (!db.ok()) return db.status();
  auto store = std::make_unique<SqliteChartStore>(std::move(db).value(), options);
  ST_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<ChartStore>(std::move(store));
}

}  // namespace soundtrend::store
