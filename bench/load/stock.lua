-- wrk script (bench/http.py, bench/scenarios.py): the stock page, GET /v1/stock?location_id=<uuid>&limit=50
-- (the first page) as the viewer, the location drawn uniformly from the seed's 12 on every request.
--   NP_BENCH_TOKEN      a bearer token
--   NP_BENCH_LOCATIONS  file with the location uuids, one a line
-- Prints one "NP_BENCH_RESULT {json}" line at the end (latencies in ms) for bench/http.py.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("seed", 32452843 * #threads)
end

local headers, locations

function init(args)
  local token = os.getenv("NP_BENCH_TOKEN")
  assert(token and token ~= "", "NP_BENCH_TOKEN is empty")
  headers = { Authorization = "Bearer " .. token, Accept = "application/json" }
  local file = os.getenv("NP_BENCH_LOCATIONS")
  assert(file and file ~= "", "NP_BENCH_LOCATIONS is empty")
  locations = {}
  for line in io.lines(file) do
    if line ~= "" then locations[#locations + 1] = line end
  end
  assert(#locations > 0, file .. " holds no ids")
  math.randomseed(seed or 1)
end

function request()
  return wrk.format("GET", "/v1/stock?limit=50&location_id=" .. locations[math.random(#locations)], headers)
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "result.lua")  -- done(): the NP_BENCH_RESULT line
