-- Claims a payment reference for one order, on a Redis Cluster, where the
-- reference's key lives in another slot than the order: Store.ConfirmPayment
-- runs it before payment_confirm.lua. A reference belongs to the first order
-- it is claimed for, for ever; claiming it again for that order changes
-- nothing, so a confirmation that failed between the two scripts is
-- completed by its retry.
--
-- KEYS[1] -> the payment reference's order (STRING)
-- ARGV[1] -> order id
--
-- Returns:
--   {1}             the reference is this order's (claimed now or before)
--   {2, order id}   the reference is another order's (nothing written)
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] then
  return {2, owner}
end
if not owner then
  redis.call('SET', KEYS[1], ARGV[1])
end
return {1}
