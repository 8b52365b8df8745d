-- A user's place in an activity's waiting room: joins it (ARGV[2] '1') or
-- only looks (ARGV[2] '0'), and answers where the user stands, in one atomic
-- step with Redis TIME.
--
-- Places are scores of a ZSET. Before starts_at a join takes the random place
-- the caller drew (ARGV[3], a uniform integer below 2^52), so arriving first
-- or asking faster gains nothing; from starts_at a join takes 2^52 + a
-- sequence number, behind every earlier joiner, in arrival order (scores stay
-- below 2^53: exact in a double). ZADD NX: a repeat keeps the first place.
-- The first `frontier` places (queue_advance.lua) are admitted. An admitted
-- user's admission time is the moment the frontier passed their place (from
-- the frontier's log), recorded on first sight with HSETNX, so the expiry is
-- fixed and every repeat answers the same one. A place the frontier passed
-- before the log's window is an admission already over.
--
-- KEYS[1] -> the activity (HASH)
-- KEYS[2] -> the places (ZSET user -> place)
-- KEYS[3] -> the queue's state (HASH: frontier, advanced_at, seq, sold_out)
-- KEYS[4] -> the admission times (HASH user -> ms; 0 for a turn missed)
-- KEYS[5] -> the frontier's log (ZSET, score = frontier, member =
--            "frontier:ms:sold", see queue_advance.lua)
-- ARGV[1] -> user id
-- ARGV[2] -> '1' to join, '0' to look only
-- ARGV[3] -> the place of a join before starts_at (integer < 2^52)
--
-- Returns:
--   {1, ahead, admit_rate, starts_at, now}
--                            waiting: ahead = places between the user and
--                            the frontier
--   {2, admitted_at, expires_at}
--                            admitted until expires_at (ms)
--   {3, admitted_at, expires_at}
--                            the admission is over (expires_at passed)
--   {4}                      sold out: no unit left, the user is not admitted
--   {5, queue_opens_at}      the queue is not open yet (nothing written)
--   {6}                      the user has no place (look only)
--   {7}                      the activity's admission is not queue
--   {8, 'ended' | 'cancelled'}
--                            the activity has ended or was cancelled
--   {9}                      unknown activity
-- Codes other than 1 to 3 after a join write nothing.
local a = redis.call('HMGET', KEYS[1], 'id', 'admission', 'cancelled_at', 'starts_at', 'ends_at', 'queue_opens_at',
  'admit_rate', 'admission_ttl')
if not a[1] then
  return {9}
end
if a[2] ~= 'queue' then
  return {7}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if a[3] ~= '0' then
  return {8, 'cancelled'}
end
local starts = tonumber(a[4])
if now >= tonumber(a[5]) then
  return {8, 'ended'}
end
if now < tonumber(a[6]) then
  return {5, tonumber(a[6])}
end

if ARGV[2] == '1' and not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  if now < starts then
    redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[1])
  else
    local seq = redis.call('HINCRBY', KEYS[3], 'seq', 1)
    redis.call('ZADD', KEYS[2], 'NX', string.format('%.0f', 4503599627370496 + seq), ARGV[1])
  end
end
local rank = redis.call('ZRANK', KEYS[2], ARGV[1])
if not rank then
  return {6}
end
local q = redis.call('HMGET', KEYS[3], 'frontier', 'sold_out')
local frontier = math.floor(tonumber(q[1]) or 0)
if now >= starts and rank < frontier then
  local at = tonumber(redis.call('HGET', KEYS[4], ARGV[1]))
  if not at then
    -- The first log entry past the place: when the frontier passed it.
    local e = redis.call('ZRANGEBYSCORE', KEYS[5], '(' .. rank, '+inf', 'LIMIT', 0, 1)
    at = 0
    if e[1] then
      at = tonumber(string.match(e[1], '^%d+:(%d+)'))
    end
    redis.call('HSETNX', KEYS[4], ARGV[1], at)
  end
  local expires = at + tonumber(a[8]) * 1000
  if now >= expires then
    return {3, at, expires}
  end
  return {2, at, expires}
end
if q[2] == '1' then
  return {4}
end
return {1, rank - frontier, tonumber(a[7]), starts, now}
