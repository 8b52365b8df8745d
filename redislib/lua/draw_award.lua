-- Records one step of a draw's awarding, for the holder of its lock: the
-- entrants who hold a unit from the draw (their purchase with admitted '1'
-- answered won, already_won or order_closed) and the next position to try.
-- The purchases come first, each its own run of purchase.lua; a crash before
-- this record replays them, and a replayed purchase answers already_won, so
-- every entrant gets at most one unit and is recorded once.
--
-- KEYS[1] -> the draw's state (HASH: phase award_cursor)
-- KEYS[2] -> the draw's lock (STRING)
-- KEYS[3] -> the draw's winners (ZSET: user id, score = position in the draw order)
-- KEYS[4] -> the activity (HASH; field draw_status)
-- ARGV[1] -> the caller's lock token
-- ARGV[2] -> the award cursor the step started at
-- ARGV[3] -> the next position to try
-- ARGV[4] -> '1' when the first pass is over (the stock or the entries ran
--            out): the draw is done and the activity reveals its seed
-- ARGV[5..] -> position, user id, position, user id, ... of the entrants who hold a unit
--
-- Returns {code, ...}:
--   {1, winners}  applied; winners is ZCARD of KEYS[3]
--   {2}           the lock is not the caller's (nothing written)
--   {3}           the state moved on (nothing written)
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return {2}
end
local s = redis.call('HMGET', KEYS[1], 'phase', 'award_cursor')
if s[1] ~= 'awarding' or s[2] ~= ARGV[2] then
  return {3}
end
for i = 5, #ARGV, 2 do
  redis.call('ZADD', KEYS[3], 'NX', ARGV[i], ARGV[i + 1])
end
redis.call('HSET', KEYS[1], 'award_cursor', ARGV[3])
if ARGV[4] == '1' and redis.call('HGET', KEYS[4], 'draw_status') ~= 'done' then
  local t = redis.call('TIME')
  redis.call('HSET', KEYS[4], 'draw_status', 'done')
  redis.call('HSET', KEYS[1], 'done_at', tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
end
return {1, redis.call('ZCARD', KEYS[3])}
