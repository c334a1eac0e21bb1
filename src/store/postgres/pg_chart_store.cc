#include "store/postgres/pg_chart_store.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <vector>

#include "common/clock.h"
#include "store/chart_segments.h"
#include "store/postgres/pg_change_feed.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_schema.h"

namespace soundtrend::store::postgres {
namespace {

using segments::Cell;
using segments::Video;

// 64-bit ids are stored with the same bits in a signed BIGINT.
int64_t ToDb(uint64_t id) { return static_cast<int64_t>(id); }
uint64_t FromDb(int64_t v) { return static_cast<uint64_t>(v); }

Status CheckRegion(RegionId r) {
  if (r >= kRegionCount) {
    return Status::InvalidArgument("region id out of range: " + std::to_string(r));
  }
  return Status::Ok();
}

Result<RegionId> RegionFromDb(std::string_view code) {
  std::optional<RegionId> r = FindRegion(code);
  if (!r) {
    return Status::Corruption("stored region code is not in the region table: " +
                              std::string(code));
  }
  return *r;
}

class PgChartStore final : public ChartStore {
 public:
  PgChartStore(std::unique_ptr<PgConnection> db, PgChartStoreOptions options)
      : db_(std::move(db)), options_(options) {}

  Result<bool> ApplyBatch(const Batch& batch) override {
    std::lock_guard lock(mu_);
    if (batch.id.empty()) return Status::InvalidArgument("batch id is empty");
    for (const DailyUses& u : batch.uses) ST_RETURN_IF_ERROR(CheckRegion(u.region));
    for (const VideoRecord& v : batch.videos) ST_RETURN_IF_ERROR(CheckRegion(v.region));
    PgTransaction tx(*db_);
    ST_RETURN_IF_ERROR(tx.status());
    // Writers of batches take turns until their commit (on every node), so the seq taken
    // below (max + 1) increases in commit order: a reader that sees seq S sees every
    // smaller one (store/chart_store.h).
    Result<PgResult> locked = db_->Exec("SELECT pg_advisory_xact_lock($1)", {kBatchLockKey});
    if (!locked.ok()) return locked.status();
    // The batch's row first: a second node applying the same batch finds it once the first
    // committed (ON CONFLICT DO NOTHING returns no row) and changes nothing.
    Result<PgResult> inserted = db_->Exec(
        "INSERT INTO batches(id, seq, applied_micros, sounds, cells, videos, source_records) "
        "VALUES ($1, (SELECT coalesce(max(seq), 0) + 1 FROM batches), $2, $3, $4, $5, $6) "
        "ON CONFLICT (id) DO NOTHING RETURNING seq",
        {batch.id, SystemClock::Instance().NowMicros(), static_cast<int64_t>(batch.sounds.size()),
         static_cast<int64_t>(batch.uses.size()), static_cast<int64_t>(batch.videos.size()),
         batch.source_records});
    if (!inserted.ok()) return inserted.status();
    if (inserted->rows() == 0) return false;
    seq_ = inserted->integer(0, 0);
    // Every node's publication thread wakes at the commit (and not before: a NOTIFY in a
    // transaction is delivered when it commits, never when it rolls back).
    Result<PgResult> notified =
        db_->Exec("SELECT pg_notify($1, $2)", {kChartChangeChannel, std::to_string(seq_)});
    if (!notified.ok()) return notified.status();

    rows_written_ = 0;
    for (const SoundRecord& s : batch.sounds) {
      Result<PgResult> r = db_->Exec(
          "INSERT INTO sounds(clip_id, song_id, title, author, cover, duration, commercial, "
          "promoted, music_url, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
          "ON CONFLICT (clip_id) DO UPDATE SET "
          "song_id = excluded.song_id, title = excluded.title, author = excluded.author, "
          "cover = excluded.cover, duration = excluded.duration, "
          "commercial = excluded.commercial, promoted = excluded.promoted, "
          "music_url = excluded.music_url, seq = excluded.seq",
          {ToDb(s.clip_id), ToDb(s.song_id), s.title, s.author, s.cover,
           static_cast<int64_t>(s.duration), s.commercial ? "true" : "false",
           s.promoted ? "true" : "false", s.music_url, seq_});
      if (!r.ok()) return r.status();
      ST_RETURN_IF_ERROR(CountRows(1));
    }

    // Daily uses: one segment per (day, region), cells sorted by clip id and summed.
    std::vector<DailyUses> uses = batch.uses;
    std::stable_sort(uses.begin(), uses.end(), [](const DailyUses& a, const DailyUses& b) {
      if (a.day != b.day) return a.day < b.day;
      if (a.region != b.region) return a.region < b.region;
      return a.clip_id < b.clip_id;
    });
    std::vector<Cell> cells;
    for (size_t i = 0; i < uses.size();) {
      const Day day = uses[i].day;
      const RegionId region = uses[i].region;
      cells.clear();
      for (; i < uses.size() && uses[i].day == day && uses[i].region == region; ++i) {
        if (!cells.empty() && cells.back().clip_id == uses[i].clip_id) {
          cells.back().uses += uses[i].uses;
        } else {
          cells.push_back(Cell{uses[i].clip_id, uses[i].uses});
        }
      }
      ST_RETURN_IF_ERROR(CountRows(static_cast<int64_t>(cells.size())));
      ST_RETURN_IF_ERROR(WriteCells(day, region, cells));
    }

    // Videos: one segment per (day, region), the top 4 per clip.
    std::vector<size_t> order(batch.videos.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto key_of = [&](size_t i) { return std::pair(batch.videos[i].day, batch.videos[i].region); };
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return key_of(a) < key_of(b); });
    std::vector<Video> videos;
    for (size_t i = 0; i < order.size();) {
      const auto key = key_of(order[i]);
      videos.clear();
      for (; i < order.size() && key_of(order[i]) == key; ++i) {
        const VideoRecord& v = batch.videos[order[i]];
        videos.push_back(Video{v.clip_id, v.video_id, v.views, v.cover});
      }
      ST_RETURN_IF_ERROR(CountRows(static_cast<int64_t>(videos.size())));
      ST_RETURN_IF_ERROR(WriteVideos(key.first, key.second, videos));
    }
    ST_RETURN_IF_ERROR(tx.Commit());
    return true;
  }

