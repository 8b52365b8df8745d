package confirmpayment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/auth"
	"seckill/functions/confirmpayment"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

var (
	secret   = []byte(strings.Repeat("s", 32))
	previous = []byte(strings.Repeat("p", 32))
)

// newApp serves the function with the payment settings set by edit.
func newApp(t *testing.T, edit func(*auth.PaymentConfig)) (*fiber.App, *redislib.Store) {
	t.Helper()
	store := redistest.Start(t).Store(t)
	cfg := server.TestConfig(servertest.AdminToken)
	edit(&cfg.PaymentConfig)
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	return server.NewApp(server.Deps{Store: store, Log: servertest.Logger(), Config: cfg}, nil, confirmpayment.Function), store
}

// signed is a confirmation request whose body is signed with key at time at.
func signed(key []byte, at time.Time, body any) servertest.Request {
	b, ok := body.([]byte)
	if !ok {
		b, _ = json.Marshal(body)
	}
	return servertest.Request{Method: http.MethodPost, Path: "/payments/confirm", Body: b,
		Header: map[string]string{auth.SignatureHeader: auth.SignPayload(key, at, b)}}
}

func pay(ref, orderID string, amount int64) map[string]any {
	return map[string]any{"payment_ref": ref, "order_id": orderID, "amount": amount, "currency": "USD"}
}

