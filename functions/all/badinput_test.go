package all_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"seckill/functions/auth"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// rawRequest is a request sent exactly as given.
type rawRequest struct {
	method, path string
	body         []byte
	chunked      bool // send the body with chunked transfer encoding (no length)
	admin        bool
	header       map[string]string
}

// send sends r over its own connection and returns the status and the
// decoded error body. The answer is read while the request is still being
// written: a server refusing an oversized body or header answers before
// reading all of it and then closes, so a client that only reads after a
// complete write (net/http's Transport) can see a reset instead of the answer.
func (c *client) send(t *testing.T, r rawRequest) (int, httpapi.ErrorBody, []byte) {
	t.Helper()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
		if r.chunked {
			body = io.MultiReader(body) // hides the length: Go sends it chunked
		}
	}
	req, err := http.NewRequest(r.method, c.base+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Connection", "close")
	if r.admin {
		req.Header.Set("Authorization", "Bearer "+servertest.AdminToken)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	conn, err := net.DialTimeout("tcp", req.URL.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _ = req.Write(conn) }() // fails once an early answer closes the connection
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var eb httpapi.ErrorBody
	_ = json.Unmarshal(b, &eb)
	return resp.StatusCode, eb, b
}

// TestBadInput sends every class of bad input to every route over real HTTP:
// each is a 4xx with its own code and the {"error": {code, message}} body,
// and the whole Redis dataset (every key's DUMP) is the same afterwards.
// Requests that are well-formed but name something that does not exist are
// included: they write nothing either, beyond the caller's rate-limit bucket
// (a key that is not persisted), which is allowed for them only.
func TestBadInput(t *testing.T) {
	srv := redistest.Start(t)
	e := serveWith(t, srv, srv.Config(), nil)
	c := newClient(e.base, 4)
	product := redistest.MustProduct(t, e.store)
	act := redistest.MustActivity(t, e.store, 10)
	purchase := "/activities/" + act.ID + "/purchase"
	order, err := e.store.Purchase(context.Background(), act.ID, "owner", sale.Rate{})
	if err != nil {
		t.Fatal(err)
	}
	orderPath := "/orders/" + order.OrderID
	unknownOrder := "/orders/" + act.ID + "-0123456789abcdef"
	productPath, actPath := "/products/"+product.ID, "/activities/"+act.ID

	future, later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339), time.Now().Add(2*time.Hour).UTC().Format(time.RFC3339)
	activity := func(overrides map[string]any) []byte {
		m := map[string]any{"product_id": product.ID, "stock": 10, "price": 100, "starts_at": future, "ends_at": later}
		for k, v := range overrides {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		b, _ := json.Marshal(m)
		return b
	}
	// big is a product body of n+21 bytes.
	big := func(n int) []byte { return []byte(`{"name":"` + strings.Repeat("x", n) + `","price":1}`) }
	s := func(v string) []byte { return []byte(v) }
	signedAt := func(body string, at time.Time) map[string]string {
		return map[string]string{auth.SignatureHeader: auth.SignPayload([]byte(server.TestWebhookSecret), at, []byte(body))}
	}
	signed := func(body string) map[string]string { return signedAt(body, time.Now()) }
	confirmBody := `{"payment_ref":"pi_1","order_id":"` + order.OrderID + `","amount":999,"currency":"USD"}`
	unknownConfirm := `{"payment_ref":"pi_2","order_id":"` + act.ID + `-0123456789abcdef","amount":999,"currency":"USD"}`
	long := strings.Repeat("a", 65)
	longUser := strings.Repeat("a", 129)
	const (
		postProduct  = "/products"
		postActivity = "/activities"
	)

	tests := []struct {
		name       string
		req        rawRequest
		wantStatus int
		wantCode   string
		// mayCountRate allows the request's rate-limit bucket to be written:
		// a rate-limited route counts a request once its user is known, also
		// when the handler then refuses its query (the bucket is not in the
		// AOF and is no business data).
		mayCountRate bool
	}{
		// Malformed and truncated JSON.
		{"product: truncated JSON", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"Phone","price":`), admin: true}, 400, "malformed_json", false},
		{"product: trailing comma", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"Phone","price":1,}`), admin: true}, 400, "malformed_json", false},
		{"product: two objects", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"A","price":1}{"name":"B","price":1}`), admin: true}, 400, "malformed_json", false},
		{"product: not JSON", rawRequest{method: "POST", path: postProduct, body: s(`name=Phone&price=1`), admin: true}, 400, "malformed_json", false},
		{"activity: truncated", rawRequest{method: "POST", path: postActivity, body: activity(nil)[:40], admin: true}, 400, "malformed_json", false},
		{"purchase: truncated", rawRequest{method: "POST", path: purchase, body: s(`{"user_id":"alice"`)}, 400, "malformed_json", false},
		{"purchase: single quotes", rawRequest{method: "POST", path: purchase, body: s(`{'user_id':'alice'}`)}, 400, "malformed_json", false},
		// Not an object, wrong types.
		{"product: array", rawRequest{method: "POST", path: postProduct, body: s(`[{"name":"A","price":1}]`), admin: true}, 400, "invalid_field_type", false},
		{"product: null", rawRequest{method: "POST", path: postProduct, body: s(`null`), admin: true}, 400, "invalid_field_type", false},
		{"product: price as string", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"A","price":"1"}`), admin: true}, 400, "invalid_field_type", false},
		{"product: price as fraction", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"A","price":1.5}`), admin: true}, 400, "invalid_field_type", false},
		{"product: name as number", rawRequest{method: "POST", path: postProduct, body: s(`{"name":42,"price":1}`), admin: true}, 400, "invalid_field_type", false},
		{"activity: stock as boolean", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"stock": true}), admin: true}, 400, "invalid_field_type", false},
		{"activity: time as number", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"starts_at": 1700000000}), admin: true}, 400, "invalid_field_type", false},
		{"purchase: user as number", rawRequest{method: "POST", path: purchase, body: s(`{"user_id":42}`)}, 400, "invalid_field_type", false},
		{"purchase: user as object", rawRequest{method: "POST", path: purchase, body: s(`{"user_id":{"id":"alice"}}`)}, 400, "invalid_field_type", false},
		// Unknown and missing fields.
		{"product: unknown field", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"A","price":1,"stock":5}`), admin: true}, 400, "unknown_field", false},
		{"activity: unknown field", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"discount": 5}), admin: true}, 400, "unknown_field", false},
		{"purchase: unknown field", rawRequest{method: "POST", path: purchase, body: s(`{"user_id":"alice","quantity":2}`)}, 400, "unknown_field", false},
		{"product: missing price", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"A"}`), admin: true}, 400, "missing_field", false},
		{"product: null name", rawRequest{method: "POST", path: postProduct, body: s(`{"name":null,"price":1}`), admin: true}, 400, "missing_field", false},
		{"activity: missing ends_at", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"ends_at": nil}), admin: true}, 400, "missing_field", false},
		{"purchase: missing user", rawRequest{method: "POST", path: purchase, body: s(`{}`)}, 400, "missing_field", false},
		// Empty and oversized bodies, oversized headers.
		{"product: empty body", rawRequest{method: "POST", path: postProduct, body: s(``), admin: true}, 400, "empty_body", false},
		{"purchase: no body", rawRequest{method: "POST", path: purchase}, 400, "empty_body", false},
		{"purchase: whitespace body", rawRequest{method: "POST", path: purchase, body: s(" \r\n\t ")}, 400, "empty_body", false},
		{"product: body exactly at the limit", rawRequest{method: "POST", path: postProduct, body: big(e.cfg.BodyLimit - 21), admin: true}, 400, "invalid_name", false},
		{"product: body one byte over the limit", rawRequest{method: "POST", path: postProduct, body: big(e.cfg.BodyLimit - 20), admin: true}, 413, "body_too_large", false},
		{"product: 1 MB body", rawRequest{method: "POST", path: postProduct, body: big(1 << 20), admin: true}, 413, "body_too_large", false},
		{"product: chunked body over the limit", rawRequest{method: "POST", path: postProduct, body: big(64 << 10), chunked: true, admin: true}, 413, "body_too_large", false},
		{"purchase: body over the limit", rawRequest{method: "POST", path: purchase, body: s(`{"user_id":"` + strings.Repeat("a", 20000) + `"}`)}, 413, "body_too_large", false},
		{"purchase: 8 KB header", rawRequest{method: "POST", path: purchase, body: s(`{"user_id":"alice"}`), header: map[string]string{"X-Padding": strings.Repeat("p", 8192)}}, 431, "headers_too_large", false},
		{"product: 10 KB path", rawRequest{method: "GET", path: "/products/" + strings.Repeat("p", 10000)}, 431, "headers_too_large", false},
		// Invalid and overlong IDs.
		{"product id with a dot", rawRequest{method: "GET", path: "/products/a.b"}, 400, "invalid_id", false},
		{"product id of 65 characters", rawRequest{method: "GET", path: "/products/" + long}, 400, "invalid_id", false},
		{"product id with braces", rawRequest{method: "GET", path: "/products/%7Bcatalog%7D"}, 400, "invalid_id", false},
		{"activity id with a NUL", rawRequest{method: "GET", path: "/activities/a%00b"}, 400, "invalid_id", false},
		{"purchase: activity id with a dot", rawRequest{method: "POST", path: "/activities/a.b/purchase", body: s(`{"user_id":"alice"}`)}, 400, "invalid_id", false},
		{"purchase: activity id of 65", rawRequest{method: "POST", path: "/activities/" + long + "/purchase", body: s(`{"user_id":"alice"}`)}, 400, "invalid_id", false},
		{"activity: product id with a slash", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"product_id": "a/b"}), admin: true}, 400, "invalid_id", false},
		{"activity: product id of 65", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"product_id": long}), admin: true}, 400, "invalid_id", false},
		{"purchase: empty user", rawRequest{method: "POST", path: purchase, body: s(`{"user_id":""}`)}, 400, "invalid_user_id", false},
		{"purchase: user of 129", rawRequest{method: "POST", path: purchase, body: s(`{"user_id":"` + longUser + `"}`)}, 400, "invalid_user_id", false},
		{"purchase: user with braces", rawRequest{method: "POST", path: purchase, body: s(`{"user_id":"{act:x}"}`)}, 400, "invalid_user_id", false},
		{"purchase: user with a space", rawRequest{method: "POST", path: purchase, body: s(`{"user_id":"a b"}`)}, 400, "invalid_user_id", false},
		{"purchase: user with a star", rawRequest{method: "POST", path: purchase, body: s(`{"user_id":"*"}`)}, 400, "invalid_user_id", false},
		{"result: user with a space", rawRequest{method: "GET", path: "/activities/" + act.ID + "/purchases/a%20b"}, 400, "invalid_user_id", false},
		{"result: user of 129", rawRequest{method: "GET", path: "/activities/" + act.ID + "/purchases/" + longUser}, 400, "invalid_user_id", false},
		// Control characters and invalid UTF-8.
		{"product: NUL in name", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"a\u0000b","price":1}`), admin: true}, 400, "invalid_name", false},
		{"product: bell in description", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"a","description":"ring\u0007","price":1}`), admin: true}, 400, "invalid_description", false},
		{"product: escape sequence in name", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"\u001b[31mred","price":1}`), admin: true}, 400, "invalid_name", false},
		{"product: lone surrogate in name", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"\ud800","price":1}`), admin: true}, 400, "invalid_name", false},
		{"product: invalid UTF-8 bytes", rawRequest{method: "POST", path: postProduct, body: []byte("{\"name\":\"\xff\xfe\",\"price\":1}"), admin: true}, 400, "malformed_json", false},
		{"purchase: NUL in user", rawRequest{method: "POST", path: purchase, body: s(`{"user_id":"a\u0000"}`)}, 400, "invalid_user_id", false},
		{"purchase: newline in user", rawRequest{method: "POST", path: purchase, body: s(`{"user_id":"a\nb"}`)}, 400, "invalid_user_id", false},
		{"purchase: non-ASCII user", rawRequest{method: "POST", path: purchase, body: s(`{"user_id":"josé"}`)}, 400, "invalid_user_id", false},
		{"purchase: invalid UTF-8 user", rawRequest{method: "POST", path: purchase, body: []byte("{\"user_id\":\"a\xc3\"}")}, 400, "malformed_json", false},
		{"product: empty name", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"","price":1}`), admin: true}, 400, "invalid_name", false},
		{"product: name of 201 characters", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"` + strings.Repeat("é", 201) + `","price":1}`), admin: true}, 400, "invalid_name", false},
		// Negative, zero and huge numbers.
		{"product: negative price", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"A","price":-1}`), admin: true}, 400, "invalid_price", false},
		{"product: price over the maximum", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"A","price":100000000001}`), admin: true}, 400, "invalid_price", false},
		{"product: price past int64", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"A","price":9223372036854775808}`), admin: true}, 400, "invalid_field_type", false},
		{"product: price 1e20", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"A","price":1e20}`), admin: true}, 400, "invalid_field_type", false},
		{"activity: zero stock", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"stock": 0}), admin: true}, 400, "invalid_stock", false},
		{"activity: negative stock", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"stock": -5}), admin: true}, 400, "invalid_stock", false},
		{"activity: huge stock", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"stock": 10000001}), admin: true}, 400, "invalid_stock", false},
		{"activity: negative price", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"price": -1}), admin: true}, 400, "invalid_price", false},
		{"activity: negative payment window", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"payment_window": -1}), admin: true}, 400, "invalid_payment_window", false},
		{"activity: payment window over a week", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"payment_window": 604801}), admin: true}, 400, "invalid_payment_window", false},
		// Times in the wrong format or order.
		{"activity: date only", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"starts_at": "2030-01-01"}), admin: true}, 400, "invalid_time", false},
		{"activity: epoch as string", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"ends_at": "1700000000"}), admin: true}, 400, "invalid_time", false},
		{"activity: space instead of T", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"starts_at": "2030-01-01 10:00:00Z"}), admin: true}, 400, "invalid_time", false},
		{"activity: February 30", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"starts_at": "2030-02-30T10:00:00Z"}), admin: true}, 400, "invalid_time", false},
		{"activity: no time zone", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"starts_at": "2030-01-01T10:00:00"}), admin: true}, 400, "invalid_time", false},
		{"activity: ends before it starts", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"starts_at": later, "ends_at": future}), admin: true}, 400, "invalid_time_range", false},
		{"activity: ends when it starts", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"ends_at": future}), admin: true}, 400, "invalid_time_range", false},
		{"activity: ends in the past", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"starts_at": "2020-01-01T00:00:00Z", "ends_at": "2020-01-02T00:00:00Z"}), admin: true}, 400, "ends_in_past", false},
		// Authentication.
		{"product: no admin token", rawRequest{method: "POST", path: postProduct, body: s(`{"name":"A","price":1}`)}, 401, "unauthorized", false},
		{"activity: wrong admin token", rawRequest{method: "POST", path: postActivity, body: activity(nil), header: map[string]string{"Authorization": "Bearer " + servertest.AdminToken + "x"}}, 401, "unauthorized", false},
		// Catalog management (admin).
		{"update product: no fields", rawRequest{method: "PATCH", path: productPath, body: s(`{}`), admin: true}, 400, "empty_update", false},
		{"update product: negative price", rawRequest{method: "PATCH", path: productPath, body: s(`{"price":-1}`), admin: true}, 400, "invalid_price", false},
		{"update product: control character", rawRequest{method: "PATCH", path: productPath, body: s(`{"name":"a\u0000"}`), admin: true}, 400, "invalid_name", false},
		{"update product: unknown field", rawRequest{method: "PATCH", path: productPath, body: s(`{"deleted":false}`), admin: true}, 400, "unknown_field", false},
		{"update product: invalid id", rawRequest{method: "PATCH", path: "/products/a.b", body: s(`{"price":1}`), admin: true}, 400, "invalid_id", false},
		{"update product: unknown", rawRequest{method: "PATCH", path: "/products/nosuch", body: s(`{"price":1}`), admin: true}, 404, "product_not_found", false},
		{"update product: too large", rawRequest{method: "PATCH", path: productPath, body: big(1 << 16), admin: true}, 413, "body_too_large", false},
		{"delete product: invalid id", rawRequest{method: "DELETE", path: "/products/" + long, admin: true}, 400, "invalid_id", false},
		{"delete product: no token", rawRequest{method: "DELETE", path: productPath}, 401, "unauthorized", false},
		{"update activity: zero stock", rawRequest{method: "PATCH", path: actPath, body: s(`{"stock":0}`), admin: true}, 400, "invalid_stock", false},
		{"update activity: bad time", rawRequest{method: "PATCH", path: actPath, body: s(`{"ends_at":"tomorrow"}`), admin: true}, 400, "invalid_time", false},
		{"update activity: wrong type", rawRequest{method: "PATCH", path: actPath, body: s(`{"price":"1"}`), admin: true}, 400, "invalid_field_type", false},
		{"update activity: no fields", rawRequest{method: "PATCH", path: actPath, body: s(`{}`), admin: true}, 400, "empty_update", false},
		{"adjust stock: missing delta", rawRequest{method: "POST", path: actPath + "/stock", body: s(`{}`), admin: true}, 400, "missing_field", false},
		{"adjust stock: delta as string", rawRequest{method: "POST", path: actPath + "/stock", body: s(`{"delta":"5"}`), admin: true}, 400, "invalid_field_type", false},
		{"adjust stock: zero delta", rawRequest{method: "POST", path: actPath + "/stock", body: s(`{"delta":0}`), admin: true}, 400, "invalid_delta", false},
		{"adjust stock: delta past int64", rawRequest{method: "POST", path: actPath + "/stock", body: s(`{"delta":99999999999999999999}`), admin: true}, 400, "invalid_field_type", false},
		{"cancel activity: invalid id", rawRequest{method: "POST", path: "/activities/a.b/cancel", admin: true}, 400, "invalid_id", false},
		{"list products: limit 0", rawRequest{method: "GET", path: "/products?limit=0"}, 400, "invalid_limit", false},
		{"list products: limit 101", rawRequest{method: "GET", path: "/products?limit=101"}, 400, "invalid_limit", false},
		{"list products: limit abc", rawRequest{method: "GET", path: "/products?limit=abc"}, 400, "invalid_limit", false},
		{"list products: forged cursor", rawRequest{method: "GET", path: "/products?cursor=%7B%22x%22%3A1%7D"}, 400, "invalid_cursor", false},
		{"list activities: unknown status", rawRequest{method: "GET", path: "/activities?status=bogus"}, 400, "invalid_status", false},
		// Orders.
		{"get order: not an order id", rawRequest{method: "GET", path: "/orders/abc"}, 400, "invalid_id", false},
		{"get order: upper-case hex", rawRequest{method: "GET", path: "/orders/" + act.ID + "-0123456789ABCDEF"}, 400, "invalid_id", false},
		{"get order: unknown", rawRequest{method: "GET", path: unknownOrder}, 404, "order_not_found", false},
		{"pay: the shopper's own pay route", rawRequest{method: "POST", path: orderPath + "/pay", body: s(`{"user_id":"owner"}`)}, 404, "not_found", false},
		{"demo payment: off", rawRequest{method: "POST", path: orderPath + "/demo-payment", body: s(`{"user_id":"owner"}`)}, 404, "demo_payment_off", false},
		{"confirm payment: no signature", rawRequest{method: "POST", path: "/payments/confirm", body: s(confirmBody)}, 401, "missing_signature", false},
		{"confirm payment: forged signature", rawRequest{method: "POST", path: "/payments/confirm", body: s(confirmBody),
			header: map[string]string{auth.SignatureHeader: "t=" + strconv.FormatInt(time.Now().Unix(), 10) + ",v1=" + strings.Repeat("0", 64)}}, 401, "invalid_signature", false},
		{"confirm payment: replayed", rawRequest{method: "POST", path: "/payments/confirm", body: s(confirmBody), header: signedAt(confirmBody, time.Now().Add(-time.Hour))}, 401, "stale_signature", false},
		{"confirm payment: truncated", rawRequest{method: "POST", path: "/payments/confirm", body: s(`{"payment_ref":`), header: signed(`{"payment_ref":`)}, 400, "malformed_json", false},
		{"confirm payment: unknown field", rawRequest{method: "POST", path: "/payments/confirm", body: s(`{"user_id":"owner"}`), header: signed(`{"user_id":"owner"}`)}, 400, "unknown_field", false},
		{"confirm payment: unknown order", rawRequest{method: "POST", path: "/payments/confirm", body: s(unknownConfirm), header: signed(unknownConfirm)}, 404, "order_not_found", false},
		{"cancel order: no body, no admin", rawRequest{method: "POST", path: orderPath + "/cancel"}, 400, "empty_body", false},
		{"cancel order: someone else's", rawRequest{method: "POST", path: orderPath + "/cancel", body: s(`{"user_id":"mallory"}`)}, 403, "forbidden", false},
		{"cancel order: wrong admin token", rawRequest{method: "POST", path: orderPath + "/cancel", header: map[string]string{"Authorization": "Bearer nope"}}, 401, "unauthorized", false},
		{"user orders: invalid user", rawRequest{method: "GET", path: "/users/a%7Bb/orders"}, 400, "invalid_user_id", false},
		{"user orders: limit -1", rawRequest{method: "GET", path: "/users/owner/orders?limit=-1"}, 400, "invalid_limit", true},
		{"user orders: forged cursor", rawRequest{method: "GET", path: "/users/owner/orders?cursor=AAAA"}, 400, "invalid_cursor", true},
		{"activity orders: unknown status", rawRequest{method: "GET", path: actPath + "/orders?status=lost", admin: true}, 400, "invalid_status", false},
		{"activity orders: no token", rawRequest{method: "GET", path: actPath + "/orders"}, 401, "unauthorized", false},
		{"activity stats: invalid id", rawRequest{method: "GET", path: "/activities/a.b/stats", admin: true}, 400, "invalid_id", false},
		{"expire job: no token", rawRequest{method: "POST", path: "/jobs/expire-orders"}, 401, "unauthorized", false},
		// Well-formed, but naming what does not exist.
		{"activity: unknown product", rawRequest{method: "POST", path: postActivity, body: activity(map[string]any{"product_id": "nosuchproduct"}), admin: true}, 400, "unknown_product", false},
		{"purchase: unknown activity", rawRequest{method: "POST", path: "/activities/nosuchactivity/purchase", body: s(`{"user_id":"alice"}`)}, 404, "activity_not_found", true},
		{"unknown route", rawRequest{method: "GET", path: "/nosuch"}, 404, "not_found", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := keyDump(t, e.admin)
			status, eb, raw := c.send(t, tt.req)
			if status != tt.wantStatus || eb.Error.Code != tt.wantCode {
				t.Fatalf("got %d %.300s, want %d %s", status, raw, tt.wantStatus, tt.wantCode)
			}
			if eb.Error.Message == "" {
				t.Fatalf("error without a message: %s", raw)
			}
			after := keyDump(t, e.admin)
			if tt.mayCountRate {
				for _, dump := range []map[string]string{before, after} {
					for k := range dump {
						if strings.HasPrefix(k, "sk:{rl:") {
							delete(dump, k)
						}
					}
				}
			}
			mustSameDump(t, before, after)
		})
	}
}
