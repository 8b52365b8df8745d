-- Takes one request from a rate-limit bucket: GCRA (the generic cell rate
-- algorithm). The bucket is one integer, the theoretical arrival time (TAT):
-- the time at which the bucket would be full again if no more requests came.
-- A request is allowed when, after adding it, the TAT is at most burst
-- intervals ahead of now. Time is Redis TIME (microseconds), so every instance
-- sharing this Redis shares the same buckets and clock.
--
-- Buckets are not durable on purpose: the script turns off propagation of its
-- writes (redis.set_repl), so they are neither appended to the AOF nor sent to
-- replicas, and cost no fsync. After a restart or a failover every bucket is
-- full again, the worst a lost bucket can do. A bucket's expiry is still
-- propagated as a DEL, which is harmless.
--
-- KEYS[1] -> the bucket (STRING: TAT in microseconds since the epoch; it
--            expires when the bucket is full again, so idle buckets cost nothing)
-- ARGV[1] -> emission interval in microseconds: 1e6 / allowed requests per
--            second, an integer >= 1
-- ARGV[2] -> burst: how many requests a full bucket allows at once, an integer >= 1
--
-- Returns {allowed, wait}:
--   {1, 0}      allowed, and counted
--   {2, wait}   refused, nothing written; wait is how many microseconds until
--               one more request would be allowed
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local next_tat = tat + interval
local allow_at = next_tat - burst * interval
if now < allow_at then
  return {2, allow_at - now}
end
redis.set_repl(redis.REPL_NONE)
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000))
return {1, 0}
