-- wrk script of the bank API rows (bench/bank_rows.py): every request carries its own
-- pre-generated DPoP proof (and, for the token endpoint, its own client assertion), each sent
-- once. Arguments (after `--`): the file of requests, one per line, and the method.
-- A line is `<DPoP proof>` (GET) or `<DPoP proof>\t<form body>` (POST). The static headers
-- (-H: the access token, the content type) are sent with every request.
-- Should the file run out, lines are sent again (the platform refuses a replayed proof) and
-- `done` says how many were over: the harness then measures again with more.

local lines = {}
local used = 0
local method = "GET"
local headers = {}

function setup(thread)
   threads = threads or {}
   table.insert(threads, thread)
end

function init(args)
   method = args[2] or "GET"
   for line in io.lines(args[1]) do
      lines[#lines + 1] = line
   end
   total = #lines
   over = 0
   for name, value in pairs(wrk.headers) do
      headers[name] = value
   end
end

function request()
   used = used + 1
   local index = used
   if index > total then
      over = over + 1
      index = (index - 1) % total + 1
   end
   local line = lines[index]
   local tab = string.find(line, "\t", 1, true)
   if tab then
      headers["DPoP"] = string.sub(line, 1, tab - 1)
      return wrk.format(method, nil, headers, string.sub(line, tab + 1))
   end
   headers["DPoP"] = line
   return wrk.format(method, nil, headers, nil)
end

function done(summary, latency, requests)
   for _, thread in ipairs(threads) do
      io.write(string.format("one_each: %d lines, %d sent again\n",
                             thread:get("total"), thread:get("over")))
   end
end
