package redislib

import (
	"context"
	"embed"

	"github.com/redis/go-redis/v9"
)

// The scripts, one per atomic operation, embedded once. Each contract
// (KEYS, ARGV, replies) is documented at the top of its .lua file, and
// lua/README.md holds the rules they all keep. Script.Run executes EVALSHA
// and falls back to EVAL when the server's script cache is empty (after a
// restart).
//
//go:embed lua/*.lua
var luaFiles embed.FS

// script returns the script of lua/<name>.lua.
func script(name string) *redis.Script {
	src, err := luaFiles.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic(err) // a name without a file: every test fails at once
	}
	return redis.NewScript(string(src))
}

var (
	activityCancelScript   = script("activity_cancel")
	activityCreateScript   = script("activity_create")
	activityPauseScript    = script("activity_pause")
	activityReadScript     = script("activity_read")
	activityRegisterScript = script("activity_register")
	activityStockScript    = script("activity_stock")
	activityUpdateScript   = script("activity_update")
	bucketCreateScript     = script("bucket_create")
	bucketReadScript       = script("bucket_read")
	bucketSyncScript       = script("bucket_sync")
	eventsTrimScript       = script("events_trim")
	inboxTrimScript        = script("inbox_trim")
	orderCancelScript      = script("order_cancel")
	orderExpireScript      = script("order_expire")
	orderStatsScript       = script("order_stats")
	paymentClaimScript     = script("payment_claim")
	paymentConfirmScript   = script("payment_confirm")
	productClaimScript     = script("product_claim")
	productCreateScript    = script("product_create")
	productDeleteScript    = script("product_delete")
	productUpdateScript    = script("product_update")
	purchaseScript         = script("purchase")
	purchaseLeaseScript    = script("purchase_lease")
	queueAdvanceScript     = script("queue_advance")
	queuePlaceScript       = script("queue_place")
	rateLimitScript        = script("rate_limit")
	transferGiveScript     = script("transfer_give")
	transferTakeScript     = script("transfer_take")
	zpageScript            = script("zpage")
)

// scriptCall is one run of a script in a pipeline.
type scriptCall struct {
	script *redis.Script
	keys   []string
	args   []any
}

// runPipelined runs calls in one pipeline of EVALSHA and returns their
// commands, in the order of calls, with the first error among them. It is
// how every pipeline of scripts handles an empty script cache (after a
// restart or SCRIPT FLUSH): a call answered NOSCRIPT did not run, so its
// script is loaded and that call alone is sent again, once; calls that ran
// are never sent twice. A single script call uses Script.Run instead, which
// falls back to EVAL.
func runPipelined(ctx context.Context, rdb redis.UniversalClient, calls []scriptCall) ([]*redis.Cmd, error) {
	cmds := make([]*redis.Cmd, len(calls))
	// failBatch leaves every command holding its outcome, even when the
	// pipeline failed as a whole.
	failBatch(rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range calls {
			cmds[i] = c.script.EvalSha(ctx, p, c.keys, c.args...)
		}
		return nil
	}))
	var retry []int
	for i, cmd := range cmds {
		if errorKind(cmd.Err()) == "NOSCRIPT" {
			retry = append(retry, i)
		}
	}
	if len(retry) > 0 {
		loaded := make(map[*redis.Script]bool)
		for _, i := range retry {
			if sc := calls[i].script; !loaded[sc] {
				if err := sc.Load(ctx, rdb).Err(); err != nil {
					return nil, err
				}
				loaded[sc] = true
			}
		}
		failBatch(rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range retry {
				c := calls[i]
				cmds[i] = c.script.EvalSha(ctx, p, c.keys, c.args...)
			}
			return nil
		}))
	}
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil {
			return cmds, err
		}
	}
	return cmds, nil
}
