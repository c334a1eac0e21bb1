-- GCRA (generic cell rate algorithm) for one key, for every node at once
-- (store/redis/redis_rate_store.h). Atomic: Redis runs a script alone.
-- KEYS[1]: the key's state, its theoretical arrival time (TAT) in microseconds on Redis's
--          clock; absent = no request outstanding (expires once the TAT has passed).
-- ARGV[1] qps (>= 1), ARGV[2] burst (>= 1), ARGV[3] n: requests that arrived together
-- (>= 0), decided in their order; ARGV[4] (tests only; '' otherwise): "now" in
-- microseconds instead of Redis's TIME; ARGV[5] m (>= 0, optional): cells wanted ahead;
-- ARGV[6] spacing and ARGV[7] start (microseconds, optional): how the cells ahead are
-- spread.
--
-- The n requests: admits the first k of the n (0 <= k <= n) that fit, exactly as n
-- requests one after the other at the same instant would be: the i-th passes while
-- TAT + (i-1) * interval - now <= tolerance. A refused request changes nothing.
--
-- Cells ahead (only when all n passed): up to m more admissions, for requests the caller
-- has not seen yet. Cell j (1..e) gets the slot
--   s_j = max(base + (k + j - 1) * interval, now + start + j * spacing)
-- (spacing >= interval: the slots are at least one interval apart, as the TATs of
-- requests one after the other are), and is granted only while s_j <= now + tolerance. The
-- caller may spend cell j at any time from now until s_j: every admission then lies within
-- [slot - tolerance, slot] of a slot, and slots are an interval apart, so over any T
-- seconds at most burst + qps * T admissions happen in total, across every caller, as for
-- requests decided one by one. A cell not spent by its slot is lost (it counted).
--
-- Returns {k, base - now, interval, tolerance, e} (microseconds; base = max(TAT, now)),
-- from which the caller computes each request's headers and each cell's slot.
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
local m = tonumber(ARGV[5] or '0') or 0
local spacing = tonumber(ARGV[6] or '0') or 0
local start = math.max(0, tonumber(ARGV[7] or '0') or 0)
-- Rounded up: never more than qps a second.
local interval = math.ceil(1000000 / qps)
local tolerance = (burst - 1) * interval
spacing = math.max(spacing, interval)
local tat = tonumber(redis.call('GET', KEYS[1])) or now
local base = math.max(tat, now)
local slack = tolerance - (base - now)
local k = 0
if slack >= 0 then k = math.min(n, math.floor(slack / interval) + 1) end
local e = 0
if m > 0 and k == n then
  local by_tat = math.floor(slack / interval) + 1 - k
  local by_spread = math.floor((tolerance - start) / spacing)
  e = math.max(0, math.min(m, by_tat, by_spread))
end
-- The slot of the last admission (relative to now); the new TAT is one interval later.
local last = nil
if e > 0 then
  last = math.max(base - now + (k + e - 1) * interval, start + e * spacing)
elseif k > 0 then
  last = base - now + (k - 1) * interval
end
if last ~= nil then
  local new_tat = now + last + interval
  -- '%.0f': a plain integer (tostring would round to 14 digits).
  redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX',
             string.format('%.0f', math.ceil((new_tat - now) / 1000) + 1000))
end
return {k, base - now, interval, tolerance, e}
