// Package updateactivity is the function that changes activities.
package updateactivity

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
	"seckill/redislib/sale"
)

// Function changes activities (admin).
var Function = server.Function{
	Name:    "updateactivity",
	Summary: "change an activity: any field before its start, only ends_at once running (admin)",
	Writes:  true,
	Routes: []server.Route{{Method: fiber.MethodPatch, Path: "/activities/:id", Admin: true,
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
}

// Handler answers PATCH /activities/:id with 200 and the changed activity.
// Each field given (at least one) is validated as on creation. The rules of
// the lifecycle are checked atomically with Redis time in one script:
// before the start any field may change; once running only ends_at may move
// (409 activity_started; stock changes through POST /activities/:id/stock);
// an ended or cancelled activity never changes (409 activity_ended,
// activity_cancelled). A field given with its current value is no change.
// A new stock below the units sold is 409 stock_below_sold; a new ends_at
// must be in the future (400 ends_in_past) and after starts_at (400
// invalid_time_range); a new product must exist and not be deleted (400
// unknown_product, product_deleted). The admission mode and its settings
// change only before the start; the activity after the change must keep its
// mode's rules (400 missing_field, invalid_admission, invalid_time_range), and
// a change to draw chooses a new seed.
func Handler(store *redislib.Store) fiber.Handler {
	return httpapi.Change(validate, store.UpdateActivity)
}

// validate turns a decoded request into activity changes and checks them
// (see sale.ActivityChanges.Validate).
func validate(req request) (ch sale.ActivityChanges, err error) {
	if ch.StartsAt, err = optTime(req.StartsAt, "starts_at"); err != nil {
		return ch, err
	}
	if ch.EndsAt, err = optTime(req.EndsAt, "ends_at"); err != nil {
		return ch, err
	}
	ch.ProductID, ch.Stock, ch.Price, ch.PaymentWindow = req.ProductID, req.Stock, req.Price, req.PaymentWindow
	if ch.AdmissionSettings, err = sale.ParseAdmission(req.Admission, req.QueueOpensAt, req.AdmitRate, req.AdmissionTTL,
		req.RegistrationOpensAt, req.DrawAt); err != nil {
		return ch, err
	}
	return ch, ch.Validate()
}

func optTime(s *string, name string) (*time.Time, error) {
	if s == nil {
		return nil, nil
	}
	t, err := sale.ParseTime(*s, name)
	if err != nil {
		return nil, err
	}
	return &t, nil
}
