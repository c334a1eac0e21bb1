-- The 213 editions (71 regions x 7/30/120 days) of day :day as ONE SQL query over
-- cells(region smallint, clip bigint, day int, uses int): usage_count = uses in the window,
-- rank by usage_count desc, then uses on the day desc, then clip id asc (docs/api.md §4), top 100
-- of every region x period. Used by engine_bench --postgres (psql -v day=N -f this file).
-- One pass over the 120-day window computes the three window sums per (region, clip).
WITH sums AS (
  SELECT region, clip,
         sum(uses) AS u120,
         sum(uses) FILTER (WHERE day > :day - 30) AS u30,
         sum(uses) FILTER (WHERE day > :day - 7) AS u7,
         coalesce(sum(uses) FILTER (WHERE day = :day), 0) AS today
  FROM cells
  WHERE day > :day - 120 AND day <= :day
  GROUP BY region, clip
), ranked AS (
  SELECT s.region, v.period, s.clip, v.usage_count,
         row_number() OVER (PARTITION BY s.region, v.period
                            ORDER BY v.usage_count DESC, s.today DESC, s.clip ASC) AS rank
  FROM sums s
  CROSS JOIN LATERAL (VALUES (7, s.u7), (30, s.u30), (120, s.u120)) AS v(period, usage_count)
  WHERE v.usage_count > 0
)
SELECT region, period, rank, clip, usage_count
FROM ranked
WHERE rank <= 100
ORDER BY region, period, rank;
