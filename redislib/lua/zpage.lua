-- Reads one page of a ZSET listing, newest first: the entries strictly after a
-- cursor position in (score, member) descending order, the order of ZREVRANGE.
-- Read-only.
--
-- KEYS[1] -> the listing (ZSET, score = creation time ms)
-- ARGV[1] -> n: the most entries to return
-- ARGV[2] -> cursor score, or '' for the first page
-- ARGV[3] -> cursor member (ignored for the first page)
--
-- Returns a flat list {member, score, member, score, ...} of at most n entries.
local key, n = KEYS[1], tonumber(ARGV[1])
if ARGV[2] == '' then
  return redis.call('ZREVRANGE', key, 0, n - 1, 'WITHSCORES')
end
local score, member = ARGV[2], ARGV[3]

-- Fast path: the cursor's member is still there at its score, so its rank is
-- the position; the rank is read and used in this one atomic script.
local current = redis.call('ZSCORE', key, member)
if current and tonumber(current) == tonumber(score) then
  local rank = redis.call('ZREVRANK', key, member)
  return redis.call('ZREVRANGE', key, rank + 1, rank + n, 'WITHSCORES')
end

-- The member has left the listing (a deleted product, say). Entries with the
-- same score come first if their member sorts below it (byte order, as Redis
-- sorts them; Lua's < follows the locale), then the lower scores.
local function below(a, b)
  local len = math.min(#a, #b)
  for i = 1, len do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      return x < y
    end
  end
  return #a < #b
end

local out = {}
local offset, chunk = 0, 100
while #out < 2 * n do
  local tied = redis.call('ZREVRANGEBYSCORE', key, score, score, 'LIMIT', offset, chunk)
  for _, m in ipairs(tied) do
    if #out < 2 * n and below(m, member) then
      out[#out + 1] = m
      out[#out + 1] = score
    end
  end
  if #tied < chunk then
    break
  end
  offset = offset + chunk
end
if #out < 2 * n then
  local rest = redis.call('ZREVRANGEBYSCORE', key, '(' .. score, '-inf', 'WITHSCORES', 'LIMIT', 0, n - #out / 2)
  for _, v in ipairs(rest) do
    out[#out + 1] = v
  end
end
return out
