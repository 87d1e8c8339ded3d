-- POST /api/v1/accounts/{n}/readings: each request one of the subscribers in turn, a reading of
-- every meter of the account (a repeated reading of the period replaces the first).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")
local rows = common.load(os.getenv("BENCH_DATA"))
local next_n = common.rotation()

-- The request of each row, built once: (path, token, body).
local requests = {}
for i, row in ipairs(rows) do
   local meters, values = common.split(row[4]), common.split(row[5])
   local items = {}
   for k, meter in ipairs(meters) do
      items[k] = string.format('{"meter_number":"%s","value":"%s"}', meter, values[k])
   end
   requests[i] = {
      path = "/api/v1/accounts/" .. row[3] .. "/readings",
      token = "Bearer " .. row[2],
      body = '{"readings":[' .. table.concat(items, ",") .. "]}",
   }
end

setup = common.setup
done = common.done

function request()
   local r = requests[next_n() % #requests + 1]
   return wrk.format("POST", r.path,
      { ["Authorization"] = r.token, ["Content-Type"] = "application/json" }, r.body)
end
