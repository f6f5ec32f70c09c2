-- wrk script: every request is a wrong sign-in (POST /admin/login) for the
-- bench account, with a valid CSRF token (double submit: the same value in the
-- musubi_csrf cookie and the csrf_token field; the token is reusable).
-- Arguments after `--`: the CSRF token, the email, the (wrong) password.
-- Counts answers by status; done() prints one line
--   statuses 401=<n> 503=<n> 429=<n> other=<n>
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function urlencode(s)
  return (string.gsub(s, "[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function init(args)
  local token = args[1]
  local email = args[2] or "bench@example.org"
  local password = args[3] or "not-the-password-123456"
  c401, c503, c429, other = 0, 0, 0, 0
  wrk.method = "POST"
  wrk.path = "/admin/login"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = "musubi_csrf=" .. token
  wrk.body = "csrf_token=" .. urlencode(token) .. "&email=" .. urlencode(email) ..
    "&password=" .. urlencode(password) .. "&next=" .. urlencode("/admin")
end

function response(status, headers, body)
  if status == 401 then
    c401 = c401 + 1
  elseif status == 503 then
    c503 = c503 + 1
  elseif status == 429 then
    c429 = c429 + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local t = { 0, 0, 0, 0 }
  for _, thread in ipairs(threads) do
    t[1] = t[1] + thread:get("c401")
    t[2] = t[2] + thread:get("c503")
    t[3] = t[3] + thread:get("c429")
    t[4] = t[4] + thread:get("other")
  end
  io.write(string.format("statuses 401=%d 503=%d 429=%d other=%d\n", t[1], t[2], t[3], t[4]))
end
