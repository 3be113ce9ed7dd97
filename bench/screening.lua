-- GET /clinician/screenings/{id} for a random waiting screening each request; the id range
-- comes after `--` on the wrk command line. Statuses are counted by status.lua.
local first, last

function request()
  return wrk.format("GET", "/clinician/screenings/" .. math.random(first, last))
end

dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "") .. "status.lua")
count_statuses(200)

function init(args)
  first = tonumber(args[1])
  last = tonumber(args[2])
  math.randomseed(os.time() + (first or 0))
  reset_counts()
end

