-- Visitor traffic for bench/load.py: a fixed mix of gallery pages, statement pages, thumbnails
-- and consent POSTs, like browsers send them. Paths come from the environment (set by load.py).
-- Counts every status per thread; done() prints one JSON line, "LOADRESULT {...}".

local function split(text)
  local out = {}
  for item in string.gmatch(text or "", "[^,]+") do out[#out + 1] = item end
  return out
end

local statements = split(os.getenv("LOAD_STATEMENTS"))
local thumbnails = split(os.getenv("LOAD_THUMBNAILS"))
local video_ids = split(os.getenv("LOAD_VIDEO_IDS"))
local max_requests = tonumber(os.getenv("LOAD_MAX_REQUESTS") or "0")

local page_headers = {["Accept-Encoding"] = "gzip, deflate, br", ["Accept"] = "text/html"}
local image_headers = {["Accept"] = "image/avif,image/webp,*/*"}
local form_headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Sec-Fetch-Site"] = "same-origin",
  ["Accept-Encoding"] = "gzip, deflate, br",
}

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  threads[#threads + 1] = thread
end

function init(args)
  math.randomseed(1000 + id)  -- the same mix every run
  statuses = {}
  sent = 0
end

local function pick(list) return list[math.random(#list)] end

function request()
  sent = sent + 1
  local r = math.random(100)
  if r <= 35 then
    return wrk.format("GET", "/", page_headers)
  elseif r <= 65 then
    return wrk.format("GET", pick(statements), page_headers)
  elseif r <= 90 then
    return wrk.format("GET", pick(thumbnails), image_headers)
  elseif r <= 95 then
    return wrk.format("POST", "/consent", form_headers, "scope=always&next=%2F")
  elseif r <= 98 then
    return wrk.format("POST", "/consent", form_headers, "scope=once&gallery=videos&video=" .. pick(video_ids))
  else
    return wrk.format("POST", "/consent/revoke", form_headers, "next=%2Fprivacy")
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if max_requests > 0 and sent >= max_requests then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do totals[status] = (totals[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(totals) do parts[#parts + 1] = string.format('"%d": %d', status, n) end
  local e = summary.errors
  io.write(string.format(
    'LOADRESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
      .. '"max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, '
      .. '"timeout": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(parts, ", ")))
end