  Result<bool> HasBatch(const std::string& batch_id) override {
    std::lock_guard lock(mu_);
    Result<PgResult> r = db_->Exec("SELECT 1 FROM batches WHERE id = $1", {batch_id});
    if (!r.ok()) return r.status();
    return r->rows() > 0;
  }

  Status ForEachSound(const std::function<Status(const SoundRecord&)>& fn) override {
    std::lock_guard lock(mu_);
    return ForEachSoundLocked("", {}, fn);
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
    Result<PgResult> r = db_->Exec("SELECT max(day) FROM cell_segments");
    if (!r.ok()) return r.status();
    if (r->rows() == 0 || r->null(0, 0)) return std::optional<Day>();
    return std::optional<Day>(static_cast<Day>(r->integer(0, 0)));
  }

  Status SaveEditions(std::span<const EditionRecord> editions) override {
    std::lock_guard lock(mu_);
    for (const EditionRecord& e : editions) {
      ST_RETURN_IF_ERROR(CheckRegion(e.region));
      if (!PeriodIndex(e.period)) {
        return Status::InvalidArgument("edition period must be 7, 30 or 120");
      }
    }
    PgTransaction tx(*db_);
    ST_RETURN_IF_ERROR(tx.status());
    std::string ids;
    for (const EditionRecord& e : editions) {
      ids.clear();
      for (uint64_t id : e.top_clip_ids)
        for (int b = 0; b < 8; ++b) ids.push_back(static_cast<char>(id >> (8 * b)));
      Result<PgResult> r = db_->Exec(
          "INSERT INTO chart_editions(kind, region, period, day, data_seq, clip_ids) "
          "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kind, region, period, day) DO UPDATE "
          "SET data_seq = excluded.data_seq, clip_ids = excluded.clip_ids",
          {static_cast<int64_t>(KindIndex(e.kind)), RegionCode(e.region),
           static_cast<int64_t>(e.period), static_cast<int64_t>(e.day), e.data_seq,
           PgParam::Bytes(ids)});
      if (!r.ok()) return r.status();
    }
    return tx.Commit();
  }

  Status ForEachEdition(const std::function<Status(const EditionRecord&)>& fn) override {
    std::lock_guard lock(mu_);
    return db_->ForEachRow(
        "SELECT kind, region, period, day, data_seq, clip_ids FROM chart_editions "
        "ORDER BY kind, region COLLATE \"C\", period, day",
        {}, [&](const PgResult& r) -> Status {
          EditionRecord e;
          const int64_t kind = r.integer(0, 0);
          if (kind != 0 && kind != 1) return Status::Corruption("stored edition kind is unknown");
          e.kind = static_cast<ChartKind>(kind);
          Result<RegionId> region = RegionFromDb(r.text(0, 1));
          if (!region.ok()) return region.status();
          e.region = *region;
          e.period = static_cast<int>(r.integer(0, 2));
          e.day = static_cast<Day>(r.integer(0, 3));
          e.data_seq = r.integer(0, 4);
          const std::string ids = r.bytes(0, 5);
          if (ids.size() % 8 != 0)
            return Status::Corruption("stored edition clip ids do not decode");
          for (size_t i = 0; i < ids.size(); i += 8) {
            uint64_t id = 0;
            for (int b = 0; b < 8; ++b) id |= uint64_t{static_cast<uint8_t>(ids[i + b])} << (8 * b);
            e.top_clip_ids.push_back(id);
          }
          return fn(e);
        });
  }

