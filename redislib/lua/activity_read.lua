-- Reads one activity, its remaining stock and the Redis time in one atomic
-- step, so the status derived from them is consistent. Read-only.
--
-- KEYS[1] -> the activity (HASH)
-- KEYS[2] -> the remaining stock (STRING)
--
-- Returns {fields, remaining, now}: fields is the flat HGETALL list (empty when
-- the activity does not exist), remaining the stock as a string (false when
-- absent), now the Redis time in ms.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return {redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[2]), now}
