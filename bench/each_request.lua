-- wrk script of the `app_submit` row (bench/application_rows.py): every request is made ahead,
-- with its own headers and body, and each is sent once. Arguments (after `--`): the file of
-- requests, one per line, and the method.
-- A line is `<Name: value>\t<Name: value>\t…\t<body>`: tab-separated header fields, the body
-- last (empty for none; JSON as msgspec writes it holds no tab or newline). The static headers
-- (-H) are sent with every request.
-- Should the file run out, lines are sent again (a replayed Idempotency-Key is not new work)
-- and `done` says how many were over (as one_each.lua): the harness then measures again.

local lines = {}
local used = 0
local method = "POST"

function setup(thread)
   threads = threads or {}
   table.insert(threads, thread)
end

function init(args)
   method = args[2] or "POST"
   for line in io.lines(args[1]) do
      lines[#lines + 1] = line
   end
   total = #lines
   over = 0
end

function request()
   used = used + 1
   local index = used
   if index > total then
      over = over + 1
      index = (index - 1) % total + 1
   end
   local line = lines[index]
   local headers = {}
   for name, value in pairs(wrk.headers) do
      headers[name] = value
   end
   local start = 1
   while true do
      local tab = string.find(line, "\t", start, true)
      if not tab then
         break
      end
      local field = string.sub(line, start, tab - 1)
      local colon = string.find(field, ": ", 1, true)
      headers[string.sub(field, 1, colon - 1)] = string.sub(field, colon + 2)
      start = tab + 1
   end
   local body = string.sub(line, start)
   if body == "" then
      body = nil
   end
   return wrk.format(method, nil, headers, body)
end

function done(summary, latency, requests)
   for _, thread in ipairs(threads) do
      io.write(string.format("one_each: %d lines, %d sent again\n",
                             thread:get("total"), thread:get("over")))
   end
end
