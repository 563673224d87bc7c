-- The wrk script of Benchmarks/http-load.sh: builds the requests of one figure and counts the
-- answers. Everything comes from the environment, set by http-load.sh:
--
--   SG_LOAD_MODE    healthz | agent_get | spend | settle | ping
--   SG_LOAD_TOKEN   the node's API token
--   SG_LOAD_AGENTS  how many agents the requests are spread over (agent_get, spend, settle)
--   SG_LOAD_AGENT   the agents' id prefix: agents are PREFIX0 .. PREFIX(N-1)
--   SG_LOAD_THREADS wrk's thread count (-t), so the threads take turns over the agents
--   SG_LOAD_AMOUNT  the amount of each spend or remote request, a decimal string
--   SG_LOAD_KEYS    the idempotency keys' prefix, unique to this run (spend, settle)
--   SG_LOAD_PEER    the giver's system id (settle, ping)
--   SG_LOAD_RESULT  where done() writes `key=value` lines; the keys that got no final answer go
--                   to SG_LOAD_RESULT .. ".unresolved", one a line
--
-- Every spend and remote request carries its own idempotency key (`PREFIX-tTHREAD-N`). A
-- 2xx answer names the key it answers (the transfer id `spd:KEY`, the transaction id `tx:KEY`),
-- so each thread keeps the keys sent and not yet answered. wrk stops with requests in flight,
-- which the node may still carry out; their keys are written out, and http-load.sh looks each
-- one up afterwards, so the ledger can be checked exactly against what was acknowledged.

local mode = os.getenv("SG_LOAD_MODE") or "healthz"
local token = os.getenv("SG_LOAD_TOKEN") or ""
local agent_count = tonumber(os.getenv("SG_LOAD_AGENTS") or "1")
local agent_prefix = os.getenv("SG_LOAD_AGENT") or "agent"
local thread_total = tonumber(os.getenv("SG_LOAD_THREADS") or "1")
local amount = os.getenv("SG_LOAD_AMOUNT") or "0.01"
local key_prefix = os.getenv("SG_LOAD_KEYS") or "k"
local peer = os.getenv("SG_LOAD_PEER") or ""
local result_path = os.getenv("SG_LOAD_RESULT")

-- Setup and done run in their own Lua state: the threads are kept here to read their counters.
local threads = {}
local thread_count = 0

