-- wrk script: replays pre-signed webhook requests (WebhookBench.java presign), each sent once per pass.
--   wrk -t2 -c64 -d10s --latency -s bench/webhook/presigned.lua URL -- FILE THREADS [RATE CONNECTIONS]
-- With RATE (requests/s over all CONNECTIONS), each connection waits a random time of mean CONNECTIONS / RATE seconds
-- (exponentially distributed) before each request (wrk's delay()), so the requests arrive about as a Poisson stream
-- of at most RATE: at light load an answer takes a few ms and the achieved rate is close to it; the done() line says
-- what was achieved. A fixed wait kept the connections in step, and every one of them sent at the same instant: a
-- burst of CONNECTIONS requests that measured the burst, not the rate. (No correction for coordinated omission:
-- wrk2 is not in Debian's archive.)
-- Each wrk thread takes every THREADS-th line, so no request is sent by two threads, and no thread sends before every
-- thread has read its lines (FILE.ready, below). A pass that runs out starts
-- again at its first request: those are redeliveries (answered from bronze.webhook_deliveries), so make FILE
-- larger than the rate times the duration; the done() line says how many requests a thread had.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  local file, n = args[1], tonumber(args[2])
  requests = {}
  local i = 0
  for line in io.lines(file) do
    if i % n == id then
      local wid, ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", nil, {
        ["Content-Type"] = "application/json", ["webhook-id"] = wid,
        ["webhook-timestamp"] = ts, ["webhook-signature"] = sig }, body)
    end
    i = i + 1
  end
  next_request = 0
  -- a start line for every thread: wrk reads a thread's script (this file of requests) only after starting the
  -- threads before it, so the first thread would send alone for as long as the second takes to read the file (2-3 s
  -- of a 10 s run, at half the load). Each thread says it is ready in FILE.ready (the first one empties it: wrk runs
  -- the threads' init() one after another), and a thread's first request() holds the thread until all are.
  local ready = io.open(file .. ".ready", id == 0 and "w" or "a")
  ready:write(id, "\n")
  ready:close()
  ready_file, threads_total, started = file .. ".ready", n, false
  -- wrk calls the first thread's request() once from its main thread, before it reads the next thread's script, to
  -- check the request: that call must not wait
  verifying = id == 0
  if args[3] then
    -- defined only when paced: wrk looks for delay() after init(), and with it every request waits for a timer
    local pause_ms = 1000 * tonumber(args[4] or 64) / tonumber(args[3])
    math.randomseed(os.time() + 7919 * id)
    function delay() return math.floor(-math.log(1 - math.random()) * pause_ms) end
  end
end

function request()
  if verifying then verifying = false; return requests[1] end
  while not started do
    local count = 0
    for _ in io.lines(ready_file) do count = count + 1 end
    started = count >= threads_total
    if not started then os.execute("sleep 0.05") end
  end
  next_request = next_request + 1
  if next_request > #requests then next_request = 1; wrapped = (wrapped or 0) + 1 end
  return requests[next_request]
end

function done(summary, latency, requests)
  local wraps = 0
  for _, thread in ipairs(threads) do wraps = wraps + (thread:get("wrapped") or 0) end
  io.write(string.format("presigned: %d requests in %.2f s = %.0f requests/s; non-2xx: %d; errors: %d; " ..
    "latency ms p50 %.1f p99 %.1f max %.1f; passes wrapped: %d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, wraps))
end
