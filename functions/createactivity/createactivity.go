// Package createactivity is the function that creates flash-sale activities.
package createactivity

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/platform"
	"seckill/redislib"
)

// Function creates activities (admin).
var Function = platform.Function{
	Name:    "createactivity",
	Summary: "create a flash-sale activity (admin)",
	Writes:  true,
	Routes: []platform.Route{{Method: fiber.MethodPost, Path: "/activities", Admin: true,
		Handler: func(d platform.Deps) fiber.Handler { return Handler(d.Store) }}},
}

// Limits of an activity (shared with updateactivity through platform).
const (
	MaxStock             = platform.MaxStock
	DefaultPaymentWindow = platform.DefaultPaymentWindow // seconds
	MaxPaymentWindow     = platform.MaxPaymentWindow     // seconds
)

type request struct {
	ProductID     *string `json:"product_id"`
	Stock         *int64  `json:"stock"`
	Price         *int64  `json:"price"`
	StartsAt      *string `json:"starts_at"`
	EndsAt        *string `json:"ends_at"`
	PaymentWindow *int64  `json:"payment_window"`
}

// Handler answers POST /activities with 201 and the new activity.
func Handler(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req request
		if err := platform.Decode(c, &req); err != nil {
			return err
		}
		if err := platform.Required(platform.F("product_id", req.ProductID), platform.F("stock", req.Stock),
			platform.F("price", req.Price), platform.F("starts_at", req.StartsAt), platform.F("ends_at", req.EndsAt)); err != nil {
			return err
		}
		in, err := validate(req)
		if err != nil {
			return err
		}
		a, err := store.CreateActivity(c.UserContext(), in)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(a)
	}
}

func validate(req request) (in redislib.NewActivity, err error) {
	if !redislib.ValidID(*req.ProductID) {
		return in, platform.Fail(platform.CodeInvalidID, "product_id must be 1 to %d characters of A-Z a-z 0-9 _", redislib.MaxIDLen)
	}
	in.ProductID = *req.ProductID
	if in.Stock, err = platform.Stock(*req.Stock); err != nil {
		return in, err
	}
	if in.Price, err = platform.Price(*req.Price); err != nil {
		return in, err
	}
	if in.StartsAt, err = platform.Time(*req.StartsAt, "starts_at"); err != nil {
		return in, err
	}
	if in.EndsAt, err = platform.Time(*req.EndsAt, "ends_at"); err != nil {
		return in, err
	}
	if !in.StartsAt.Before(in.EndsAt) {
		return in, platform.Fail(platform.CodeInvalidTimeRange, "starts_at must be before ends_at")
	}
	in.PaymentWindow = DefaultPaymentWindow
	if req.PaymentWindow != nil {
		if in.PaymentWindow, err = platform.PaymentWindow(*req.PaymentWindow); err != nil {
			return in, err
		}
	}
	return in, nil
}