function setup(thread)
   thread:set("thread_id", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

-- Per-thread state (each wrk thread runs this file in a Lua state of its own).
sent = 0
ok = 0          -- spend: 2xx answers that named a key this thread sent
accepted = 0    -- settle: 200 answers saying accepted
rejected = 0    -- settle: 200 answers saying rejected
answered_pending = 0 -- settle: 202, the giver had not answered in time
other = 0       -- any other status
unmatched = 0   -- a 2xx answer whose body named no key this thread was waiting for
first_other = "" -- the first unexpected status and the start of its body, for the log
unresolved = {} -- keys sent without a final answer

-- A request's head. With a body, it ends in "Content-Length: " for the caller to complete
-- (`with_body(head, body)`), so the heads can be built once in init().
local function request_head(method, path, has_body)
   local lines = {
      method .. " " .. path .. " HTTP/1.1",
      "Host: " .. wrk.host .. ":" .. tostring(wrk.port),
      "Authorization: Bearer " .. token,
   }
   if has_body then
      table.insert(lines, "Content-Type: application/json")
      return table.concat(lines, "\r\n") .. "\r\nContent-Length: "
   end
   return table.concat(lines, "\r\n") .. "\r\n\r\n"
end

local function with_body(head, body)
   return head .. #body .. "\r\n\r\n" .. body
end

local function note_other(status, body)
   other = other + 1
   if first_other == "" then
      first_other = tostring(status) .. " " .. string.sub(body or "", 1, 200)
   end
end

-- The agent of the n-th request of this thread: the threads take turns, so together they go
-- round the agents one after another.
local function agent_index(n)
   return (n * thread_total + thread_id) % agent_count
end

local heads = {} -- per agent (agent_get, spend), or one (settle)

if mode == "healthz" or mode == "ping" then
   -- A fixed request: wrk builds it once (no request function), and counts statuses > 399.
   function init(args)
      if mode == "ping" then
         wrk.method = "POST"
         wrk.path = "/v1/peers/" .. peer .. "/ping"
         wrk.headers["Authorization"] = "Bearer " .. token
      else
         wrk.path = "/healthz"
      end
   end
elseif mode == "agent_get" then
   function init(args)
      for i = 0, agent_count - 1 do
         heads[i] = request_head("GET", "/v1/agents/" .. agent_prefix .. i, false)
      end
   end

   function request()
      sent = sent + 1
      return heads[agent_index(sent)]
   end
elseif mode == "spend" or mode == "settle" then
   local function next_key()
      sent = sent + 1
      local key = key_prefix .. "-t" .. thread_id .. "-" .. sent
      unresolved[key] = true
      return key
   end

   if mode == "spend" then
      function init(args)
         for i = 0, agent_count - 1 do
            heads[i] = request_head("POST", "/v1/agents/" .. agent_prefix .. i .. "/spend", true)
         end
      end

      function request()
         local key = next_key()
         local body = '{"amount":"' .. amount .. '","idempotency_key":"' .. key .. '"}'
         return with_body(heads[agent_index(sent)], body)
      end

      function response(status, headers, body)
         if status >= 200 and status < 300 then
            local key = string.match(body, '"id":"spd:([^"]*)"')
            if key and unresolved[key] then
               unresolved[key] = nil
               ok = ok + 1
            else
               unmatched = unmatched + 1
            end
         else
            note_other(status, body)
         end
      end
   else
      function init(args)
         heads[0] = request_head("POST", "/v1/federation/requests", true)
      end

      function request()
         local key = next_key()
         local body = '{"agent_id":"' .. agent_prefix .. agent_index(sent) .. '","remote_system_id":"' .. peer
            .. '","amount":"' .. amount .. '","metadata":{},"idempotency_key":"' .. key .. '"}'
         return with_body(heads[0], body)
      end

      function response(status, headers, body)
         if status == 200 then
            -- A decided answer carries the giver's receipt, whose status and id are the answer's.
            local decided = string.match(body, '"status":"(%a+)"')
            local key = string.match(body, '"transaction_id":"tx:([^"]*)"')
            if key and unresolved[key] and (decided == "accepted" or decided == "rejected") then
               unresolved[key] = nil
               if decided == "accepted" then accepted = accepted + 1 else rejected = rejected + 1 end
            else
               unmatched = unmatched + 1
            end
         elseif status == 202 then
            -- Still pending: the requester keeps asking; its record says the outcome later.
            answered_pending = answered_pending + 1
         else
            note_other(status, body)
         end
      end
   end
else
   error("SG_LOAD_MODE must be healthz, agent_get, spend, settle or ping, not " .. mode)
end

function done(summary, latency, requests)
   local totals = { sent = 0, ok = 0, accepted = 0, rejected = 0, answered_pending = 0, other = 0, unmatched = 0 }
   local keys = {}
   local first = ""
   for _, thread in ipairs(threads) do
      for name, _ in pairs(totals) do
         totals[name] = totals[name] + (thread:get(name) or 0)
      end
      if first == "" then first = thread:get("first_other") or "" end
      for key, _ in pairs(thread:get("unresolved") or {}) do
         table.insert(keys, key)
      end
   end
   local errors = summary.errors
   local out = assert(io.open(result_path, "w"))
   local function put(name, value) out:write(name, "=", string.format("%d", value), "\n") end
   put("requests", summary.requests)
   put("duration_us", summary.duration)
   put("p50_us", latency:percentile(50.0))
   put("p99_us", latency:percentile(99.0))
   put("max_us", latency.max)
   -- Errors: failed sockets and timeouts, then the statuses this script counts itself (every
   -- answer it did not expect) where it reads the answers, else wrk's count of statuses > 399.
   local refused = errors.status
   if type(response) == "function" then refused = totals.other + totals.unmatched end
   put("errors", errors.connect + errors.read + errors.write + errors.timeout + refused)
   for name, value in pairs(totals) do put(name, value) end
   put("unresolved", #keys)
   out:write("first_other=", (string.gsub(first, "[\r\n]", " ")), "\n")
   out:close()
   local list = assert(io.open(result_path .. ".unresolved", "w"))
   for _, key in ipairs(keys) do list:write(key, "\n") end
   list:close()
end
