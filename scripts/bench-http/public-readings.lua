-- POST /api/v1/public/readings: each request a meter of no subscriber's account in turn, from a
-- client address of its own (the limits: 3 a meter a day, 20 a network an hour).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")
local rows = common.load(os.getenv("BENCH_DATA"))
local next_n = common.rotation()

setup = common.setup
done = common.done

function request()
   local n = next_n()
   local row = rows[n % #rows + 1]
   local body = string.format(
      '{"full_name":"Иванов Иван Иванович","phone":"+79161234567","meter_number":"%s","value":"%s"}',
      row[1], row[2])
   return wrk.format("POST", "/api/v1/public/readings",
      { ["Content-Type"] = "application/json", ["X-Forwarded-For"] = common.address(n) }, body)
end
