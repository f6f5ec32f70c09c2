-- wrk script: each request registers a new guest (unique email per thread
-- and request) for the benchmark event through the JSON API.
local threads = {}
local counter = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"name":"ゲスト %d","furigana":"げすと","email":"guest-%d-%d@bench.example.jp",' ..
    '"organization":"大阪バイオ株式会社","country":"JP","time_zone":"Asia/Tokyo","language":"ja","consent":true}',
    counter, id, counter)
  return wrk.format("POST", "/api/v1/events/bench-partnering/registrations",
    { ["Content-Type"] = "application/json" }, body)
end
