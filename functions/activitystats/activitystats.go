// Package activitystats is the function that reports an activity's stock
// and order counters.
package activitystats

import (
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/functions/telemetry"
	"seckill/redislib"
)

// Function reports activity statistics, for admins, and exports the units
// left and sold of the sales under way on its /metrics.
var Function = server.Function{
	Name:    "activitystats",
	Summary: "an activity's stock, order counters and stock consistency check",
	Routes: []server.Route{{Method: fiber.MethodGet, Path: "/activities/:id/stats", Admin: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
	// The units left and sold of the sales under way, for the dashboard.
	Collector: func(d server.Deps) prometheus.Collector {
		return telemetry.NewSalesCollector(d.Store, d.Config.RequestTimeout)
	},
}

// Handler answers GET /activities/:id/stats with the stock, the remaining
// units, the order counters, the number of buyers and whether
// remaining + pending + paid == stock, all read in one atomic step.
func Handler(store *redislib.Store) fiber.Handler {
	return httpapi.ByID(store.ActivityStats)
}
