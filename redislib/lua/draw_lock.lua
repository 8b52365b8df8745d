-- Takes, renews or releases the lock that lets one process at a time run an
-- activity's draw (see redislib/draw.go). The lock holds a random token
-- chosen by the process; every write of the draw (draw_start, draw_hash,
-- draw_award) checks it, so a process that lost the lock (paused past its
-- TTL, say) writes nothing more.
--
-- KEYS[1] -> the draw's lock (STRING: the holder's token, with a TTL)
-- ARGV[1] -> the caller's token
-- ARGV[2] -> TTL in ms to take or renew the lock for; '0' releases it
--
-- Returns {code}:
--   {1}  held by the caller: taken, renewed, or released
--   {2}  held by another token (nothing written)
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  return {2}
end
if ARGV[2] == '0' then
  if holder then
    redis.call('DEL', KEYS[1])
  end
  return {1}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1}
