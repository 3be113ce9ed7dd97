-- Page load with a fixed Cookie header (passed on the wrk command line with -H).
-- Counts response statuses so a redirect to /login (an expired or missing session) cannot
-- pass for a fast page: wrk itself only flags statuses >= 400.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
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
