-- wrk script: each request carries the next access token from the file named after `--`
-- (one token per line), so a run with many lines measures many distinct users.
local threads = 0
local tokens, count, i = {}, 0, 0

function setup(thread)
  threads = threads + 1
  thread:set("offset", threads)
end

function init(args)
  for line in io.lines(args[1]) do
    count = count + 1
    tokens[count] = line
  end
  i = (offset * 7919) % count -- threads start at different places in the rotation
end

function request()
  i = i % count + 1
  return wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. tokens[i] })
end