  Result<int64_t> LatestBatchSeq() override {
    std::lock_guard lock(mu_);
    return LatestBatchSeqLocked();
  }

  Status ForEachCellsVersion(int64_t after_seq,
                             const std::function<Status(const CellsVersion&)>& fn) override {
    std::lock_guard lock(mu_);
    return db_->ForEachRow(
        "SELECT day, region, max(seq) FROM cell_segments WHERE seq > $1 GROUP BY day, region",
        std::vector<PgParam>{after_seq}, [&](const PgResult& r) -> Status {
          Result<RegionId> region = RegionFromDb(r.text(0, 1));
          if (!region.ok()) return region.status();
          return fn(CellsVersion{*region, static_cast<Day>(r.integer(0, 0)), r.integer(0, 2)});
        });
  }

  Result<int64_t> ReadChanges(int64_t after_seq, const ChangeCallbacks& callbacks) override {
    std::lock_guard lock(mu_);
    // One snapshot for every statement below.
    PgTransaction tx(*db_, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    ST_RETURN_IF_ERROR(tx.status());
    Result<int64_t> through = ReadChangesLocked(after_seq, callbacks);
    if (!through.ok()) return through;
    ST_RETURN_IF_ERROR(tx.Commit());
    return through;
  }

  Result<StoreStats> Stats() override {
    std::lock_guard lock(mu_);
    StoreStats stats;
    Result<PgResult> r = db_->Exec(
        "SELECT (SELECT count(*) FROM sounds), (SELECT count(*) FROM batches), "
        "(SELECT count(*) FROM chart_editions)");
    if (!r.ok()) return r.status();
    stats.sounds = r->integer(0, 0);
    stats.batches = r->integer(0, 1);
    stats.editions = r->integer(0, 2);
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
  // The key of the advisory lock batch writers take in turn (any constant of our own).
  static constexpr int64_t kBatchLockKey = 0x736f756e64747231;  // "soundtr1"

  Result<int64_t> LatestBatchSeqLocked() {
    Result<PgResult> r = db_->Exec("SELECT coalesce(max(seq), 0) FROM batches");
    if (!r.ok()) return r.status();
    return r->integer(0, 0);
  }

  // fn(sound) for the sounds matching `where` ("" or " WHERE ..." over `params`).
  Status ForEachSoundLocked(std::string_view where, std::vector<PgParam> params,
                            const std::function<Status(const SoundRecord&)>& fn) {
    return db_->ForEachRow(
        "SELECT clip_id, song_id, title, author, cover, duration, commercial, promoted, "
        "music_url FROM sounds" +
            std::string(where) + " ORDER BY clip_id",
        params, [&](const PgResult& r) {
          SoundRecord s;
          s.clip_id = FromDb(r.integer(0, 0));
          s.song_id = FromDb(r.integer(0, 1));
          s.title = r.text(0, 2);
          s.author = r.text(0, 3);
          s.cover = r.text(0, 4);
          s.duration = static_cast<int32_t>(r.integer(0, 5));
          s.commercial = r.text(0, 6) == "t";
          s.promoted = r.text(0, 7) == "t";
          s.music_url = r.text(0, 8);
          return fn(s);
        });
  }

  // The distinct (day, region) of rows of `table` with seq > after_seq.
  Result<std::vector<std::pair<Day, RegionId>>> ChangedKeys(std::string_view table,
                                                            int64_t after_seq) {
    std::vector<std::pair<Day, RegionId>> keys;
    Status st = db_->ForEachRow("SELECT DISTINCT day, region FROM " + std::string(table) +
                                    " WHERE seq > $1 ORDER BY day, region",
                                std::vector<PgParam>{after_seq}, [&](const PgResult& r) -> Status {
                                  Result<RegionId> region = RegionFromDb(r.text(0, 1));
                                  if (!region.ok()) return region.status();
                                  keys.emplace_back(static_cast<Day>(r.integer(0, 0)), *region);
                                  return Status::Ok();
                                });
    if (!st.ok()) return st;
    return keys;
  }

  Result<int64_t> ReadChangesLocked(int64_t after_seq, const ChangeCallbacks& callbacks) {
    Result<int64_t> through = LatestBatchSeqLocked();
    if (!through.ok()) return through;
    if (*through <= after_seq) return std::max(*through, after_seq);
    ST_RETURN_IF_ERROR(
        ForEachSoundLocked(" WHERE seq > $1", {after_seq}, [&](const SoundRecord& s) -> Status {
          return callbacks.sound ? callbacks.sound(s) : Status::Ok();
        }));
    auto cell_keys = ChangedKeys("cell_segments", after_seq);
    if (!cell_keys.ok()) return cell_keys.status();
    std::vector<Cell> cells;
    std::vector<DailyUses> uses;
    for (const auto& [day, region] : *cell_keys) {
      Result<std::vector<std::string>> blobs = SegmentsOf("cell_segments", day, RegionCode(region));
      if (!blobs.ok()) return blobs.status();
      cells.clear();
      for (const std::string& b : *blobs) ST_RETURN_IF_ERROR(segments::DecodeCells(b, cells));
      if (blobs->size() > 1) segments::SumCells(cells);
      uses.clear();
      for (const Cell& c : cells) uses.push_back(DailyUses{c.clip_id, region, day, c.uses});
      if (callbacks.cells) ST_RETURN_IF_ERROR(callbacks.cells(region, day, uses));
    }
    auto video_keys = ChangedKeys("video_segments", after_seq);
    if (!video_keys.ok()) return video_keys.status();
    std::vector<Video> videos;
    std::vector<VideoRecord> records;
    for (const auto& [day, region] : *video_keys) {
      Result<std::vector<std::string>> blobs =
          SegmentsOf("video_segments", day, RegionCode(region));
      if (!blobs.ok()) return blobs.status();
      videos.clear();
      for (const std::string& b : *blobs) ST_RETURN_IF_ERROR(segments::DecodeVideos(b, videos));
      if (blobs->size() > 1) segments::KeepTopVideos(videos);
      records.clear();
      for (const Video& v : videos) {
        records.push_back(
            VideoRecord{v.video_id, v.clip_id, region, day, std::string(v.cover), v.views});
      }
      if (callbacks.videos) ST_RETURN_IF_ERROR(callbacks.videos(region, day, records));
    }
    return *through;
  }

  Status CountRows(int64_t n) {
    rows_written_ += n;
    if (options_.fail_apply_after_rows >= 0 && rows_written_ > options_.fail_apply_after_rows) {
      return Status::IoError("injected failure after " +
                             std::to_string(options_.fail_apply_after_rows) + " rows");
    }
    return Status::Ok();
  }

  // The key's segments (in write order), as bytes.
  Result<std::vector<std::string>> SegmentsOf(std::string_view table, Day day,
                                              std::string_view region) {
    std::vector<std::string> out;
    Status st = db_->ForEachRow(
        "SELECT data FROM " + std::string(table) + " WHERE day = $1 AND region = $2 ORDER BY id",
        std::vector<PgParam>{static_cast<int64_t>(day), region}, [&](const PgResult& r) {
          out.push_back(r.bytes(0, 0));
          return Status::Ok();
        });
    if (!st.ok()) return st;
    return out;
  }

  // Whether (day, region) of `table` is full: the new segment then merges them all.
  Result<bool> Full(std::string_view table, Day day, std::string_view region) {
    Result<PgResult> r =
        db_->Exec("SELECT count(*) FROM " + std::string(table) + " WHERE day = $1 AND region = $2",
                  {static_cast<int64_t>(day), region});
    if (!r.ok()) return r.status();
    return r->integer(0, 0) + 1 > segments::kMaxSegments;
  }

  Status Replace(std::string_view table, std::string_view count_column, Day day,
                 std::string_view region, bool delete_first, int64_t count) {
    if (delete_first) {
      Result<PgResult> d =
          db_->Exec("DELETE FROM " + std::string(table) + " WHERE day = $1 AND region = $2",
                    {static_cast<int64_t>(day), region});
      if (!d.ok()) return d.status();
    }
    Result<PgResult> r =
        db_->Exec("INSERT INTO " + std::string(table) + "(day, region, " +
                      std::string(count_column) + ", data, seq) VALUES ($1, $2, $3, $4, $5)",
                  {static_cast<int64_t>(day), region, count, PgParam::Bytes(buffer_), seq_});
    return r.status();
  }

  Status WriteCells(Day day, RegionId region, std::vector<Cell>& cells) {
    const std::string_view code = RegionCode(region);
    Result<bool> full = Full("cell_segments", day, code);
    if (!full.ok()) return full.status();
    if (*full) {
      Result<std::vector<std::string>> old = SegmentsOf("cell_segments", day, code);
      if (!old.ok()) return old.status();
      std::vector<Cell> merged;
      for (const std::string& b : *old) ST_RETURN_IF_ERROR(segments::DecodeCells(b, merged));
      merged.insert(merged.end(), cells.begin(), cells.end());
      segments::SumCells(merged);
      cells.swap(merged);
    }
    segments::EncodeCells(cells, buffer_);
    return Replace("cell_segments", "cells", day, code, *full, static_cast<int64_t>(cells.size()));
  }

  Status WriteVideos(Day day, RegionId region, std::vector<Video>& videos) {
    const std::string_view code = RegionCode(region);
    Result<bool> full = Full("video_segments", day, code);
    if (!full.ok()) return full.status();
    std::vector<std::string> old;  // owns the merged covers until encoded
    if (*full) {
      Result<std::vector<std::string>> read = SegmentsOf("video_segments", day, code);
      if (!read.ok()) return read.status();
      old = std::move(read).value();
      std::vector<Video> merged;
      for (const std::string& b : old) ST_RETURN_IF_ERROR(segments::DecodeVideos(b, merged));
      merged.insert(merged.end(), videos.begin(), videos.end());
      videos.swap(merged);
    }
    segments::KeepTopVideos(videos);
    segments::EncodeVideos(videos, buffer_);
    return Replace("video_segments", "videos", day, code, *full,
                   static_cast<int64_t>(videos.size()));
  }

  // fn(day, region, segments of that key in write order) in (day, region id) order.
  Status ScanSegments(std::string_view table,
                      const std::function<Status(Day, RegionId, std::vector<std::string>&)>& fn) {
    std::vector<std::vector<std::string>> by_region(kRegionCount);
    std::optional<Day> current;
    auto flush = [&]() -> Status {
      for (size_t r = 0; r < kRegionCount; ++r) {
        if (by_region[r].empty()) continue;
        Status st = fn(*current, static_cast<RegionId>(r), by_region[r]);
        by_region[r].clear();
        ST_RETURN_IF_ERROR(st);
      }
      return Status::Ok();
    };
    Status st =
        db_->ForEachRow("SELECT day, region, data FROM " + std::string(table) + " ORDER BY day, id",
                        {}, [&](const PgResult& r) -> Status {
                          const Day day = static_cast<Day>(r.integer(0, 0));
                          if (current && *current != day) ST_RETURN_IF_ERROR(flush());
                          current = day;
                          Result<RegionId> region = RegionFromDb(r.text(0, 1));
                          if (!region.ok()) return region.status();
                          by_region[*region].push_back(r.bytes(0, 2));
                          return Status::Ok();
                        });
    ST_RETURN_IF_ERROR(st);
    return current ? flush() : Status::Ok();
  }

  Status ScanCells(const std::function<Status(Day, RegionId, std::span<const Cell>)>& fn) {
    std::vector<Cell> cells;
    return ScanSegments("cell_segments",
                        [&](Day day, RegionId region, std::vector<std::string>& blobs) -> Status {
                          cells.clear();
                          for (const std::string& b : blobs)
                            ST_RETURN_IF_ERROR(segments::DecodeCells(b, cells));
                          if (blobs.size() > 1) segments::SumCells(cells);
                          return fn(day, region, cells);
                        });
  }

  Status ScanVideos(const std::function<Status(Day, RegionId, std::span<const Video>)>& fn) {
    std::vector<Video> videos;
    return ScanSegments("video_segments",
                        [&](Day day, RegionId region, std::vector<std::string>& blobs) -> Status {
                          videos.clear();
                          for (const std::string& b : blobs)
                            ST_RETURN_IF_ERROR(segments::DecodeVideos(b, videos));
                          if (blobs.size() > 1) segments::KeepTopVideos(videos);
                          return fn(day, region, videos);
                        });
  }

  std::mutex mu_;
  std::unique_ptr<PgConnection> db_;
  PgChartStoreOptions options_;
  int64_t rows_written_ = 0;
  int64_t seq_ = 0;  // the seq of the batch being applied
  std::string buffer_;
};

}  // namespace

Result<std::unique_ptr<ChartStore>> OpenPgChartStore(const std::string& url,
                                                     PgChartStoreOptions options) {
  Result<std::unique_ptr<PgConnection>> db = PgConnection::Open(url);
  if (!db.ok()) return db.status();
  ST_RETURN_IF_ERROR(EnsureSchema(**db, options.open.migrate));
  return std::unique_ptr<ChartStore>(new PgChartStore(std::move(db).value(), options));
}

}  // namespace soundtrend::store::postgres
