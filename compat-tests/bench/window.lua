-- wrk script of `make bench`: counts the responses that arrive inside the
-- measuring window, so that connection set-up is left out of every figure.
--
--   BENCH_RAMP=seconds   responses before wrk's start + RAMP are not counted
--   BENCH_WINDOW=seconds nor those after wrk's start + RAMP + WINDOW
--   BENCH_MODE=http      GET /small, padded to exactly 66 bytes (the request
--                        size of the original SPOOL measurements)
--   BENCH_MODE=echo      for an echo server: the request is itself a 1,100-byte
--                        HTTP response, which the server sends back and wrk
--                        parses (both ways 1,100 bytes)
--
-- done() prints "WINDOW <responses> <non-200> <seconds> <bytes> <p50> <p99>"
-- (seconds: the longest span between a thread's first and last counted
-- response; bytes: the request's size; p50, p99: wrk's latency percentiles in
-- microseconds, over its whole run: wrk keeps no other).
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local ramp = tonumber(os.getenv("BENCH_RAMP") or "0")
local window = tonumber(os.getenv("BENCH_WINDOW") or "1e9")
local mode = os.getenv("BENCH_MODE") or "http"
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  t0 = now()
  first = nil
  last = nil
  counted = 0
  bad = 0
  if mode == "echo" then
    local head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
    local body_len = 1100 - #head - 4 - 4 -- the length's 4 digits and two CRLFs
    raw = head .. body_len .. "\r\n\r\n" .. string.rep("e", body_len)
  else
    local req = wrk.format("GET", "/small")
    local pad = 66 - #req - #"X-Pad: \r\n"
    if pad < 0 then pad = 0 end
    raw = wrk.format("GET", "/small", { ["X-Pad"] = string.rep("p", pad) })
  end
  rawlen = #raw
end

-- wrk checks the first request of its first thread with an HTTP request
-- parser, before the run. In echo mode that one call gets a GET; every
-- request sent is the response-shaped one.
local checked = false
function request()
  if mode == "echo" and id == 1 and not checked then
    checked = true
    return wrk.format("GET", "/")
  end
  return raw
end

function response(status, headers, body)
  local t = now()
  if t >= t0 + ramp and t < t0 + ramp + window then
    if first == nil then first = t end
    last = t
    counted = counted + 1
    if status ~= 200 then bad = bad + 1 end
  end
end

function done(summary, latency, requests)
  local c, b, span, len = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("counted")
    b = b + t:get("bad")
    len = t:get("rawlen")
    local f, l = t:get("first"), t:get("last")
    if f ~= nil and l ~= nil and l - f > span then span = l - f end
  end
  io.write(string.format("WINDOW %d %d %.3f %d %d %d\n", c, b, span, len,
    latency:percentile(50), latency:percentile(99)))
end
