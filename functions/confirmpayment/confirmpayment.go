// Package confirmpayment is the function through which an order is paid:
// the payment service confirms each payment with a signed webhook call. In
// demo mode (PAYMENT_DEMO) it also lets a shopper pay without paying, for
// local trials, through the same confirmation.
package confirmpayment

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/auth"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/functions/telemetry"
	"seckill/redislib"
	"seckill/redislib/sale"
)

// Function confirms payments.
var Function = server.Function{
	Name:    "confirmpayment",
	Summary: "pay an order on the payment service's signed confirmation (and demo payments for local trials)",
	Writes:  true,
	Routes: []server.Route{
		{Method: fiber.MethodPost, Path: "/payments/confirm", Payment: true, Public: true,
			Handler: func(d server.Deps) fiber.Handler {
				return Handler(d.Store, auth.NewWebhook(d.Config.PaymentConfig), d.Config.PaymentCurrency)
			}},
		{Method: fiber.MethodPost, Path: "/orders/:id/demo-payment", User: auth.UserInBody,
			Handler: func(d server.Deps) fiber.Handler {
				return DemoHandler(d.Store, d.Config.PaymentConfig)
			}},
	},
}

// confirmation is the body of POST /payments/confirm. The payment service
// sends it, signed, once the shopper has paid.
type confirmation struct {
	PaymentRef *string `json:"payment_ref"`
	OrderID    *string `json:"order_id"`
	Amount     *int64  `json:"amount"`
	Currency   *string `json:"currency"`
}

// Handler answers POST /payments/confirm. The signature (auth.SignatureHeader)
// is checked first: 401 missing_signature, invalid_signature or
// stale_signature, then the body: 400. A valid confirmation answers 200 with
// the paid order, also when sent again; 409 order_closed, already_paid or
// amount_mismatch when the payment is refused (and recorded for a refund),
// 409 payment_ref_used when the reference is another order's, 404
// order_not_found. Only a 200 or a 409 other than payment_ref_used means the
// payment is recorded; the payment service retries the others.
func Handler(store *redislib.Store, webhook *auth.Webhook, currency string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := webhook.Verify(c.Get(auth.SignatureHeader), c.Body()); err != nil {
			telemetry.SetOutcome(c, sale.ErrorCode(err))
			return err
		}
		var req confirmation
		if err := httpapi.Decode(c, &req); err != nil {
			return err
		}
		if err := httpapi.Required(httpapi.F("payment_ref", req.PaymentRef), httpapi.F("order_id", req.OrderID),
			httpapi.F("amount", req.Amount), httpapi.F("currency", req.Currency)); err != nil {
			return err
		}
		p := sale.Payment{Ref: *req.PaymentRef, OrderID: *req.OrderID, Amount: *req.Amount, Currency: *req.Currency,
			ShopCurrency: currency}
		if err := p.Validate(); err != nil {
			return err
		}
		o, err := store.ConfirmPayment(c.UserContext(), p)
		if err != nil {
			telemetry.SetOutcome(c, sale.ErrorCode(err))
			return err
		}
		telemetry.SetOutcome(c, o.Status)
		return c.JSON(o)
	}
}

type demoRequest struct {
	UserID *string `json:"user_id"`
}

// DemoHandler answers POST /orders/:id/demo-payment when demo payments are
// on (otherwise 404 demo_payment_off): it pays user_id's order as the
// payment service would, with a confirmation of the order's price signed
// here with the webhook secret, handled by Handler exactly as one from the
// payment service. Its reference is "demo-<order ID>", so paying twice is
// one payment. 403 forbidden when the order is another user's.
func DemoHandler(store *redislib.Store, cfg auth.PaymentConfig) fiber.Handler {
	if !cfg.PaymentDemo {
		return func(c *fiber.Ctx) error {
			return httpapi.Fail(httpapi.CodeDemoPaymentOff, "demo payments are off: orders are paid through the payment service (PAYMENT_DEMO=true turns them on for local trials)")
		}
	}
	webhook := auth.NewWebhook(cfg)
	confirm := Handler(store, webhook, cfg.PaymentCurrency)
	return func(c *fiber.Ctx) error {
		id, err := httpapi.PathOrderID(c, "id")
		if err != nil {
			return err
		}
		var req demoRequest
		if err := httpapi.Decode(c, &req); err != nil {
			return err
		}
		user, err := httpapi.RequireUserID(req.UserID)
		if err != nil {
			return err
		}
		o, err := store.Order(c.UserContext(), id)
		if err != nil {
			return err
		}
		if o.UserID != user {
			return httpapi.Fail(sale.CodeForbidden, "order %s belongs to another user", id)
		}
		ref, amount, currency := "demo-"+id, o.Price, cfg.PaymentCurrency
		body, err := json.Marshal(confirmation{PaymentRef: &ref, OrderID: &id, Amount: &amount, Currency: &currency})
		if err != nil {
			return err
		}
		c.Request().SetBody(body)
		c.Request().Header.Set(auth.SignatureHeader, webhook.Sign(time.Now(), body))
		return confirm(c)
	}
}
