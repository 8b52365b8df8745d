-- wrk script for scripts/bench.sh and scripts/queuebench.sh: POSTs
-- {"user_id":"..."} to the route given as wrk's URL, the purchase route or a
-- waiting room's join route (/activities/:id/queue).
--
--   WRK_MODE=random WRK_USERS=100000 wrk -s wrk_purchase.lua URL   # users drawn from 1..WRK_USERS
--   WRK_MODE=unique wrk -s wrk_purchase.lua URL                    # a new user every request
--
-- In random mode a user is drawn uniformly, so most users send more than one
-- request over a long run, as in a real sale where losers retry. The
-- requests are built once, in init, so that the load generator spends its
-- CPU on HTTP rather than on Lua (it shares the machine with the server).
local mode = os.getenv("WRK_MODE") or "random"
local users = tonumber(os.getenv("WRK_USERS") or "100000")
local prefix = os.getenv("WRK_PREFIX") or "wrk"
-- How many random-mode requests each thread prepares and then cycles through.
local prepared = tonumber(os.getenv("WRK_PREPARED") or "100000")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local reqs, n = {}, 0
local head, tail

local function body(user)
  return '{"user_id":"' .. user .. '"}'
end

function init()
  math.randomseed(os.time() * 1000 + tid)
  if mode == "unique" then
    -- One template; only the user changes per request.
    local sample = wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, "")
    head = sample:gsub("Content%-Length: %d+\r\n", "")
    head = head:sub(1, #head - 2) -- drop the final CRLF: headers go on below
    return
  end
  for i = 1, prepared do
    reqs[i] = wrk.format("POST", nil, { ["Content-Type"] = "application/json" },
      body(prefix .. "-" .. math.random(1, users)))
  end
end

function request()
  n = n + 1
  if mode == "unique" then
    local b = body(prefix .. "-" .. tid .. "-" .. n)
    return head .. "Content-Length: " .. #b .. "\r\n\r\n" .. b
  end
  return reqs[(n - 1) % prepared + 1]
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
