// The SQLite implementation of store::ChartStore (see store/chart_store.h for the
// contracts it keeps).
//
// Layout (one file, WAL mode): tables `sounds`, `cell_segments`, `video_segments`,
// `batches` (id, applied time, record counts) and `chart_editions` (kind, region, period,
// day -> data_seq and the rank-ordered clip ids, 8 bytes each). Regions are stored as their
// two-letter code; 64-bit ids are stored with the same bits (ids above 2^63 read back unchanged).
//
// Daily uses and videos are stored as segments: one row per (day, region) and batch whose
// BLOB packs that batch's cells (clip ids ascending, delta-varint; varint uses) or videos
// (the top 4 per clip). Reads sum a key's segments (and keep the top 4 videos per clip);
// a write that would leave more than 8 segments on a (day, region) merges them into one.
// A batch thus writes ~one row per (day, region) it touches, not one per cell: the raw
// ingest rate does not hinge on SQLite's per-row cost, and a cell takes ~6 bytes.
// The tables: sqlite/migrations/0002_charts.sql, applied by version (sqlite_schema.h).
// Stores of earlier versions (one row per cell in `daily_uses`, per video in `videos`; no
// seq columns) are converted when their database is adopted (sqlite_schema.h), in one
// transaction.
//
// Each ApplyBatch is one transaction (BEGIN IMMEDIATE ... COMMIT) that also records the
// batch id, so a crash leaves the file before or after the batch.
//
// Thread-safety: every method takes an internal mutex, so one store object may be shared
// by several threads (calls are serialized). Several processes may open the same file;
// SQLite's locking serializes their writes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "store/chart_store.h"

namespace soundtrend::store {

struct SqliteChartStoreOptions {
  // Durability of each commit: true = fsync before ApplyBatch returns (PRAGMA
  // synchronous=FULL); false = NORMAL (may lose the last batches on power loss, never
  // corrupts, never half-applies).
  bool synchronous_full = true;
  // Source of the `applied` time recorded with each batch. Must outlive the store.
  const Clock* clock = &SystemClock::Instance();
  // Fault injection for tests: when >= 0, ApplyBatch fails with kIoError after writing
  // this many rows of a batch (inside its transaction). -1 in production.
  int64_t fail_apply_after_rows = -1;
};

// Opens (creating the file and schema if needed) the chart store at `path`; a newer or
// older schema is refused (sqlite_schema.h). The parent directory must exist.
Result<std::unique_ptr<ChartStore>> OpenSqliteChartStore(const std::string& path);
Result<std::unique_ptr<ChartStore>> OpenSqliteChartStore(const std::string& path,
                                                         const SqliteChartStoreOptions& options);

}  // namespace soundtrend::store
