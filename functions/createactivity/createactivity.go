// Package createactivity is the function that creates flash-sale activities.
package createactivity

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
	"seckill/redislib/sale"
)

// Function creates activities (admin).
var Function = server.Function{
	Name:    "createactivity",
	Summary: "create a flash-sale activity (admin)",
	Writes:  true,
	Routes: []server.Route{{Method: fiber.MethodPost, Path: "/activities", Admin: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

type request struct {
	ProductID     *string `json:"product_id"`
	Stock         *int64  `json:"stock"`
	Price         *int64  `json:"price"`
	StartsAt      *string `json:"starts_at"`
	EndsAt        *string `json:"ends_at"`
	PaymentWindow *int64  `json:"payment_window"`
	// The admission mode and its settings (see sale.AdmissionSettings).
	Admission           *string `json:"admission"`
	QueueOpensAt        *string `json:"queue_opens_at"`
	AdmitRate           *int64  `json:"admit_rate"`
	AdmissionTTL        *int64  `json:"admission_ttl"`
	RegistrationOpensAt *string `json:"registration_opens_at"`
	DrawAt              *string `json:"draw_at"`
	Buckets             *int    `json:"shards"` // the number of stock buckets
}

// Handler answers POST /activities with 201 and the new activity. Its
// admission is open unless the request says queue (with queue_opens_at
// before starts_at and admit_rate; admission_ttl optional) or draw (with
// registration_opens_at before draw_at, and starts_at <= draw_at < ends_at);
// a setting of another mode is 400 invalid_admission, a missing one 400
// missing_field, times out of order 400 invalid_time_range.
func Handler(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req request
		if err := httpapi.Decode(c, &req); err != nil {
			return err
		}
		if err := httpapi.Required(httpapi.F("product_id", req.ProductID), httpapi.F("stock", req.Stock),
			httpapi.F("price", req.Price), httpapi.F("starts_at", req.StartsAt), httpapi.F("ends_at", req.EndsAt)); err != nil {
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

// validate turns a decoded request into a new activity and checks it (see
// sale.NewActivity.Validate).
func validate(req request) (in sale.NewActivity, err error) {
	if in.StartsAt, err = sale.ParseTime(*req.StartsAt, "starts_at"); err != nil {
		return in, err
	}
	if in.EndsAt, err = sale.ParseTime(*req.EndsAt, "ends_at"); err != nil {
		return in, err
	}
	in.ProductID, in.Stock, in.Price = *req.ProductID, *req.Stock, *req.Price
	in.PaymentWindow = sale.DefaultPaymentWindow
	if req.PaymentWindow != nil {
		in.PaymentWindow = *req.PaymentWindow
	}
	in.Buckets = 1
	if req.Buckets != nil {
		in.Buckets = *req.Buckets
	}
	if in.AdmissionSettings, err = sale.ParseAdmission(req.Admission, req.QueueOpensAt, req.AdmitRate, req.AdmissionTTL,
		req.RegistrationOpensAt, req.DrawAt); err != nil {
		return in, err
	}
	return in, in.Validate()
}
