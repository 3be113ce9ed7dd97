-- Shared by the wrk scripts: counts response statuses so that a redirect to /login (an
-- expired or missing session) or a refused login cannot pass for a fast answer; wrk itself
-- only flags statuses >= 400. `count_statuses(expected)` defines setup, response and done;
-- each script's init calls `reset_counts()`.
local threads = {}

function reset_counts()
  ok = 0
  other = 0
  statuses = ""
end

function count_statuses(expected)
  function setup(thread)
    table.insert(threads, thread)
  end

  function response(status, headers, body)
    if status == expected then
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
    io.write(string.format("STATUS ok_%d=%d other=%d other_statuses=[%s]\n",
      expected, total_ok, total_other, seen))
  end
end