func TestConfirmPayment(t *testing.T) {
	app, store := newApp(t, func(p *auth.PaymentConfig) {
		p.PaymentWebhookSecret, p.PaymentWebhookSecretPrevious = string(secret), string(previous)
	})
	ctx := context.Background()
	a := servertest.MustActivity(t, store, 10)
	bob := servertest.MustWin(t, store, a.ID, "bob")
	carol := servertest.MustWin(t, store, a.ID, "carol")
	dave := servertest.MustWin(t, store, a.ID, "dave")
	if _, err := store.CancelOrder(ctx, dave.ID, "dave", false); err != nil {
		t.Fatal(err)
	}
	frank := servertest.MustWin(t, store, a.ID, "frank")
	short := servertest.MustActivity(t, store, 5, servertest.PaymentWindow(1))
	late := servertest.MustWin(t, store, short.ID, "erin")
	servertest.WaitRedisTime(t, store, *late.ExpiresAt)
	now := time.Now()
	price := bob.Price

	good := pay("pi_bob", bob.ID, price)
	goodBody, _ := json.Marshal(good)
	forged := signed(secret, now, good)
	forged.Header[auth.SignatureHeader] = "t=" + forged.Header[auth.SignatureHeader][2:12] + ",v1=" + strings.Repeat("ab", 32)
	changed := signed(secret, now, good)
	changed.Body = bytes.Replace(goodBody, []byte("pi_bob"), []byte("pi_bo2"), 1)
	unsigned := signed(secret, now, good)
	unsigned.Header = nil
	tests := []struct {
		name     string
		req      servertest.Request
		status   int
		code     string
		recorded bool // the payment is recorded for a refund
	}{
		// Bad signatures and bad bodies: 4xx, nothing written (checked below).
		{"no signature", unsigned, 401, "missing_signature", false},
		{"forged signature", forged, 401, "invalid_signature", false},
		{"signed with another secret", signed([]byte(strings.Repeat("x", 32)), now, good), 401, "invalid_signature", false},
		{"body changed after signing", changed, 401, "invalid_signature", false},
		{"malformed signature header", servertest.Request{Method: "POST", Path: "/payments/confirm", Body: goodBody,
			Header: map[string]string{auth.SignatureHeader: "v1"}}, 401, "invalid_signature", false},
		{"no timestamp", servertest.Request{Method: "POST", Path: "/payments/confirm", Body: goodBody,
			Header: map[string]string{auth.SignatureHeader: "v1=" + strings.Repeat("ab", 32)}}, 401, "invalid_signature", false},
		{"replayed after the window", signed(secret, now.Add(-6*time.Minute), good), 401, "stale_signature", false},
		{"dated in the future", signed(secret, now.Add(6*time.Minute), good), 401, "stale_signature", false},
		{"malformed json", signed(secret, now, []byte(`{"payment_ref":`)), 400, "malformed_json", false},
		{"empty body", signed(secret, now, []byte(``)), 400, "empty_body", false},
		{"unknown field", signed(secret, now, map[string]any{"payment_ref": "r", "order_id": bob.ID, "amount": price, "currency": "USD", "user_id": "bob"}), 400, "unknown_field", false},
		{"missing amount", signed(secret, now, map[string]any{"payment_ref": "r", "order_id": bob.ID, "currency": "USD"}), 400, "missing_field", false},
		{"amount not an integer", signed(secret, now, map[string]any{"payment_ref": "r", "order_id": bob.ID, "amount": 1.5, "currency": "USD"}), 400, "invalid_field_type", false},
		{"negative amount", signed(secret, now, pay("r", bob.ID, -1)), 400, "invalid_amount", false},
		{"bad reference", signed(secret, now, pay("a b", bob.ID, price)), 400, "invalid_payment_ref", false},
		{"bad order id", signed(secret, now, pay("r", "x", price)), 400, "invalid_id", false},
		{"bad currency", signed(secret, now, map[string]any{"payment_ref": "r", "order_id": bob.ID, "amount": price, "currency": "usd"}), 400, "invalid_currency", false},
		{"unknown order", signed(secret, now, pay("pi_unknown", a.ID+"-0123456789abcdef", price)), 404, "order_not_found", false},

		// Valid confirmations.
		{"pays", signed(secret, now, good), 200, "", false},
		{"the same confirmation again", signed(secret, now, good), 200, "", false},
		{"the same, signed again later", signed(secret, now.Add(time.Minute), good), 200, "", false},
		{"signed with the previous secret (rotation)", signed(previous, now, pay("pi_carol", carol.ID, price)), 200, "", false},
		{"the reference for another order", signed(secret, now, pay("pi_bob", frank.ID, price)), 409, "payment_ref_used", false},
		{"a second payment of a paid order", signed(secret, now, pay("pi_bob_2", bob.ID, price)), 409, "already_paid", true},
		{"a cancelled order", signed(secret, now, pay("pi_dave", dave.ID, price)), 409, "order_closed", true},
		{"a cancelled order, again", signed(secret, now, pay("pi_dave", dave.ID, price)), 409, "order_closed", true},
		{"an expired order", signed(secret, now, pay("pi_erin", late.ID, price)), 409, "order_closed", true},
		{"the wrong amount", signed(secret, now, pay("pi_frank", frank.ID, price+1)), 409, "amount_mismatch", true},
	}
	var paidAt string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := servertest.MustStats(t, store, a.ID)
			r := servertest.Do(t, app, tc.req)
			if r.Status != tc.status || r.ErrorCode() != tc.code {
				t.Fatalf("got %d %s, want %d %q", r.Status, r.Body, tc.status, tc.code)
			}
			if tc.status == 200 {
				o := r.JSON(t)
				if o["status"] != "paid" || o["payment_ref"] == nil {
					t.Fatalf("answer %s", r.Body)
				}
				if o["id"] == bob.ID {
					if paidAt == "" {
						paidAt = o["paid_at"].(string)
					} else if o["paid_at"] != paidAt {
						t.Fatalf("the same payment answers paid_at %v, then %v", paidAt, o["paid_at"])
					}
				}
			}
			if tc.status < 500 && tc.status >= 400 && tc.code != "order_closed" {
				if after := servertest.MustStats(t, store, a.ID); after != before {
					t.Fatalf("a refusal changed the activity: %+v, then %+v", before, after)
				}
			}
		})
	}

	refused, err := store.RefusedPayments(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	short1, err := store.RefusedPayments(ctx, short.ID)
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]string{}
	for _, r := range append(refused, short1...) {
		refs[r.PaymentRef] = r.Reason
	}
	want := map[string]string{"pi_bob_2": "already_paid", "pi_dave": "cancelled", "pi_erin": "expired", "pi_frank": "amount_mismatch"}
	if len(refs) != len(want) {
		t.Fatalf("refused payments %v, want %v", refs, want)
	}
	for ref, reason := range want {
		if refs[ref] != reason {
			t.Fatalf("refused payments %v, want %v", refs, want)
		}
	}
	if st := servertest.MustStats(t, store, a.ID); st.Paid != 2 || st.Pending != 1 || st.Cancelled != 1 || !st.Consistent {
		t.Fatalf("stats: %+v", st)
	}
}

