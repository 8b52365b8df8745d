package redislib

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

// Scripts of catalog and activity management; contracts at the top of each
// .lua file.
var (
	//go:embed lua/zpage.lua
	zpageLua    string
	zpageScript = redis.NewScript(zpageLua)

	//go:embed lua/activity_read.lua
	activityReadLua    string
	activityReadScript = redis.NewScript(activityReadLua)

	//go:embed lua/product_update.lua
	productUpdateLua    string
	productUpdateScript = redis.NewScript(productUpdateLua)

	//go:embed lua/product_delete.lua
	productDeleteLua    string
	productDeleteScript = redis.NewScript(productDeleteLua)

	//go:embed lua/product_claim.lua
	productClaimLua    string
	productClaimScript = redis.NewScript(productClaimLua)

	//go:embed lua/activity_update.lua
	activityUpdateLua    string
	activityUpdateScript = redis.NewScript(activityUpdateLua)

	//go:embed lua/activity_stock.lua
	activityStockLua    string
	activityStockScript = redis.NewScript(activityStockLua)

	//go:embed lua/activity_pause.lua
	activityPauseLua    string
	activityPauseScript = redis.NewScript(activityPauseLua)

	//go:embed lua/activity_cancel.lua
	activityCancelLua    string
	activityCancelScript = redis.NewScript(activityCancelLua)
)
