-- wrk script (bench/http.py): the viewer's read, GET /v1/items?category=cat-NN&limit=50 with NN
-- drawn uniformly from 01..20 on every request.
--   NP_BENCH_TOKEN  a bearer token (bench/http.py mints one per server under test)
-- Prints one "NP_BENCH_RESULT {json}" line at the end (latencies in ms) for bench/http.py.
-- wrk counts a response with status >= 400 in errors.status; no Accept-Encoding is sent (no gzip).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("seed", 7919 * #threads)
end

local headers

function init(args)
  local token = os.getenv("NP_BENCH_TOKEN")
  assert(token and token ~= "", "NP_BENCH_TOKEN is empty")
  headers = { Authorization = "Bearer " .. token, Accept = "application/json" }
  math.randomseed(seed or 1)
end

function request()
  return wrk.format("GET", ("/v1/items?category=cat-%02d&limit=50"):format(math.random(20)), headers)
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "result.lua")  -- done(): the NP_BENCH_RESULT line
