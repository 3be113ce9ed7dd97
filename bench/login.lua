-- Continuous logins with correct passwords.
-- Arguments (after `--` on the wrk command line):
--   1: the csrf token (the same value is sent as the clinic_csrf cookie and the form field)
--   2: how many seeded accounts patient1..N@bench.example to rotate through (0 = demo patient only)
-- Every seeded account reuses the demo patient's password hash, so all share its password.
dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "") .. "status.lua")
count_statuses(303)

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
  reset_counts()
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

