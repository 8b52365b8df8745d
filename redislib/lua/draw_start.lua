-- Starts an activity's draw, or reads where it stands, for the holder of its
-- lock. The draw starts once Redis TIME >= draw_at: registration is closed
-- then (entry_add.lua refuses entries from draw_at on), so the entries no
-- longer change. Starting sets draw_status 'running' on the activity and
-- creates the draw's state in the hashing phase; once started, this only
-- reads the state.
--
-- KEYS[1] -> the activity (HASH; fields id admission draw_at ends_at
--            cancelled_at paused_at hold_until draw_status shards, times in ms)
-- KEYS[2] -> the draw's state (HASH: phase scan_cursor award_cursor entries)
-- KEYS[3] -> the draw's lock (STRING, see draw_lock.lua)
-- KEYS[4] -> the activity's remaining stock (STRING)
-- ARGV[1] -> the caller's lock token
--
-- Returns {code, ...}:
--   {1, phase, scan_cursor, award_cursor, now, ends_at, cancelled_at,
--       paused_at, hold_until, remaining, entries, shards, draw_status}
--                                 the draw's state; phase is 'hashing' or
--                                 'awarding'; remaining is bucket 0's units;
--                                 entries is how many the order holds once
--                                 ranked (0 before); draw_status is the
--                                 activity's ('running' or 'done')
--   {2}                           activity not found, or not a draw activity
--   {3}                           the lock is not the caller's (nothing written)
--   {4}                           not yet: TIME < draw_at (nothing written)
local a = redis.call('HMGET', KEYS[1], 'id', 'admission', 'draw_at', 'ends_at', 'cancelled_at', 'paused_at',
  'hold_until', 'draw_status')
if not a[1] or a[2] ~= 'draw' then
  return {2}
end
if redis.call('GET', KEYS[3]) ~= ARGV[1] then
  return {3}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now < tonumber(a[3]) then
  return {4}
end
local s = redis.call('HMGET', KEYS[2], 'phase', 'scan_cursor', 'award_cursor', 'entries')
if not s[1] then
  s = {'hashing', '0', '0', '0'}
  redis.call('HSET', KEYS[2], 'phase', s[1], 'scan_cursor', s[2], 'award_cursor', s[3], 'started_at', tostring(now))
end
local status = a[8] or 'pending'
if status == 'pending' then
  status = 'running'
  redis.call('HSET', KEYS[1], 'draw_status', status)
end
return {1, s[1], s[2], tonumber(s[3]), now, tonumber(a[4]), tonumber(a[5] or '0'), tonumber(a[6] or '0'),
  tonumber(a[7] or '0'), tonumber(redis.call('GET', KEYS[4]) or '0'), tonumber(s[4] or '0'),
  tonumber(redis.call('HGET', KEYS[1], 'shards') or '1'), status}
