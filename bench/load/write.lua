-- wrk script (bench/http.py): the counter's write, POST /v1/counts with
--   {"item_id": "<uuid>", "location_id": "<uuid>", "qty_on_hand": "<decimal string>"}
-- for a random seeded item and location and a random quantity 0.000 .. 999.999.
--   NP_BENCH_TOKEN      a bearer token (bench/http.py mints one per server under test)
--   NP_BENCH_ITEMS      file with the item uuids, one a line
--   NP_BENCH_LOCATIONS  file with the location uuids, one a line
-- Prints one "NP_BENCH_RESULT {json}" line at the end (latencies in ms) for bench/http.py.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("seed", 104729 * #threads)
end

local headers, items, locations

local function lines(env)
  local path = os.getenv(env)
  assert(path and path ~= "", env .. " is empty")
  local out = {}
  for line in io.lines(path) do
    if line ~= "" then out[#out + 1] = line end
  end
  assert(#out > 0, path .. " holds no ids")
  return out
end

function init(args)
  local token = os.getenv("NP_BENCH_TOKEN")
  assert(token and token ~= "", "NP_BENCH_TOKEN is empty")
  headers = {
    Authorization = "Bearer " .. token,
    Accept = "application/json",
    ["Content-Type"] = "application/json",
  }
  items, locations = lines("NP_BENCH_ITEMS"), lines("NP_BENCH_LOCATIONS")
  math.randomseed(seed or 1)
end

function request()
  local body = ('{"item_id":"%s","location_id":"%s","qty_on_hand":"%d.%03d"}'):format(
    items[math.random(#items)], locations[math.random(#locations)], math.random(0, 999), math.random(0, 999))
  return wrk.format("POST", "/v1/counts", headers, body)
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "result.lua")  -- done(): the NP_BENCH_RESULT line
