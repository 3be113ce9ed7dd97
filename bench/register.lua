-- A registration flood: every request a new, well-formed patient registration.
-- Arguments (after `--` on the wrk command line):
--   1: the csrf token (sent as the clinic_csrf cookie and the form field)
--   2: how many client addresses the flood comes from, sent as X-Forwarded-For (the server
--      runs with CLINIC_TRUST_PROXY=true); 1 = a single attacker, more = a botnet that the
--      per-address throttle cannot stop on its own
--   3: milliseconds each connection waits between its requests (default 50: 64 connections
--      then send about 1,000 registrations a second, far more than the server can hash,
--      without turning the flood into a test of how many cheap pages 2 cores can serve)
-- Any answer counts: the page (200 or 303), refused by the per-address throttle (429) or
-- by the bounded wait for a hashing slot (503). The summary prints each status's count.
local threads = {}
local counter = 0

local function urlencode(s)
  return (string.gsub(s, "[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  csrf = args[1]
  addresses = tonumber(args[2] or "1")
  pause = tonumber(args[3] or "50")
  counts = {}
  run = tostring(os.time())
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = "clinic_csrf=" .. csrf
end

function request()
  counter = counter + 1
  local address = counter % addresses
  -- wrk.format uses the headers given instead of wrk.headers, so copy those in.
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", id or 0, math.floor(address / 256) % 256, address % 256)
  local body = "name=" .. urlencode("Flood Test") ..
    "&email=" .. urlencode("flood-" .. run .. "-" .. (id or 0) .. "-" .. counter .. "@bench.example") ..
    "&date_of_birth=1980-01-01" ..
    "&password=" .. urlencode("a long enough flood passphrase") ..
    "&csrf_token=" .. csrf
  return wrk.format(nil, nil, headers, body)
end

function delay()
  return pause
end

function response(status, headers, body)
  local key = tostring(status)
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c) do
      total[k] = (total[k] or 0) + v
    end
  end
  local line = "REGISTRATIONS"
  for k, v in pairs(total) do
    line = line .. " " .. k .. "=" .. v
  end
  io.write(line .. "\n")
end
