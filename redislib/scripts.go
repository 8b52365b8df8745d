package redislib

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

// Each script is one atomic operation; its contract (KEYS, ARGV, replies) is
// documented at the top of its .lua file. Run executes EVALSHA and falls back
// to EVAL when the server's script cache is empty (after a restart).
var (
	//go:embed lua/product_create.lua
	productCreateLua    string
	productCreateScript = redis.NewScript(productCreateLua)

	//go:embed lua/activity_register.lua
	activityRegisterLua    string
	activityRegisterScript = redis.NewScript(activityRegisterLua)

	//go:embed lua/activity_create.lua
	activityCreateLua    string
	activityCreateScript = redis.NewScript(activityCreateLua)

	//go:embed lua/purchase.lua
	purchaseLua    string
	purchaseScript = redis.NewScript(purchaseLua)

	//go:embed lua/purchase_lease.lua
	purchaseLeaseLua    string
	purchaseLeaseScript = redis.NewScript(purchaseLeaseLua)
)

var (
	//go:embed lua/rate_limit.lua
	rateLimitLua    string
	rateLimitScript = redis.NewScript(rateLimitLua)
)
