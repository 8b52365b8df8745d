-- Trims an events stream (the outbox of one stock bucket) to what its
-- readers still need: entries every consumer group has been delivered and
-- has acknowledged go, and so does every entry older than the horizon,
-- acknowledged or not (a group that has not read for that long is taken to
-- be gone). Entries no group has acknowledged stay, as long as they are
-- younger than the horizon: a stream without any group keeps every entry
-- younger than it.
--
-- For each group, the first entry to keep is its oldest pending entry
-- (delivered, not acknowledged), or else the entry after its last delivered
-- one; the stream keeps the earliest of those over all groups (XTRIM MINID,
-- exact). Group positions only move forward, so a trim never removes an
-- entry a group has yet to read or acknowledge, whatever runs after it.
--
-- KEYS[1] -> the events stream (STREAM)
-- ARGV[1] -> the horizon in ms: entries older than Redis TIME minus this go
--            whatever the groups; 0: no horizon
--
-- Returns {removed, left}: how many entries were removed, and how many are
-- left (both 0 when the stream does not exist; nothing is written then).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {0, 0}
end

-- Stream IDs "<ms>-<seq>" as two numbers (ms fits a Lua number exactly).
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return {tonumber(ms), tonumber(seq)}
end
local function less(a, b)
  return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2])
end

local keep = nil
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local f = {}
  for i = 1, #g, 2 do
    f[g[i]] = g[i + 1]
  end
  local first
  if tonumber(f['pending']) > 0 then
    first = parse(redis.call('XPENDING', KEYS[1], f['name'])[2])
  else
    first = parse(f['last-delivered-id'])
    first[2] = first[2] + 1
  end
  if keep == nil or less(first, keep) then
    keep = first
  end
end

local horizon = tonumber(ARGV[1])
if horizon > 0 then
  local t = redis.call('TIME')
  local oldest = {tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - horizon, 0}
  if keep == nil or less(keep, oldest) then
    keep = oldest
  end
end

local removed = 0
if keep ~= nil then
  removed = redis.call('XTRIM', KEYS[1], 'MINID', string.format('%.0f-%.0f', keep[1], keep[2]))
end
return {removed, redis.call('XLEN', KEYS[1])}
