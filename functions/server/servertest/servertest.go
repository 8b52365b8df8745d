// Package servertest helps test functions: an app on a private durable
// redis-server, requests through app.Test, and fixtures made through the store.
package servertest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/functions/telemetry"
	"seckill/redislib"
	"seckill/redislib/redistest"
)

// AdminToken is the admin token of apps made by New.
const AdminToken = "test-admin-token"

// Env is one test's app, its Redis and its store.
type Env struct {
	App   *fiber.App
	Redis *redistest.Server
	Store *redislib.Store
	Deps  server.Deps
}

// New starts a private redis-server and returns an app serving fns on it.
func New(t testing.TB, fns ...server.Function) *Env {
	t.Helper()
	srv := redistest.Start(t)
	return NewOn(t, srv, fns...)
}

// NewOn returns an app serving fns on an existing test Redis. Its log is
// discarded unless TEST_LOG is set.
func NewOn(t testing.TB, srv *redistest.Server, fns ...server.Function) *Env {
	t.Helper()
	store := srv.Store(t)
	d := server.Deps{Store: store, Log: Logger(), Config: server.TestConfig(AdminToken)}
	return &Env{App: server.NewApp(d, nil, fns...), Redis: srv, Store: store, Deps: d}
}

// Logger returns the log of test apps: discarded, unless TEST_LOG is set,
// when it goes to stderr at debug level.
func Logger() *slog.Logger {
	if os.Getenv("TEST_LOG") != "" {
		return telemetry.NewLogger(os.Stderr, "debug")
	}
	return telemetry.NewLogger(io.Discard, "error")
}

// Listen serves fns with d over real HTTP on a free port of 127.0.0.1 until
// the test ends, and returns the base URL. d.Config must pass its Check.
func Listen(t testing.TB, d server.Deps, fns ...server.Function) string {
	t.Helper()
	if err := d.Config.Check(); err != nil {
		t.Fatal(err)
	}
	app := server.NewApp(d, nil, fns...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	return "http://" + ln.Addr().String()
}

// Response is a decoded response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a map.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// ErrorCode returns the error code of an error body, or "".
func (r Response) ErrorCode() string {
	var b httpapi.ErrorBody
	_ = json.Unmarshal(r.Body, &b)
	return b.Error.Code
}

// Decode decodes the body into v.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Request is one request to send. Body is sent as it is when it is a string
// or []byte, and as JSON otherwise. Admin adds the admin bearer token.
type Request struct {
	Method string
	Path   string
	Body   any
	Admin  bool
	Header map[string]string
}

// Do sends req through app.Test and returns the response.
func (e *Env) Do(t testing.TB, req Request) Response {
	t.Helper()
	return Do(t, e.App, req)
}

// Do sends req to app through app.Test.
func Do(t testing.TB, app *fiber.App, req Request) Response {
	t.Helper()
	var body io.Reader
	switch b := req.Body.(type) {
	case nil:
	case string:
		body = bytes.NewBufferString(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal request body: %v", err)
		}
		body = bytes.NewReader(j)
	}
	r := httptest.NewRequest(req.Method, req.Path, body)
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if req.Admin {
		r.Header.Set("Authorization", "Bearer "+AdminToken)
	}
	for k, v := range req.Header {
		r.Header.Set(k, v)
	}
	resp, err := app.Test(r, 10_000)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Fixtures, made through the store; see redistest.
var (
	MustProduct   = redistest.MustProduct
	MustActivity  = redistest.MustActivity
	Window        = redistest.Window
	PaymentWindow = redistest.PaymentWindow
	MustScheduled = redistest.MustScheduled
	MustEnded     = redistest.MustEnded
	MustCancelled = redistest.MustCancelled
	MustSoldOut   = redistest.MustSoldOut
	MustWin       = redistest.MustWin
	MustPay       = redistest.MustPay
	MustStats     = redistest.MustStats
	WaitRedisTime = redistest.WaitRedisTime
)

// ActivityOption changes the activity MustActivity creates.
type ActivityOption = redistest.ActivityOption

// Confirmation is the payment service's confirmation of a payment of amount
// USD cents for the order, signed now with server.TestWebhookSecret as the
// payment service signs (see auth.Webhook): POST /payments/confirm.
func Confirmation(orderID, ref string, amount int64) Request {
	body, _ := json.Marshal(map[string]any{"payment_ref": ref, "order_id": orderID, "amount": amount, "currency": "USD"})
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(server.TestWebhookSecret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return Request{Method: http.MethodPost, Path: "/payments/confirm", Body: body,
		Header: map[string]string{"Payment-Signature": "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))}}
}
