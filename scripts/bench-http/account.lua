-- GET /api/v1/accounts/{n}: each request one of the subscribers (token and account) in turn.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")
local rows = common.load(os.getenv("BENCH_DATA"))
local next_n = common.rotation()

setup = common.setup
done = common.done

function request()
   local row = rows[next_n() % #rows + 1]
   return wrk.format("GET", "/api/v1/accounts/" .. row[3], { ["Authorization"] = "Bearer " .. row[2] })
end
