-- The chart store (store/chart_store.h), PostgreSQL: the same packed segments as the SQLite
-- store (store/chart_segments.h), one row per (day, region) per batch, merged when a key
-- has more than 8.
CREATE TABLE sounds(
  clip_id BIGINT PRIMARY KEY,  -- the 64-bit id's bits
  song_id BIGINT NOT NULL,
  title TEXT NOT NULL,
  author TEXT NOT NULL,
  cover TEXT NOT NULL,
  duration INTEGER NOT NULL,
  commercial BOOLEAN NOT NULL,
  promoted BOOLEAN NOT NULL,
  music_url TEXT NOT NULL DEFAULT '',
  seq BIGINT NOT NULL DEFAULT 0  -- the batch that last wrote the row
);
CREATE INDEX sounds_by_seq ON sounds(seq);
CREATE TABLE cell_segments(
  id BIGSERIAL PRIMARY KEY,
  day INTEGER NOT NULL,
  region TEXT NOT NULL,
  cells BIGINT NOT NULL,
  data BYTEA NOT NULL,
  seq BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX cell_segments_by_key ON cell_segments(day, region, id);
CREATE INDEX cell_segments_by_seq ON cell_segments(seq);
CREATE TABLE video_segments(
  id BIGSERIAL PRIMARY KEY,
  day INTEGER NOT NULL,
  region TEXT NOT NULL,
  videos BIGINT NOT NULL,
  data BYTEA NOT NULL,
  seq BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX video_segments_by_key ON video_segments(day, region, id);
CREATE INDEX video_segments_by_seq ON video_segments(seq);
-- seq: max + 1, taken under a transaction-level advisory lock that every batch's writer
-- holds until its commit, so seqs increase in commit order across nodes.
CREATE TABLE batches(
  id TEXT PRIMARY KEY,
  seq BIGINT NOT NULL UNIQUE,
  applied_micros BIGINT NOT NULL,
  sounds BIGINT NOT NULL,
  cells BIGINT NOT NULL,
  videos BIGINT NOT NULL,
  source_records BIGINT NOT NULL
);
-- kind: 0 popular, 1 surging; clip_ids: the top list's ids, 8 bytes each, little endian.
CREATE TABLE chart_editions(
  kind INTEGER NOT NULL,
  region TEXT NOT NULL,
  period INTEGER NOT NULL,
  day INTEGER NOT NULL,
  data_seq BIGINT NOT NULL,
  clip_ids BYTEA NOT NULL,
  PRIMARY KEY (kind, region, period, day)
);
