-- wrk script: each wrk thread acts as one logged-in voter.
--   wrk ... -s voter.lua URL -- MODE TOKENS TICKET_DIR
-- MODE next: GET /api/comparisons/next, keeping every ticket received in TICKET_DIR/tickets-N;
-- MODE recommendations: GET /api/recommendations?limit=10;
-- MODE vote: POST /api/votes, one ticket kept by `next` per request (each ticket buys one vote);
-- MODE echo: POST the same vote bodies to the baseline's /echo.
-- TOKENS holds one bearer token per line, line N for thread N.

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("index", threads)
end

function init(args)
  mode = args[1]
  local tokens = {}
  for line in io.lines(args[2]) do tokens[#tokens + 1] = line end
  local headers = { ["Authorization"] = "Bearer " .. tokens[index], ["Content-Type"] = "application/json" }
  local ticketFile = args[3] .. "/tickets-" .. index
  if mode == "next" then
    fixed = wrk.format("GET", "/api/comparisons/next", headers)
    kept = io.open(ticketFile, "w")
    received = 0
    response = function(status, _, body)
      local ticket = status == 200 and body:match('"ticket":"([^"]+)"')
      if ticket then
        kept:write(ticket, "\n")
        received = received + 1
        if received % 64 == 0 then kept:flush() end
      end
    end
  elseif mode == "recommendations" then
    fixed = wrk.format("GET", "/api/recommendations?limit=10", headers)
  else
    local path = mode == "vote" and "/api/votes" or "/echo"
    votes = {}
    for ticket in io.lines(ticketFile) do
      votes[#votes + 1] = wrk.format("POST", path, headers, '{"ticket":"' .. ticket .. '","winner":"setA"}')
    end
    sent = 0
  end
end

function request()
  if fixed then return fixed end
  sent = sent + 1
  -- Past the last ticket the last one is sent again: a 409, counted by wrk as a non-2xx answer.
  return votes[math.min(sent, #votes)]
end
