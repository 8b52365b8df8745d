-- wrk script for scripts/bench.sh: POSTs {"user_id":"..."} to the purchase
-- route given as wrk's URL.
--
--   WRK_MODE=random WRK_USERS=100000 wrk -s wrk_purchase.lua URL   # users drawn from 1..WRK_USERS
--   WRK_MODE=unique wrk -s wrk_purchase.lua URL                    # a new user every request
--
-- In random mode a user is drawn uniformly, so most users send more than one
-- request over a long run, as in a real sale where losers retry.
local mode = os.getenv("WRK_MODE") or "random"
local users = tonumber(os.getenv("WRK_USERS") or "100000")
local prefix = os.getenv("WRK_PREFIX") or "wrk"

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local n = 0
function init()
  math.randomseed(os.time() * 1000 + tid)
end

local headers = { ["Content-Type"] = "application/json" }

function request()
  local user
  if mode == "unique" then
    n = n + 1
    user = prefix .. "-" .. tid .. "-" .. n
  else
    user = prefix .. "-" .. math.random(1, users)
  end
  return wrk.format("POST", nil, headers, '{"user_id":"' .. user .. '"}')
end

-- One JSON line that scripts/bench.sh reads: counts, latency in
-- microseconds, and wrk's errors (status counts every non-2xx/3xx answer).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
