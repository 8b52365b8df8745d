-- Reads one page of a ZSET newest first (score descending, then member
-- descending, the order of ZREVRANGE), after a cursor. Read-only.
--
-- The cursor is the (score, member) of the last item already listed. While
-- that member is in the ZSET, the page starts right after its current rank,
-- so items added since (anywhere) are neither repeated nor skipped. When it is
-- gone, the page starts after (score, member) by comparison.
--
-- KEYS[1] -> the ZSET
-- ARGV[1] -> how many items to return (>= 1)
-- ARGV[2] -> cursor score, or '' for the first page
-- ARGV[3] -> cursor member (ignored on the first page)
--
-- Returns a flat array {member, score, member, score, ...} of at most ARGV[1]
-- items; fewer means the end of the ZSET was reached.
local n = tonumber(ARGV[1])
if ARGV[2] == '' then
  return redis.call('ZREVRANGE', KEYS[1], 0, n - 1, 'WITHSCORES')
end
local rank = redis.call('ZREVRANK', KEYS[1], ARGV[3])
if rank then
  return redis.call('ZREVRANGE', KEYS[1], rank + 1, rank + n, 'WITHSCORES')
end
-- The cursor member is gone: take the members that tie on the cursor score
-- and sort after it (byte order, as Redis sorts them), then the lower scores.
local function less(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      return x < y
    end
  end
  return #a < #b
end
local out = {}
local ties = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[2])
for _, m in ipairs(ties) do
  if #out >= 2 * n then
    return out
  end
  if less(m, ARGV[3]) then
    out[#out + 1] = m
    out[#out + 1] = ARGV[2]
  end
end
local want = n - #out / 2
if want > 0 then
  local rest = redis.call('ZREVRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '-inf', 'WITHSCORES', 'LIMIT', 0, want)
  for _, v in ipairs(rest) do
    out[#out + 1] = v
  end
end
return out
