-- Adds one chunk of ranked entries to an activity's draw order and moves the
-- scan cursor past them, for the holder of the draw's lock. The process read
-- the chunk with SSCAN from scan_cursor (ARGV[2]) and computed each entry's
-- member "<key>:<user id>" (see redislib/draworder); ZADD is idempotent, so a
-- chunk replayed after a crash changes nothing. When SSCAN has come back to
-- cursor 0 and the order holds as many members as there are entries, the
-- draw moves to the awarding phase; otherwise (an entry the scan missed,
-- which SSCAN does not do for members present throughout) it scans again.
--
-- KEYS[1] -> the draw's state (HASH: phase scan_cursor award_cursor entries ranked_at)
-- KEYS[2] -> the draw's lock (STRING)
-- KEYS[3] -> the draw order (ZSET, every score 0, ordered by member)
-- KEYS[4] -> the activity's entries (SET)
-- ARGV[1] -> the caller's lock token
-- ARGV[2] -> the scan cursor the chunk was read at
-- ARGV[3] -> the cursor SSCAN returned after it ('0': the scan is complete)
-- ARGV[4..] -> the chunk's members (at most about a thousand)
--
-- Returns {code, ...}:
--   {1, phase, count} applied; phase is 'hashing' or 'awarding'; count is ZCARD
--   {2}               the lock is not the caller's (nothing written)
--   {3}               the state moved on (another phase or cursor: the chunk is
--                     stale; nothing written)
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return {2}
end
local s = redis.call('HMGET', KEYS[1], 'phase', 'scan_cursor')
if s[1] ~= 'hashing' or s[2] ~= ARGV[2] then
  return {3}
end
local batch = {}
for i = 4, #ARGV do
  batch[#batch + 1] = 0
  batch[#batch + 1] = ARGV[i]
  if #batch >= 400 then
    redis.call('ZADD', KEYS[3], unpack(batch))
    batch = {}
  end
end
if #batch > 0 then
  redis.call('ZADD', KEYS[3], unpack(batch))
end
local count = redis.call('ZCARD', KEYS[3])
if ARGV[3] == '0' and count == redis.call('SCARD', KEYS[4]) then
  local t = redis.call('TIME')
  redis.call('HSET', KEYS[1], 'phase', 'awarding', 'scan_cursor', '0', 'entries', tostring(count), 'ranked_at',
    tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
  return {1, 'awarding', count}
end
redis.call('HSET', KEYS[1], 'scan_cursor', ARGV[3])
return {1, 'hashing', count}
