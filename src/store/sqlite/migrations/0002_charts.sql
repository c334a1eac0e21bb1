-- The chart store (store/chart_store.h), SQLite (sqlite_chart_store.h): the catalog, daily
-- uses and videos as packed segments (store/chart_segments.h), batches, chart editions.
-- Baseline: IF NOT EXISTS, see 0001_keys.sql.
CREATE TABLE IF NOT EXISTS sounds(
  clip_id INTEGER PRIMARY KEY,
  song_id INTEGER NOT NULL,
  title TEXT NOT NULL,
  author TEXT NOT NULL,
  cover TEXT NOT NULL,
  duration INTEGER NOT NULL,
  commercial INTEGER NOT NULL,
  promoted INTEGER NOT NULL,
  music_url TEXT NOT NULL DEFAULT '',
  seq INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS cell_segments(
  id INTEGER PRIMARY KEY,
  day INTEGER NOT NULL,
  region TEXT NOT NULL,
  cells INTEGER NOT NULL,
  data BLOB NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS cell_segments_by_key ON cell_segments(day, region, id);
CREATE TABLE IF NOT EXISTS video_segments(
  id INTEGER PRIMARY KEY,
  day INTEGER NOT NULL,
  region TEXT NOT NULL,
  videos INTEGER NOT NULL,
  data BLOB NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS video_segments_by_key ON video_segments(day, region, id);
-- A batch's seq is its rowid: max + 1 at insertion, inside the writing transaction, so seqs
-- increase in commit order (SQLite has one writer at a time). `seq` columns above: the
-- batch that last wrote the row (0: written before seqs were kept).
CREATE TABLE IF NOT EXISTS batches(
  id TEXT PRIMARY KEY,
  applied_micros INTEGER NOT NULL,
  sounds INTEGER NOT NULL,
  cells INTEGER NOT NULL,
  videos INTEGER NOT NULL,
  source_records INTEGER NOT NULL);
-- The chart history, a cache of what the engine computes (see chart_store.h). kind: 0
-- popular, 1 surging; clip_ids: the top list's ids in rank order, 8 bytes each, little
-- endian (empty: no chart that day); data_seq: the batch sequence the edition reflects.
CREATE TABLE IF NOT EXISTS chart_editions(
  kind INTEGER NOT NULL,
  region TEXT NOT NULL,
  period INTEGER NOT NULL,
  day INTEGER NOT NULL,
  data_seq INTEGER NOT NULL,
  clip_ids BLOB NOT NULL,
  PRIMARY KEY(kind, region, period, day)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sounds_by_seq ON sounds(seq);
CREATE INDEX IF NOT EXISTS cell_segments_by_seq ON cell_segments(seq);
CREATE INDEX IF NOT EXISTS video_segments_by_seq ON video_segments(seq);
