// Package adjuststock is the function that changes an activity's stock.
package adjuststock

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
	"seckill/redislib/sale"
)

// Function changes activity stock (admin).
var Function = server.Function{
	Name:    "adjuststock",
	Summary: "add stock to an activity or remove unsold stock (admin)",
	Writes:  true,
	Routes: []server.Route{{Method: fiber.MethodPost, Path: "/activities/:id/stock", Admin: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

type request struct {
	Delta *int64 `json:"delta"`
}

// Handler answers POST /activities/:id/stock {"delta": n} with 200 and the
// activity after the change. The offered and remaining stock move by delta
// together, atomically with respect to purchases. 409 stock_below_sold when
// fewer than -delta units are unsold, 409 stock_out_of_range when the stock
// would leave 1..10,000,000, 409 activity_ended / activity_cancelled.
func Handler(store *redislib.Store) fiber.Handler {
	return httpapi.Change(validate, store.AdjustStock)
}

// validate reads the stock change of a decoded request and checks it (see
// sale.CheckStockDelta).
func validate(req request) (int64, error) {
	if err := httpapi.Required(httpapi.F("delta", req.Delta)); err != nil {
		return 0, err
	}
	return *req.Delta, sale.CheckStockDelta(*req.Delta)
}
