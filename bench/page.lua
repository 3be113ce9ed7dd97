-- Page load with a fixed Cookie header (passed on the wrk command line with -H).
-- Statuses are counted by status.lua.
dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "") .. "status.lua")
count_statuses(200)

function init(args)
  reset_counts()
end

