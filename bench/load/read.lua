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

function done(summary, latency, requests)
  local e, s = summary.errors, summary.duration / 1e6
  io.write(("NP_BENCH_RESULT {\"requests\": %d, \"seconds\": %.3f, \"rps\": %.1f, \"p50_ms\": %.3f, " ..
    "\"p90_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, \"connect\": %d, \"read\": %d, \"write\": %d, " ..
    "\"timeout\": %d, \"status\": %d}\n"):format(summary.requests, s, summary.requests / s,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, e.connect, e.read, e.write, e.timeout, e.status))
end
