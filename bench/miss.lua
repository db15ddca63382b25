-- Every request a new quantity, so every request misses the hub's cache.
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", wrk.path .. "?quantity=" .. (n % 1000000 + 1))
end
