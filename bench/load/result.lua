-- The end of every bench/load/*.lua script (each loads this file with dofile): wrk calls done() once,
-- in its main thread, and it prints one "NP_BENCH_RESULT {json}" line (latencies in ms) that
-- bench/http.py reads.

function done(summary, latency, requests)
  local e, s = summary.errors, summary.duration / 1e6
  io.write(("NP_BENCH_RESULT {\"requests\": %d, \"seconds\": %.3f, \"rps\": %.1f, \"p50_ms\": %.3f, " ..
    "\"p90_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, \"connect\": %d, \"read\": %d, \"write\": %d, " ..
    "\"timeout\": %d, \"status\": %d}\n"):format(summary.requests, s, summary.requests / s,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, e.connect, e.read, e.write, e.timeout, e.status))
end
