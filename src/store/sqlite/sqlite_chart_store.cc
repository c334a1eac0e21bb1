#include "store/sqlite/sqlite_chart_store.h"

#include <algorithm>
#include <mutex>
#include <span>
#include <string_view>
#include <tuple>
#include <vector>

#include "store/chart_segments.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_schema.h"

namespace soundtrend::store {
namespace {

using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

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

// The packed segment formats (store/chart_segments.h), shared with the PostgreSQL store.
using segments::Cell;
using segments::DecodeCells;
using segments::DecodeVideos;
using segments::EncodeCells;
using segments::EncodeVideos;
using segments::KeepTopVideos;
using segments::kMaxSegments;
using segments::kVideosKept;
using segments::SumCells;
using segments::Video;

// A prepared statement over the raw handle, for BLOB columns (bound without a copy: the
// bound bytes must stay alive until the statement is reset).
class BlobStatement {
 public:
  BlobStatement() = default;
  BlobStatement(const BlobStatement&) = delete;
  BlobStatement& operator=(const BlobStatement&) = delete;
  ~BlobStatement() { sqlite3_finalize(stmt_); }
  Status Prepare(sqlite3* db, std::string_view sql) {
    db_ = db;
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt_, nullptr) != SQLITE_OK) {
      return sqlite::SqliteError(db, "prepare");
    }
    return Status::Ok();
  }
  BlobStatement& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  BlobStatement& Bind(int i, std::string_view text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
    return *this;
  }
  BlobStatement& BindBlob(int i, std::string_view bytes) {
    sqlite3_bind_blob64(stmt_, i, bytes.data(), bytes.size(), SQLITE_STATIC);
    return *this;
  }
  Result<bool> Step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sqlite::SqliteError(db_, "step");
  }
  Status Run() {
    Result<bool> r = Step();
    Reset();
    return r.ok() ? Status::Ok() : r.status();
  }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int64_t Int(int i) const { return sqlite3_column_int64(stmt_, i); }
  std::string_view Text(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, i)))
             : std::string_view();
  }
  std::string_view Blob(int i) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, i));
    return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, i)))
             : std::string_view();
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteChartStore final : public ChartStore {
 public:
  SqliteChartStore(std::unique_ptr<Database> db, SqliteChartStoreOptions options)
      : db_(std::move(db)), options_(options) {}

  Status Init() {
    // The tables: sqlite/migrations/0002_charts.sql, applied by version (sqlite_schema.h;
    // older layouts are upgraded there, when a database made before versioning is adopted).
    Result<sqlite::SchemaChange> schema = sqlite::EnsureSchema(*db_, /*migrate=*/false);
    if (!schema.ok()) return schema.status();
    ST_RETURN_IF_ERROR(Prep(has_batch_, "SELECT 1 FROM batches WHERE id = ?1"));
    ST_RETURN_IF_ERROR(Prep(insert_batch_,
                            "INSERT INTO batches(rowid, id, applied_micros, sounds, cells, "
                            "videos, source_records) VALUES(?7, ?1, ?2, ?3, ?4, ?5, ?6)"));
    ST_RETURN_IF_ERROR(Prep(upsert_sound_,
                            "INSERT OR REPLACE INTO sounds(clip_id, song_id, title, author, "
                            "cover, duration, commercial, promoted, music_url, seq) VALUES(?1, "
                            "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
    ST_RETURN_IF_ERROR(Prep(next_seq_, "SELECT coalesce(max(rowid), 0) + 1 FROM batches"));
    ST_RETURN_IF_ERROR(Prep(upsert_edition_,
                            "INSERT OR REPLACE INTO chart_editions(kind, region, period, day, "
                            "data_seq, clip_ids) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
    sqlite3* h = db_->handle();
    ST_RETURN_IF_ERROR(count_cell_segments_.Prepare(
        h, "SELECT count(*) FROM cell_segments WHERE day = ?1 AND region = ?2"));
    ST_RETURN_IF_ERROR(cell_segments_of_key_.Prepare(
        h, "SELECT data FROM cell_segments WHERE day = ?1 AND region = ?2 ORDER BY id"));
    ST_RETURN_IF_ERROR(delete_cell_segments_.Prepare(
        h, "DELETE FROM cell_segments WHERE day = ?1 AND region = ?2"));
    ST_RETURN_IF_ERROR(insert_cell_segment_.Prepare(
        h, "INSERT INTO cell_segments(day, region, cells, data, seq) VALUES(?1, ?2, ?3, ?4, ?5)"));
    ST_RETURN_IF_ERROR(count_video_segments_.Prepare(
        h, "SELECT count(*) FROM video_segments WHERE day = ?1 AND region = ?2"));
    ST_RETURN_IF_ERROR(video_segments_of_key_.Prepare(
        h, "SELECT data FROM video_segments WHERE day = ?1 AND region = ?2 ORDER BY id"));
    ST_RETURN_IF_ERROR(delete_video_segments_.Prepare(
        h, "DELETE FROM video_segments WHERE day = ?1 AND region = ?2"));
    ST_RETURN_IF_ERROR(insert_video_segment_.Prepare(
        h,
        "INSERT INTO video_segments(day, region, videos, data, seq) VALUES(?1, ?2, ?3, ?4, ?5)"));
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

    {
      Result<bool> row = next_seq_->Step();
      seq_ = row.ok() && *row ? next_seq_->ColumnInt(0) : 0;
      next_seq_->Reset();
      if (!row.ok()) return row.status();
    }
    rows_written_ = 0;
    for (const SoundRecord& s : batch.sounds) {
      upsert_sound_->Bind(1, ToDb(s.clip_id))
          .Bind(2, ToDb(s.song_id))
          .Bind(3, std::string_view(s.title))
          .Bind(4, std::string_view(s.author))
          .Bind(5, std::string_view(s.cover))
          .Bind(6, static_cast<int64_t>(s.duration))
          .Bind(7, static_cast<int64_t>(s.commercial))
          .Bind(8, static_cast<int64_t>(s.promoted))
          .Bind(9, std::string_view(s.music_url))
          .Bind(10, seq_);
      ST_RETURN_IF_ERROR(upsert_sound_->Run());
      ST_RETURN_IF_ERROR(CountRows(1));
    }

    // Daily uses: one segment per (day, region), cells sorted by clip id.
    auto key_less = [](const DailyUses& a, const DailyUses& b) {
      if (a.day != b.day) return a.day < b.day;
      if (a.region != b.region) return a.region < b.region;
      return a.clip_id < b.clip_id;
    };
    const std::vector<DailyUses>* uses = &batch.uses;
    std::vector<DailyUses> sorted_uses;
    if (!std::is_sorted(batch.uses.begin(), batch.uses.end(), key_less)) {
      sorted_uses = batch.uses;
      std::stable_sort(sorted_uses.begin(), sorted_uses.end(), key_less);
      uses = &sorted_uses;
    }
    std::vector<Cell> cells;
    for (size_t i = 0; i < uses->size();) {
      const Day day = (*uses)[i].day;
      const RegionId region = (*uses)[i].region;
      cells.clear();
      for (; i < uses->size() && (*uses)[i].day == day && (*uses)[i].region == region; ++i) {
        const DailyUses& u = (*uses)[i];
        if (!cells.empty() && cells.back().clip_id == u.clip_id) {
          cells.back().uses += u.uses;
        } else {
          cells.push_back(Cell{u.clip_id, u.uses});
        }
      }
      ST_RETURN_IF_ERROR(CountRows(static_cast<int64_t>(cells.size())));
      ST_RETURN_IF_ERROR(WriteCells(day, region, cells));
    }

    // Videos: one segment per (day, region), the top 4 per clip.
    std::vector<Video> videos;
    videos.reserve(batch.videos.size());
    std::vector<std::pair<uint64_t, size_t>> order;  // ((day, region), index), stable
    order.reserve(batch.videos.size());
    for (size_t i = 0; i < batch.videos.size(); ++i) {
      const VideoRecord& v = batch.videos[i];
      order.emplace_back(static_cast<uint64_t>(static_cast<uint32_t>(v.day)) << 8 | v.region, i);
    }
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < order.size();) {
      const uint64_t key = order[i].first;
      videos.clear();
      for (; i < order.size() && order[i].first == key; ++i) {
        const VideoRecord& v = batch.videos[order[i].second];
        videos.push_back(Video{v.clip_id, v.video_id, v.views, v.cover});
      }
      ST_RETURN_IF_ERROR(CountRows(static_cast<int64_t>(videos.size())));
      const VideoRecord& first = batch.videos[order[i - 1].second];
      ST_RETURN_IF_ERROR(WriteVideos(first.day, first.region, videos));
    }

    insert_batch_->Bind(1, std::string_view(batch.id))
        .Bind(2, options_.clock->NowMicros())
        .Bind(3, static_cast<int64_t>(batch.sounds.size()))
        .Bind(4, static_cast<int64_t>(batch.uses.size()))
        .Bind(5, static_cast<int64_t>(batch.videos.size()))
        .Bind(6, batch.source_records)
        .Bind(7, seq_);
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
        "SELECT clip_id, song_id, title, author, cover, duration, commercial, promoted, "
        "music_url FROM sounds ORDER BY clip_id");
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
      s.music_url = stmt->ColumnText(8);
      ST_RETURN_IF_ERROR(fn(s));
    }
  }

  Status ForEachDailyUses(const std::function<Status(const DailyUses&)>& fn) override {
    std::lock_guard lock(mu_);
    return ScanCells([&](Day day, RegionId region, std::span<const Cell> cells) -> Status {
      for (const Cell& c : cells) ST_RETURN_IF_ERROR(fn(DailyUses{c.clip_id, region, day, c.uses}));
      return Status::Ok();
    });
  }

  Status ForEachVideo(const std::function<Status(const VideoRecord&)>& fn) override {
    std::lock_guard lock(mu_);
    VideoRecord v;
    return ScanVideos([&](Day day, RegionId region, std::span<const Video> videos) -> Status {
      for (const Video& x : videos) {
        v.video_id = x.video_id;
        v.clip_id = x.clip_id;
        v.region = region;
        v.day = day;
        v.cover.assign(x.cover);
        v.views = x.views;
        ST_RETURN_IF_ERROR(fn(v));
      }
      return Status::Ok();
    });
  }

  Result<std::optional<Day>> LatestUsageDay() override {
    std::lock_guard lock(mu_);
    Result<Statement> stmt = db_->Prepare("SELECT max(day) FROM cell_segments");
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
      for (uint64_t id : e.top_clip_ids)
        for (int b = 0; b < 8; ++b) ids.push_back(static_cast<char>(id >> (8 * b)));
      upsert_edition_->Bind(1, static_cast<int64_t>(KindIndex(e.kind)))
          .Bind(2, RegionCode(e.region))
          .Bind(3, static_cast<int64_t>(e.period))
          .Bind(4, static_cast<int64_t>(e.day))
          .Bind(5, e.data_seq)
          .BindBlob(6, ids);
      ST_RETURN_IF_ERROR(upsert_edition_->Run());
    }
    return txn.Commit();
  }

  Status ForEachEdition(const std::function<Status(const EditionRecord&)>& fn) override {
    std::lock_guard lock(mu_);
    Result<Statement> stmt = db_->Prepare(
        "SELECT kind, region, period, day, data_seq, clip_ids FROM chart_editions ORDER BY kind, "
        "region, period, day");
    if (!stmt.ok()) return stmt.status();
    for (;;) {
      Result<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status::Ok();
      EditionRecord e;
      const int64_t kind = stmt->ColumnInt(0);
      if (kind != 0 && kind != 1) return Status::Corruption("stored edition kind is unknown");
      e.kind = static_cast<ChartKind>(kind);
      Result<RegionId> region = RegionFromDb(stmt->ColumnText(1));
      if (!region.ok()) return region.status();
      e.region = *region;
      e.period = static_cast<int>(stmt->ColumnInt(2));
      e.day = static_cast<Day>(stmt->ColumnInt(3));
      e.data_seq = stmt->ColumnInt(4);
      const std::string_view ids = stmt->ColumnBlob(5);
      if (ids.size() % 8 != 0) return Status::Corruption("stored edition clip ids do not decode");
      e.top_clip_ids.reserve(ids.size() / 8);
      for (size_t i = 0; i < ids.size(); i += 8) {
        uint64_t id = 0;
        for (int b = 0; b < 8; ++b) id |= uint64_t{static_cast<uint8_t>(ids[i + b])} << (8 * b);
        e.top_clip_ids.push_back(id);
      }
      ST_RETURN_IF_ERROR(fn(e));
    }
  }

  Result<int64_t> LatestBatchSeq() override {
    std::lock_guard lock(mu_);
    return LatestBatchSeqLocked();
  }

  Status ForEachCellsVersion(int64_t after_seq,
                             const std::function<Status(const CellsVersion&)>& fn) override {
    std::lock_guard lock(mu_);
    Result<Statement> stmt = db_->Prepare(
        "SELECT day, region, max(seq) FROM cell_segments WHERE seq > ?1 GROUP BY day, region");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, after_seq);
    for (;;) {
      Result<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status::Ok();
      Result<RegionId> region = RegionFromDb(stmt->ColumnText(1));
      if (!region.ok()) return region.status();
      ST_RETURN_IF_ERROR(
          fn(CellsVersion{*region, static_cast<Day>(stmt->ColumnInt(0)), stmt->ColumnInt(2)}));
    }
  }

  Result<int64_t> ReadChanges(int64_t after_seq, const ChangeCallbacks& callbacks) override {
    std::lock_guard lock(mu_);
    // One read transaction: every statement below sees the same state of the file.
    ST_RETURN_IF_ERROR(db_->Exec("BEGIN"));
    Result<int64_t> through = ReadChangesLocked(after_seq, callbacks);
    const Status ended = db_->Exec(through.ok() ? "COMMIT" : "ROLLBACK");
    if (!through.ok()) return through;
    if (!ended.ok()) return ended;
    return through;
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
        {"SELECT count(*) FROM batches", &stats.batches},
        {"SELECT count(*) FROM chart_editions", &stats.editions},
    };
    for (const Query& q : queries) {
      Result<Statement> stmt = db_->Prepare(q.sql);
      if (!stmt.ok()) return stmt.status();
      Result<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      *q.out = *row ? stmt->ColumnInt(0) : 0;
    }
    ST_RETURN_IF_ERROR(ScanCells([&](Day, RegionId, std::span<const Cell> cells) {
      stats.daily_cells += static_cast<int64_t>(cells.size());
      return Status::Ok();
    }));
    ST_RETURN_IF_ERROR(ScanVideos([&](Day, RegionId, std::span<const Video> videos) {
      stats.videos += static_cast<int64_t>(videos.size());
      return Status::Ok();
    }));
    return stats;
  }

 private:
  Result<int64_t> LatestBatchSeqLocked() {
    Result<Statement> stmt = db_->Prepare("SELECT coalesce(max(rowid), 0) FROM batches");
    if (!stmt.ok()) return stmt.status();
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    return *row ? stmt->ColumnInt(0) : 0;
  }

  // The distinct (day, region) of rows of `table` with seq > after_seq.
  Result<std::vector<std::pair<Day, RegionId>>> ChangedKeys(std::string_view table,
                                                            int64_t after_seq) {
    std::vector<std::pair<Day, RegionId>> keys;
    Result<Statement> stmt = db_->Prepare("SELECT DISTINCT day, region FROM " + std::string(table) +
                                          " WHERE seq > ?1 ORDER BY day, region");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, after_seq);
    for (;;) {
      Result<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return keys;
      Result<RegionId> region = RegionFromDb(stmt->ColumnText(1));
      if (!region.ok()) return region.status();
      keys.emplace_back(static_cast<Day>(stmt->ColumnInt(0)), *region);
    }
  }

  // The blobs of every segment of (day, region) in `sel` (a "SELECT data ... ORDER BY id").
  Status SegmentBlobs(BlobStatement& sel, Day day, RegionId region,
                      std::vector<std::string>& blobs) {
    blobs.clear();
    sel.Bind(1, static_cast<int64_t>(day)).Bind(2, RegionCode(region));
    Status st;
    for (;;) {
      Result<bool> row = sel.Step();
      if (!row.ok() || !*row) {
        st = row.status();
        break;
      }
      blobs.emplace_back(sel.Blob(0));
    }
    sel.Reset();
    return st;
  }

  Result<int64_t> ReadChangesLocked(int64_t after_seq, const ChangeCallbacks& callbacks) {
    Result<int64_t> through = LatestBatchSeqLocked();
    if (!through.ok()) return through;
    if (*through <= after_seq) return std::max(*through, after_seq);
    {
      Result<Statement> stmt = db_->Prepare(
          "SELECT clip_id, song_id, title, author, cover, duration, commercial, promoted, "
          "music_url FROM sounds WHERE seq > ?1 ORDER BY clip_id");
      if (!stmt.ok()) return stmt.status();
      stmt->Bind(1, after_seq);
      for (;;) {
        Result<bool> row = stmt->Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        SoundRecord s;
        s.clip_id = FromDb(stmt->ColumnInt(0));
        s.song_id = FromDb(stmt->ColumnInt(1));
        s.title = stmt->ColumnText(2);
        s.author = stmt->ColumnText(3);
        s.cover = stmt->ColumnText(4);
        s.duration = static_cast<int32_t>(stmt->ColumnInt(5));
        s.commercial = stmt->ColumnInt(6) != 0;
        s.promoted = stmt->ColumnInt(7) != 0;
        s.music_url = stmt->ColumnText(8);
        if (callbacks.sound) ST_RETURN_IF_ERROR(callbacks.sound(s));
      }
    }
    std::vector<std::string> blobs;
    auto cell_keys = ChangedKeys("cell_segments", after_seq);
    if (!cell_keys.ok()) return cell_keys.status();
    std::vector<Cell> cells;
    std::vector<DailyUses> uses;
    for (const auto& [day, region] : *cell_keys) {
      ST_RETURN_IF_ERROR(SegmentBlobs(cell_segments_of_key_, day, region, blobs));
      cells.clear();
      for (const std::string& b : blobs) ST_RETURN_IF_ERROR(DecodeCells(b, cells));
      if (blobs.size() > 1) SumCells(cells);
      uses.clear();
      for (const Cell& c : cells) uses.push_back(DailyUses{c.clip_id, region, day, c.uses});
      if (callbacks.cells) ST_RETURN_IF_ERROR(callbacks.cells(region, day, uses));
    }
    auto video_keys = ChangedKeys("video_segments", after_seq);
    if (!video_keys.ok()) return video_keys.status();
    std::vector<Video> videos;
    std::vector<VideoRecord> records;
    for (const auto& [day, region] : *video_keys) {
      ST_RETURN_IF_ERROR(SegmentBlobs(video_segments_of_key_, day, region, blobs));
      videos.clear();
      for (const std::string& b : blobs) ST_RETURN_IF_ERROR(DecodeVideos(b, videos));
      if (blobs.size() > 1) KeepTopVideos(videos);
      records.clear();
      for (const Video& v : videos)
        records.push_back(
            VideoRecord{v.video_id, v.clip_id, region, day, std::string(v.cover), v.views});
      if (callbacks.videos) ST_RETURN_IF_ERROR(callbacks.videos(region, day, records));
    }
    return *through;
  }

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

  Status CountRows(int64_t n) {
    rows_written_ += n;
    if (options_.fail_apply_after_rows >= 0 && rows_written_ > options_.fail_apply_after_rows) {
      return Status::IoError("injected failure after " +
                             std::to_string(options_.fail_apply_after_rows) + " rows");
    }
    return Status::Ok();
  }

  // Number of stored segments of (day, region).
  Result<int64_t> CountSegments(BlobStatement& count, Day day, std::string_view region) {
    count.Bind(1, static_cast<int64_t>(day)).Bind(2, region);
    Result<bool> row = count.Step();
    const int64_t n = row.ok() && *row ? count.Int(0) : 0;
    count.Reset();
    if (!row.ok()) return row.status();
    return n;
  }

  // Appends `cells` (clip ids strictly increasing) as a segment of (day, region); merges
  // all of the key's segments into one when there would be more than kMaxSegments.
  Status WriteCells(Day day, RegionId region, std::vector<Cell>& cells) {
    const std::string_view code = RegionCode(region);
    Result<int64_t> n = CountSegments(count_cell_segments_, day, code);
    if (!n.ok()) return n.status();
    if (*n + 1 > kMaxSegments) {
      std::vector<Cell> merged;
      BlobStatement& sel = cell_segments_of_key_;
      sel.Bind(1, static_cast<int64_t>(day)).Bind(2, code);
      Status st;
      for (;;) {
        Result<bool> row = sel.Step();
        if (!row.ok() || !*row) {
          st = row.status();
          break;
        }
        st = DecodeCells(sel.Blob(0), merged);
        if (!st.ok()) break;
      }
      sel.Reset();
      ST_RETURN_IF_ERROR(st);
      merged.insert(merged.end(), cells.begin(), cells.end());
      SumCells(merged);
      delete_cell_segments_.Bind(1, static_cast<int64_t>(day)).Bind(2, code);
      ST_RETURN_IF_ERROR(delete_cell_segments_.Run());
      cells.swap(merged);
    }
    EncodeCells(cells, buffer_);
    insert_cell_segment_.Bind(1, static_cast<int64_t>(day))
        .Bind(2, code)
        .Bind(3, static_cast<int64_t>(cells.size()))
        .BindBlob(4, buffer_)
        .Bind(5, seq_);
    return insert_cell_segment_.Run();
  }

  // Appends the top 4 per clip of `videos` (in record order) as a segment of (day, region),
  // merging the key's segments as WriteCells does.
  Status WriteVideos(Day day, RegionId region, std::vector<Video>& videos) {
    const std::string_view code = RegionCode(region);
    Result<int64_t> n = CountSegments(count_video_segments_, day, code);
    if (!n.ok()) return n.status();
    std::vector<std::string> blobs;  // owns the merged covers until encoded
    if (*n + 1 > kMaxSegments) {
      std::vector<Video> merged;
      ST_RETURN_IF_ERROR(SegmentBlobs(video_segments_of_key_, day, region, blobs));
      for (const std::string& b : blobs) ST_RETURN_IF_ERROR(DecodeVideos(b, merged));
      merged.insert(merged.end(), videos.begin(), videos.end());
      delete_video_segments_.Bind(1, static_cast<int64_t>(day)).Bind(2, code);
      ST_RETURN_IF_ERROR(delete_video_segments_.Run());
      videos.swap(merged);
    }
    KeepTopVideos(videos);
    EncodeVideos(videos, buffer_);
    insert_video_segment_.Bind(1, static_cast<int64_t>(day))
        .Bind(2, code)
        .Bind(3, static_cast<int64_t>(videos.size()))
        .BindBlob(4, buffer_)
        .Bind(5, seq_);
    return insert_video_segment_.Run();
  }

  // Steps through rows (day, region, data) ordered by day: add(region, data) for each row,
  // then end_day(day) once after the last row of each day. Stops at the first error.
  static Status ScanSegmentRows(Statement& stmt,
                                const std::function<Status(RegionId, std::string_view)>& add,
                                const std::function<Status(Day)>& end_day) {
    std::optional<Day> current;
    for (;;) {
      Result<bool> row = stmt.Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      const Day day = static_cast<Day>(stmt.ColumnInt(0));
      if (current && *current != day) ST_RETURN_IF_ERROR(end_day(*current));
      current = day;
      Result<RegionId> region = RegionFromDb(stmt.ColumnText(1));
      if (!region.ok()) return region.status();
      ST_RETURN_IF_ERROR(add(*region, stmt.ColumnText(2)));
    }
    return current ? end_day(*current) : Status::Ok();
  }

  // Calls fn(day, region, cells) for every (day, region) with cells, in (day, region id)
  // order, the cells summed over the key's segments and ordered by clip id (unsigned).
  Status ScanCells(const std::function<Status(Day, RegionId, std::span<const Cell>)>& fn) {
    Result<Statement> stmt =
        db_->Prepare("SELECT day, region, data FROM cell_segments ORDER BY day, region, id");
    if (!stmt.ok()) return stmt.status();
    std::vector<std::vector<Cell>> by_region(kRegionCount);
    std::vector<int> segments(kRegionCount, 0);
    std::optional<Day> current;
    auto flush = [&]() -> Status {
      for (size_t r = 0; r < kRegionCount; ++r) {
        if (segments[r] == 0) continue;
        if (segments[r] > 1) SumCells(by_region[r]);
        Status st = fn(*current, static_cast<RegionId>(r), by_region[r]);
        by_region[r].clear();
        segments[r] = 0;
        ST_RETURN_IF_ERROR(st);
      }
      return Status::Ok();
    };
    return ScanSegmentRows(
        *stmt,
        [&](RegionId region, std::string_view data) {
          ++segments[region];
          return DecodeCells(data, by_region[region]);
        },
        [&](Day day) {
          current = day;
          return flush();
        });
  }

  // Like ScanCells for videos: the top 4 per clip over the key's segments, ordered by
  // (clip_id, views desc, video_id).
  Status ScanVideos(const std::function<Status(Day, RegionId, std::span<const Video>)>& fn) {
    Result<Statement> stmt =
        db_->Prepare("SELECT day, region, data FROM video_segments ORDER BY day, region, id");
    if (!stmt.ok()) return stmt.status();
    std::vector<std::vector<std::string>> blobs(kRegionCount);
    std::vector<Video> videos;
    std::optional<Day> current;
    auto flush = [&]() -> Status {
      for (size_t r = 0; r < kRegionCount; ++r) {
        if (blobs[r].empty()) continue;
        videos.clear();
        for (const std::string& b : blobs[r]) ST_RETURN_IF_ERROR(DecodeVideos(b, videos));
        if (blobs[r].size() > 1) KeepTopVideos(videos);
        Status st = fn(*current, static_cast<RegionId>(r), videos);
        blobs[r].clear();
        ST_RETURN_IF_ERROR(st);
      }
      return Status::Ok();
    };
    return ScanSegmentRows(
        *stmt,
        [&](RegionId region, std::string_view data) {
          blobs[region].emplace_back(data);
          return Status::Ok();
        },
        [&](Day day) {
          current = day;
          return flush();
        });
  }

  std::mutex mu_;
  std::unique_ptr<Database> db_;
  SqliteChartStoreOptions options_;
  int64_t rows_written_ = 0;
  std::optional<Statement> has_batch_, insert_batch_, upsert_sound_, upsert_edition_, next_seq_;
  int64_t seq_ = 0;  // the seq of the batch being applied
  BlobStatement count_cell_segments_, cell_segments_of_key_, delete_cell_segments_,
      insert_cell_segment_, count_video_segments_, video_segments_of_key_, delete_video_segments_,
      insert_video_segment_;
  std::string buffer_;  // the segment being written
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
