-- Enters one user in an activity's draw: adds them to its entries while
-- registration is open, registration_opens_at <= Redis TIME < draw_at. A
-- repeat by an entered user answers "already entered" at any time (also
-- after draw_at), so retrying an entry is always safe. Refusals write
-- nothing. A pause does not close registration: it stops sales, and the draw
-- awards nothing while the activity is paused.
--
-- KEYS[1] -> the activity (HASH; fields id admission registration_opens_at
--            draw_at cancelled_at, times in ms)
-- KEYS[2] -> the activity's entries (SET of user ids)
-- ARGV[1] -> user id
--
-- Returns {code}:
--   {1}  entered: the user was added
--   {2}  already entered (nothing written)
--   {3}  not a draw activity: admission is not 'draw'
--   {4}  cancelled by an admin
--   {5}  registration not open yet (TIME < registration_opens_at)
--   {6}  registration closed (TIME >= draw_at)
--   {7}  activity not found
local a = redis.call('HMGET', KEYS[1], 'id', 'admission', 'registration_opens_at', 'draw_at', 'cancelled_at')
if not a[1] then
  return {7}
end
if a[2] ~= 'draw' then
  return {3}
end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  return {2}
end
if (a[5] or '0') ~= '0' then
  return {4}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now < tonumber(a[3]) then
  return {5}
end
if now >= tonumber(a[4]) then
  return {6}
end
redis.call('SADD', KEYS[2], ARGV[1])
return {1}
