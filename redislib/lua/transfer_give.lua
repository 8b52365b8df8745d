-- Credits a transfer's units to its target bucket, the second step of a
-- transfer (see transfer_take.lua). The transfer id is recorded in the
-- target's inbox in the same atomic step, so a second give of the same
-- transfer (a retry, or a recovery racing the process that took the units)
-- changes nothing.
--
-- KEYS[1] -> the target bucket's meta (HASH; counter moved_in)
-- KEYS[2] -> the target bucket's remaining stock (STRING)
-- KEYS[3] -> the target bucket's inbox (HASH transfer id -> units)
-- ARGV[1] -> transfer id
-- ARGV[2] -> units (>= 1)
--
-- Returns:
--   {1}  credited now
--   {2}  credited before (nothing written)
--   {3}  unknown bucket (nothing written)
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {3}
end
if redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[2]) == 0 then
  return {2}
end
redis.call('INCRBY', KEYS[2], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'moved_in', ARGV[2])
return {1}
