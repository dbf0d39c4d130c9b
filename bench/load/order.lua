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

function done(summary, latency, requests)
  local e, s = summary.errors, summary.duration / 1e6
  io.write(("NP_BENCH_RESULT {\"requests\": %d, \"seconds\": %.3f, \"rps\": %.1f, \"p50_ms\": %.3f, " ..
    "\"p90_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, \"connect\": %d, \"read\": %d, \"write\": %d, " ..
    "\"timeout\": %d, \"status\": %d}\n"):format(summary.requests, s, summary.requests / s,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, e.connect, e.read, e.write, e.timeout, e.status))
end
