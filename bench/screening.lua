-- GET /clinician/screenings/{id} for a random waiting screening each request; the id range
-- comes after `--` on the wrk command line. Status counting as in page.lua.
local first, last

function request()
  return wrk.format("GET", "/clinician/screenings/" .. math.random(first, last))
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  first = tonumber(args[1])
  last = tonumber(args[2])
  math.randomseed(os.time() + (first or 0))
  ok = 0
  other = 0
  statuses = ""
end

function response(status, headers, body)
  if status == 200 then
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
  io.write(string.format("STATUS ok_200=%d other=%d other_statuses=[%s]\n",
    total_ok, total_other, seen))
end
