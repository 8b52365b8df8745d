package redislib

import (
	"context"
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
