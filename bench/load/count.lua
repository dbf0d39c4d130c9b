-- wrk script (bench/http.py, bench/scenarios.py): the count burst, PUT /v1/count-sessions/{id}/lines with
--   {"item_id": "<uuid>", "location_id": "<uuid>", "qty_on_hand": "<decimal string>"}
-- for a random line of the session and a random quantity 0.000 .. 499.999, each request as one of the
-- four counters (a different token per request, in turn), counted_at left to the server (now).
--   NP_BENCH_TOKENS   the four counters' bearer tokens, comma-separated
--   NP_BENCH_SESSION  the open count session's id
--   NP_BENCH_LINES    file with the session's lines, "<location uuid> <item uuid>" one a line
-- Prints one "NP_BENCH_RESULT {json}" line at the end (latencies in ms) for bench/http.py.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("seed", 15485863 * #threads)
end

local headers, lines, path, turn = {}, {}, nil, 0

function init(args)
  local tokens = os.getenv("NP_BENCH_TOKENS")
  assert(tokens and tokens ~= "", "NP_BENCH_TOKENS is empty")
  for token in tokens:gmatch("[^,]+") do
    headers[#headers + 1] = {
      Authorization = "Bearer " .. token,
      Accept = "application/json",
      ["Content-Type"] = "application/json",
    }
  end
  local session = os.getenv("NP_BENCH_SESSION")
  assert(session and session ~= "", "NP_BENCH_SESSION is empty")
  path = "/v1/count-sessions/" .. session .. "/lines"
  local file = os.getenv("NP_BENCH_LINES")
  assert(file and file ~= "", "NP_BENCH_LINES is empty")
  for line in io.lines(file) do
    local location, item = line:match("^(%S+) (%S+)$")
    if location then lines[#lines + 1] = { location, item } end
  end
  assert(#lines > 0, file .. " holds no lines")
  math.randomseed(seed or 1)
end

function request()
  local line = lines[math.random(#lines)]
  turn = turn % #headers + 1
  local body = ('{"item_id":"%s","location_id":"%s","qty_on_hand":"%d.%03d"}'):format(
    line[2], line[1], math.random(0, 499), math.random(0, 999))
  return wrk.format("PUT", path, headers[turn], body)
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "result.lua")  -- done(): the NP_BENCH_RESULT line