func TestDemoPayment(t *testing.T) {
	demo := func(id, user string) servertest.Request {
		return servertest.Request{Method: http.MethodPost, Path: "/orders/" + id + "/demo-payment", Body: map[string]any{"user_id": user}}
	}
	t.Run("off", func(t *testing.T) {
		app, store := newApp(t, func(p *auth.PaymentConfig) { p.PaymentWebhookSecret = string(secret) })
		a := servertest.MustActivity(t, store, 2)
		o := servertest.MustWin(t, store, a.ID, "alice")
		if r := servertest.Do(t, app, demo(o.ID, "alice")); r.Status != 404 || r.ErrorCode() != "demo_payment_off" {
			t.Fatalf("demo payment while off: %d %s", r.Status, r.Body)
		}
		if got, _ := store.Order(context.Background(), o.ID); got.Status != sale.OrderPending {
			t.Fatalf("order: %+v", got)
		}
	})
	t.Run("on, without a secret", func(t *testing.T) {
		app, store := newApp(t, func(p *auth.PaymentConfig) { p.PaymentWebhookSecret, p.PaymentDemo = "", true })
		a := servertest.MustActivity(t, store, 2)
		o := servertest.MustWin(t, store, a.ID, "alice")
		tests := []struct {
			name   string
			req    servertest.Request
			status int
			code   string
		}{
			{"someone else's order", demo(o.ID, "mallory"), 403, "forbidden"},
			{"missing user", servertest.Request{Method: "POST", Path: "/orders/" + o.ID + "/demo-payment", Body: map[string]any{}}, 400, "missing_field"},
			{"unknown order", demo(a.ID+"-0123456789abcdef", "alice"), 404, "order_not_found"},
			{"bad order id", demo("x", "alice"), 400, "invalid_id"},
			{"the shopper's own pay route", servertest.Request{Method: "POST", Path: "/orders/" + o.ID + "/pay", Body: map[string]any{"user_id": "alice"}}, 404, "not_found"},
			{"a confirmation not signed by this process", signed(secret, time.Now(), pay("demo-"+o.ID, o.ID, o.Price)), 401, "invalid_signature"},
			{"pays", demo(o.ID, "alice"), 200, ""},
			{"pays once", demo(o.ID, "alice"), 200, ""},
		}
		for _, tc := range tests {
			r := servertest.Do(t, app, tc.req)
			if r.Status != tc.status || r.ErrorCode() != tc.code {
				t.Fatalf("%s: got %d %s, want %d %q", tc.name, r.Status, r.Body, tc.status, tc.code)
			}
			if tc.status == 200 {
				if m := r.JSON(t); m["status"] != "paid" || m["payment_ref"] != "demo-"+o.ID {
					t.Fatalf("%s: %s", tc.name, r.Body)
				}
			}
		}
		if st := servertest.MustStats(t, store, a.ID); st.Paid != 1 || st.Pending != 0 {
			t.Fatalf("stats: %+v", st)
		}
	})
}

// The function refuses to start without a webhook secret unless demo
// payments are on, and refuses a short one; the secret is never shown.
func TestRunNeedsWebhookSecret(t *testing.T) {
	t.Setenv("PORT", "0")
	t.Setenv("REDIS_ADDR", "127.0.0.1:1")
	t.Setenv("USER_AUTH", "off") // the demo payment is a user route
	var out, errOut bytes.Buffer
	if code := server.Run(nil, &out, &errOut, confirmpayment.Function); code != 1 || !strings.Contains(out.String(), "PAYMENT_WEBHOOK_SECRET is not set") {
		t.Fatalf("Run without a secret = %d, output %q %q", code, out.String(), errOut.String())
	}
	t.Setenv("PAYMENT_WEBHOOK_SECRET", "short-secret-value")
	out.Reset()
	errOut.Reset()
	code := server.Run(nil, &out, &errOut, confirmpayment.Function)
	all := out.String() + errOut.String()
	if code != 2 || !strings.Contains(all, "PAYMENT_WEBHOOK_SECRET must be at least 32 bytes") || strings.Contains(all, "short-secret-value") {
		t.Fatalf("Run with a short secret = %d, output %q", code, all)
	}
}
