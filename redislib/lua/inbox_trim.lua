-- Trims a stock bucket's inbox of transfers that are complete. An inbox
-- entry exists so that a second give of the same transfer changes nothing
-- (transfer_give.lua), and a give is sent only by a process that read the
-- transfer in its source's outbox moments before (within its request's
-- timeout). Once the outbox entry is gone, no new read can find it, so the
-- entry is needed only until every give that read it earlier has run. In
-- two steps, by Redis TIME:
--   1. an entry seen complete (the caller found it in the inbox, then found
--      it in no outbox of the activity) is marked with the time it was seen:
--      its value "<units>" becomes "<units>:<ms>";
--   2. an entry marked at least ARGV[1] ms ago is deleted.
-- A give of a marked entry is still a no-op (HSETNX finds the field).
--
-- KEYS[1] -> the bucket's inbox (HASH transfer id -> "<units>" or "<units>:<ms seen complete>")
-- ARGV[1] -> how long a marked entry stays, in ms (far above any request timeout)
-- ARGV[2..] -> ids of transfers seen complete (ids not in the inbox are skipped)
--
-- Returns {marked, deleted}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local keep = tonumber(ARGV[1])
local marked, deleted = 0, 0
for i = 2, #ARGV do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v then
    local units, at = string.match(v, '^(%d+):(%d+)$')
    if not units then
      redis.call('HSET', KEYS[1], ARGV[i], v .. ':' .. now)
      marked = marked + 1
    elseif now - tonumber(at) >= keep then
      redis.call('HDEL', KEYS[1], ARGV[i])
      deleted = deleted + 1
    end
  end
end
return {marked, deleted}
