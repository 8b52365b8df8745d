package redislib

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

// Scripts of the order lifecycle; each contract is at the top of its .lua file.
var (
	//go:embed lua/payment_confirm.lua
	paymentConfirmLua    string
	paymentConfirmScript = redis.NewScript(paymentConfirmLua)

	//go:embed lua/payment_claim.lua
	paymentClaimLua    string
	paymentClaimScript = redis.NewScript(paymentClaimLua)

	//go:embed lua/order_cancel.lua
	orderCancelLua    string
	orderCancelScript = redis.NewScript(orderCancelLua)

	//go:embed lua/order_expire.lua
	orderExpireLua    string
	orderExpireScript = redis.NewScript(orderExpireLua)
)

var (
	//go:embed lua/order_stats.lua
	orderStatsLua    string
	orderStatsScript = redis.NewScript(orderStatsLua)
)
