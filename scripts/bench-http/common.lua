-- What the wrk scripts of scripts/bench-http.sh share: the data files, the rotation over
-- their rows, and a one-line summary that the shell script reads.
--
-- Environment: BENCH_DATA (a tab-separated file), BENCH_THREADS (wrk's -t), BENCH_START (the
-- first row, so that runs in a row use different rows and client addresses).

local common = {}

-- The rows of a tab-separated file, each a list of fields.
function common.load(path)
   local rows = {}
   for line in io.lines(path) do
      if line ~= "" then
         local fields = {}
         for field in (line .. "\t"):gmatch("([^\t]*)\t") do
            fields[#fields + 1] = field
         end
         rows[#rows + 1] = fields
      end
   end
   assert(#rows > 0, path .. " is empty")
   return rows
end

-- Splits "a,b,c" into a list.
function common.split(text)
   local items = {}
   for item in text:gmatch("[^,]+") do
      items[#items + 1] = item
   end
   return items
end

local threads = {}
local next_id = 0

-- wrk's setup(thread), in the main state: numbers the threads.
function common.setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   threads[#threads + 1] = thread
end

-- The rotation of one thread: the k-th call gives a number no other thread's k-th gives, so
-- that every request of a run has a row (and an address) of its own until the rows wrap.
function common.rotation()
   local stride = tonumber(os.getenv("BENCH_THREADS") or "1")
   local start = tonumber(os.getenv("BENCH_START") or "0")
   local count = 0
   return function()
      local n = start + count * stride + (id or 0)
      count = count + 1
      return n
   end
end

-- A client address of its own for request number n (X-Forwarded-For, the server trusting
-- 127.0.0.1): the per-network limits of docs/security.md then refuse none.
function common.address(n)
   n = n % 16777216
   return string.format("10.%d.%d.%d", math.floor(n / 65536), math.floor(n / 256) % 256, n % 256)
end

-- wrk's done(): one line for the shell script, latencies in milliseconds.
function common.done(summary, latency, requests)
   local s503 = 0
   for _, thread in ipairs(threads) do
      s503 = s503 + (tonumber(thread:get("s503")) or 0)
   end
   local errors = summary.errors
   io.write(string.format(
      "BENCH requests=%d seconds=%.3f rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d s503=%d\n",
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      errors.status, errors.connect + errors.read + errors.write + errors.timeout, s503))
end

return common
