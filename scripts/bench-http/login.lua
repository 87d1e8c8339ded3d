-- POST /api/v1/auth/login: each request one of the subscribers in turn, with the right password
-- (BENCH_PASSWORD), from a client address of its own (many subscribers, not one network);
-- counts the 503s (the hashers' queue is full).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")
local rows = common.load(os.getenv("BENCH_DATA"))
local password = os.getenv("BENCH_PASSWORD")
local next_n = common.rotation()
s503 = 0

setup = common.setup
done = common.done

function request()
   local n = next_n()
   local row = rows[n % #rows + 1]
   local body = string.format('{"login":"%s","password":"%s"}', row[1], password)
   return wrk.format("POST", "/api/v1/auth/login",
      { ["Content-Type"] = "application/json", ["X-Forwarded-For"] = common.address(n) }, body)
end

function response(status, headers, body)
   if status == 503 then
      s503 = s503 + 1
   end
end
