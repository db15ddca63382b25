-- wrk script: POST /v1/storefront/orders, a guest order of one SKU-1003 by card,
-- each request with its own Idempotency-Key (thread id + counter).
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id or 1
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = '{"currency": "USD", "lines": [{"sku": "SKU-1003", "quantity": 1, "unit_price": "8.75"}],'
    .. ' "payment": {"method": "card", "authorization_id": "pay_auth_123", "amount": "8.75"}}'
end

function request()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = string.format("bench-%d-%d-%d", os.time(), thread_id, counter)
  return wrk.format()
end
