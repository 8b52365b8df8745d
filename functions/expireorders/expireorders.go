// Package expireorders is the scheduled job that expires overdue orders and
// brings the users' order histories up to date.
package expireorders

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/server"
	"seckill/functions/telemetry"
	"seckill/redislib"
)

// Function runs the order jobs, for a scheduler (for example a Kubernetes
// CronJob calling it every minute with the admin token).
var Function = server.Function{
	Name:    "expireorders",
	Summary: "expire every overdue order, apply the event streams to the users' order histories, trim streams and transfer records past their retention",
	Writes:  true,
	Routes: []server.Route{{Method: fiber.MethodPost, Path: "/jobs/expire-orders", Admin: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store, d.Metrics) }}},
}

// Consumer is the job's consumer name in the user-index consumer group. It
// is fixed, so short-lived job processes do not pile up consumers; events a
// killed run left unacknowledged are reclaimed by a later run.
const Consumer = "expireorders"

// Result is the job's answer.
type Result struct {
	// Expired is how many orders this run expired.
	Expired int `json:"expired"`
	// Projected is how many events this run applied to the users' histories.
	Projected int `json:"projected"`
	// TrimmedEvents is how many event stream entries this run removed.
	TrimmedEvents int `json:"trimmed_events"`
	// TrimmedTransfers is how many records of complete transfers between
	// stock buckets this run removed.
	TrimmedTransfers int `json:"trimmed_transfers"`
	// Complete is false when the run stopped at its time budget with work
	// possibly left; the next run carries on.
	Complete bool `json:"complete"`
}

// Handler answers POST /jobs/expire-orders. It expires overdue orders in
// batches, then runs the user-history projector, then trims the event
// streams and transfer records past their retention (after the projector,
// which acknowledges what it applied), each within a share of the request's
// time budget (REQUEST_TIMEOUT), and reports what it did. A run that ends
// without error is recorded in metrics (when not nil), for the alert on a
// late job.
func Handler(store *redislib.Store, metrics *telemetry.Metrics) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		expireUntil, projectUntil, trimUntil := time.Time{}, time.Time{}, time.Time{}
		if deadline, ok := ctx.Deadline(); ok {
			left := time.Until(deadline)
			expireUntil = time.Now().Add(left * 40 / 100)
			projectUntil = time.Now().Add(left * 70 / 100)
			trimUntil = time.Now().Add(left * 85 / 100)
		}
		exp, err := store.ExpireOrders(ctx, redislib.JobOptions{Until: expireUntil})
		if err != nil {
			return err
		}
		proj, err := store.ProjectUserOrders(ctx, redislib.JobOptions{Until: projectUntil, Consumer: Consumer})
		if err != nil {
			return err
		}
		trim, err := store.TrimRetention(ctx, redislib.RetentionOptions{Until: trimUntil})
		if err != nil {
			return err
		}
		res := Result{Expired: exp.Expired, Projected: proj.Events, TrimmedEvents: trim.Events,
			TrimmedTransfers: trim.Transfers, Complete: exp.Complete && proj.Complete && trim.Complete}
		if metrics != nil {
			metrics.ExpireOrdersSucceeded()
		}
		return c.JSON(res)
	}
}
