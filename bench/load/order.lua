-- wrk script (bench/http.py, bench/scenarios.py): the suggested order, GET /v1/reports/suggested-order
-- (all suppliers; the weekly order of bench/ordering.py's data, ~1.16k lines, ~0.6 MB of JSON) as a
-- manager. No Accept-Encoding is sent, so the body is not gzipped.
--   NP_BENCH_TOKEN  a manager's bearer token
-- Prints one "NP_BENCH_RESULT {json}" line at the end (latencies in ms) for bench/http.py.

local headers

function init(args)
  local token = os.getenv("NP_BENCH_TOKEN")
  assert(token and token ~= "", "NP_BENCH_TOKEN is empty")
  headers = { Authorization = "Bearer " .. token, Accept = "application/json" }
end

function request()
  return wrk.format("GET", "/v1/reports/suggested-order", headers)
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "result.lua")  -- done(): the NP_BENCH_RESULT line
