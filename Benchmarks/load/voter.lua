-- wrk script: each wrk thread acts as one voter, load_N for thread N, who registers (the first time) and
-- logs in when the thread starts, before wrk's clock runs.
--   wrk ... -s voter.lua URL -- MODE GATEWAY WORK_DIR
-- MODE next: GET /api/comparisons/next, discarding the answers: the measured run, where the client parses
--   nothing, as for the hello-world baseline;
-- MODE tickets: GET /api/comparisons/next, keeping every ticket received in WORK_DIR/tickets-N (parsing each
--   answer in Lua costs the client CPU on the same cores, so this run feeds the votes and is not measured);
--   first, before wrk's clock runs, the voter casts 30 votes: a history, so that recommendations take the
--   personalized path (with no votes a voter gets the cold-start ranking, which costs next to nothing). Cast
--   here, the leaderboard refit they set off is over before the measured runs, instead of running through
--   the recommendations run it would otherwise share the cores with;
-- MODE recommendations: GET /api/recommendations?limit=10;
-- MODE vote: POST /api/votes, one ticket kept by `tickets` per request (each ticket buys one vote);
-- MODE echo: POST the same vote bodies, with the same headers, to the baseline's /echo;
-- MODE durable: the same to the baseline's /durable, which answers once the body is durable in its log.
-- GATEWAY is the service's base URL, where the voter logs in whatever URL wrk loads.
-- wrk's Lua has no sockets of its own: the login is a curl call.

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("index", threads)
end

local function post(url, body, token)
  local authorization = token and ("-H 'Authorization: Bearer " .. token .. "' ") or ""
  local command = "curl -s -X POST -H 'Content-Type: application/json' " .. authorization .. "-w '\\n%{http_code}' -d '" .. body .. "' " .. url
  local answer = io.popen(command):read("*a")
  local text, status = answer:match("^(.*)\n(%d+)$")
  return tonumber(status), text
end

-- A password check at a time per client address (the gateway answers 429 to a second one at once):
-- threads that sign in together take turns.
local function postPatiently(url, body)
  local status, text = post(url, body)
  while status == 429 do
    os.execute("sleep 0.2")
    status, text = post(url, body)
  end
  return status, text
end

-- A bearer token for load_N: logs in, registering first if the voter does not exist yet.
local function login(gateway, voter)
  local credentials = '{"username":"' .. voter .. '","password":"load test password"}'
  local status, body = postPatiently(gateway .. "/api/auth/login", credentials)
  if status == 401 then
    status = postPatiently(gateway .. "/api/auth/register", credentials)
    assert(status == 201, "registering " .. voter .. " answered " .. tostring(status))
    status, body = postPatiently(gateway .. "/api/auth/login", credentials)
  end
  local token = status == 200 and body:match('"token":"([^"]+)"')
  assert(token, "logging in " .. voter .. " answered " .. tostring(status) .. ": " .. tostring(body))
  return token
end

-- Votes `count` times on pairs the service offers, each side by chance: a history for the recommender.
local function castVotes(gateway, token, count)
  for _ = 1, count do
    local offer = io.popen("curl -s -H 'Authorization: Bearer " .. token .. "' " .. gateway .. "/api/comparisons/next"):read("*a")
    local ticket = offer:match('"ticket":"([^"]+)"')
    assert(ticket, "no comparison offered: " .. offer)
    local winner = math.random(2) == 1 and "setA" or "setB"
    local status, body = post(gateway .. "/api/votes", '{"ticket":"' .. ticket .. '","winner":"' .. winner .. '"}', token)
    assert(status == 201, "a history vote answered " .. tostring(status) .. ": " .. tostring(body))
  end
end

function init(args)
  mode = args[1]
  local token = login(args[2], "load_" .. index)
  local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  local ticketFile = args[3] .. "/tickets-" .. index
  if mode == "next" then
    fixed = wrk.format("GET", "/api/comparisons/next", headers)
  elseif mode == "tickets" then
    castVotes(args[2], token, 30)
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
    local path = ({vote = "/api/votes", echo = "/echo", durable = "/durable"})[mode]
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
