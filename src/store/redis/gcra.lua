-- GCRA (generic cell rate algorithm) for one key, for every node at once
-- (store/redis/redis_rate_store.h). Atomic: Redis runs a script alone.
-- KEYS[1]: the key's state, its theoretical arrival time (TAT) in microseconds on Redis's
--          clock; absent = no request outstanding (expires once the TAT has passed).
-- ARGV[1] qps (>= 1), ARGV[2] burst (>= 1), ARGV[3] n: requests that arrived together
-- (>= 1), decided in their order; ARGV[4] (tests only): "now" in microseconds instead of
-- Redis's TIME.
-- Admits the first k of the n (0 <= k <= n) that fit, exactly as n requests one after the
-- other at the same instant would be: the i-th passes while TAT + (i-1) * interval - now
-- <= tolerance. A refused request changes nothing.
-- Returns {k, base - now, interval, tolerance} (microseconds; base = max(TAT, now)), from
-- which the caller computes each request's headers.
if redis.replicate_commands then redis.replicate_commands() end
local qps = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local now
if ARGV[4] ~= nil and ARGV[4] ~= '' then
  now = tonumber(ARGV[4])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
-- Rounded up: never more than qps a second.
local interval = math.ceil(1000000 / qps)
local tolerance = (burst - 1) * interval
local tat = tonumber(redis.call('GET', KEYS[1])) or now
local base = math.max(tat, now)
local slack = tolerance - (base - now)
local k = 0
if slack >= 0 then k = math.min(n, math.floor(slack / interval) + 1) end
if k > 0 then
  local new_tat = base + k * interval
  -- '%.0f': a plain integer (tostring would round to 14 digits).
  redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX',
             string.format('%.0f', math.ceil((new_tat - now) / 1000) + 1000))
end
return {k, base - now, interval, tolerance}
