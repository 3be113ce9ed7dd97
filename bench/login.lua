-- Continuous logins with correct passwords.
-- Arguments (after `--` on the wrk command line):
--   1: the csrf token (the same value is sent as the clinic_csrf cookie and the form field)
--   2: how many seeded accounts patient1..N@bench.example to rotate through (0 = demo patient only)
-- Every seeded account reuses the demo patient's password hash, so all share its password.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function urlencode(s)
  return (string.gsub(s, "[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function init(args)
  csrf = args[1]
  accounts = tonumber(args[2] or "0")
  password = "demo patient passphrase"
  counter = 0
  ok = 0
  other = 0
  statuses = ""
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = "clinic_csrf=" .. csrf
end

function request()
  local email
  if accounts > 0 then
    email = "patient" .. (counter % accounts + 1) .. "@bench.example"
  else
    email = "patient@demo.clinic"
  end
  counter = counter + 1
  local body = "email=" .. urlencode(email) ..
    "&password=" .. urlencode(password) ..
    "&csrf_token=" .. csrf .. "&next="
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 303 then
    ok = ok + 1
  else
    other = other + 1
    if not string.find(statuses, " " .. status .. " ", 1, true) then
      statuses = statuses .. " " .. status .. " "
    end
  end
end

function done(summary, latency, requests)
  local total_ok, total_other, seen = 0, 0, ""
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_other = total_other + t:get("other")
    seen = seen .. t:get("statuses")
  end
  io.write(string.format("STATUS ok_303=%d other=%d other_statuses=[%s]\n",
    total_ok, total_other, seen))
end
