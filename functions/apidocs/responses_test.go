package apidocs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"seckill/functions/all"
	"seckill/functions/server/servertest"
	"seckill/redislib"
	"seckill/redislib/redistest"
)

func init() {
	// The docs page, the document as YAML, the storefront page and its
	// assets are text: read them as text to check them against their schemas.
	for _, mediaType := range []string{"text/html", "text/javascript", "text/css", "application/yaml"} {
		openapi3filter.RegisterBodyDecoder(mediaType, func(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
			b, err := io.ReadAll(r)
			return string(b), err
		})
	}
}

// validator checks real requests and responses against the document.
type validator struct {
	doc  *openapi3.T
	opts *openapi3filter.Options
	// seen counts validated responses by operation and status.
	seen map[string]int
}

func newValidator(t *testing.T) *validator {
	return &validator{doc: mustSpec(t), seen: map[string]int{},
		opts: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
}

// route finds the operation of a request path, with its path parameters.
func (v *validator) route(method, path string) (*routers.Route, map[string]string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for tmpl, item := range v.doc.Paths.Map() {
		tsegs := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(tsegs) != len(segs) || item.GetOperation(method) == nil {
			continue
		}
		params := map[string]string{}
		match := true
		for i, ts := range tsegs {
			if strings.HasPrefix(ts, "{") {
				params[strings.Trim(ts, "{}")] = segs[i]
			} else if ts != segs[i] {
				match = false
				break
			}
		}
		if match {
			return &routers.Route{Spec: v.doc, Path: tmpl, PathItem: item, Method: method, Operation: item.GetOperation(method)}, params
		}
	}
	return nil, nil
}

// mustCheck sends req, checks the status, and validates the response (and,
// when validRequest, the request) against the document.
func (v *validator) mustCheck(t *testing.T, env *servertest.Env, req servertest.Request, wantStatus int, wantCode string, validRequest bool) servertest.Response {
	t.Helper()
	var resp servertest.Response
	// app.Test reports a refused body as its own error, and has no local
	// address for GET /console/totals to read the process's /metrics at:
	// these go over a real connection.
	if wantStatus == http.StatusRequestEntityTooLarge || (req.Path == "/console/totals" && wantStatus == http.StatusOK) {
		resp = mustDoHTTP(t, env, req)
	} else {
		resp = env.Do(t, req)
	}
	if resp.Status != wantStatus || resp.ErrorCode() != wantCode {
		t.Fatalf("%s %s: got %d %q, want %d %q: %s", req.Method, req.Path, resp.Status, resp.ErrorCode(), wantStatus, wantCode, resp.Body)
	}
	path, query, _ := strings.Cut(req.Path, "?")
	route, params := v.route(req.Method, path)
	if route == nil {
		t.Fatalf("%s %s: no operation in the document", req.Method, path)
	}
	var body []byte
	switch b := req.Body.(type) {
	case nil:
	case string:
		body = []byte(b)
	case []byte:
		body = b
	default:
		body, _ = json.Marshal(b)
	}
	hr := httptest.NewRequest(req.Method, req.Path, bytes.NewReader(body))
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	_ = query
	in := &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: route, Options: v.opts}
	ctx := context.Background()
	if validRequest {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Errorf("%s %s: the request does not match the document: %v", req.Method, req.Path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.Status, Header: resp.Header, Options: v.opts}
	out.SetBodyBytes(resp.Body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s %s -> %d: the response does not match the document: %v\nbody: %s", req.Method, req.Path, resp.Status, err, resp.Body)
	}
	v.seen[route.Method+" "+route.Path]++
	return resp
}

// mustDoHTTP sends req to env's app over a real loopback connection.
func mustDoHTTP(t *testing.T, env *servertest.Env, req servertest.Request) servertest.Response {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = env.App.Listener(ln) }()
	defer ln.Close()
	body, _ := json.Marshal(req.Body)
	hr, _ := http.NewRequest(req.Method, "http://"+ln.Addr().String()+req.Path, bytes.NewReader(body))
	hr.Header.Set("Content-Type", "application/json")
	if req.Admin {
		hr.Header.Set("Authorization", "Bearer "+servertest.AdminToken)
	}
	r, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return servertest.Response{Status: r.StatusCode, Header: r.Header, Body: b}
}

// Real answers of every served operation, successes and the errors that can
// be caused from outside, validated against the document: the schemas (with
// additionalProperties false) and the error codes listed per status catch
// any drift between the handlers and the spec.
func TestResponsesMatchSpec(t *testing.T) {
	v := newValidator(t)
	env := servertest.New(t, all.Functions...)
	ok := func(req servertest.Request, status int) servertest.Response {
		t.Helper()
		return v.mustCheck(t, env, req, status, "", true)
	}
	fail := func(req servertest.Request, status int, code string) {
		t.Helper()
		v.mustCheck(t, env, req, status, code, false)
	}
	type obj = map[string]any
	future := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339) }
	big := obj{"name": strings.Repeat("x", 20000), "price": 1}

	// Products.
	p := ok(servertest.Request{Method: "POST", Path: "/products", Admin: true, Body: obj{"name": "Phone", "description": "black", "price": 49900}}, 201).JSON(t)
	pid := p["id"].(string)
	ok(servertest.Request{Method: "POST", Path: "/products", Admin: true, Body: obj{"name": "No description", "price": 0}}, 201)
	fail(servertest.Request{Method: "POST", Path: "/products", Body: obj{"name": "x", "price": 1}}, 401, "unauthorized")
	for _, c := range []struct {
		body any
		code string
	}{
		{"", "empty_body"}, {`{"name":`, "malformed_json"}, {obj{"name": "x", "price": 1, "colour": "red"}, "unknown_field"},
		{obj{"name": 7, "price": 1}, "invalid_field_type"}, {obj{"price": 1}, "missing_field"}, {obj{"name": "", "price": 1}, "invalid_name"},
		{obj{"name": "x", "description": "a\x00b", "price": 1}, "invalid_description"}, {obj{"name": "x", "price": -1}, "invalid_price"},
	} {
		fail(servertest.Request{Method: "POST", Path: "/products", Admin: true, Body: c.body}, 400, c.code)
	}
	fail(servertest.Request{Method: "POST", Path: "/products", Admin: true, Body: big}, 413, "body_too_large")
	ok(servertest.Request{Method: "GET", Path: "/products/" + pid}, 200)
	fail(servertest.Request{Method: "GET", Path: "/products/nosuch"}, 404, "product_not_found")
	fail(servertest.Request{Method: "GET", Path: "/products/bad.id"}, 400, "invalid_id")

	// Activities.
	newAct := func(extra obj) obj {
		a := obj{"product_id": pid, "stock": 2, "price": 999, "starts_at": future(-time.Minute), "ends_at": future(time.Hour)}
		for k, v := range extra {
			a[k] = v
		}
		return a
	}
	a := ok(servertest.Request{Method: "POST", Path: "/activities", Admin: true, Body: newAct(nil)}, 201).JSON(t)
	aid := a["id"].(string)
	sched := ok(servertest.Request{Method: "POST", Path: "/activities", Admin: true, Body: newAct(obj{"starts_at": future(time.Hour), "ends_at": future(2 * time.Hour), "payment_window": 0})}, 201).JSON(t)
	// An activity cannot be created in the past: end one by moving its end.
	ended := servertest.MustActivity(t, env.Store, 1)
	if err := env.Redis.Client(t).HSet(context.Background(), redistest.ActivityKey(ended.ID), "ends_at", time.Now().Add(-time.Second).UnixMilli()).Err(); err != nil {
		t.Fatal(err)
	}
	fail(servertest.Request{Method: "POST", Path: "/activities", Body: newAct(nil)}, 401, "unauthorized")
	deleted := servertest.MustProduct(t, env.Store)
	if err := env.Redis.Client(t).HSet(context.Background(), redistest.ProductKey(deleted.ID), "deleted", "1").Err(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		body any
		code string
	}{
		{"", "empty_body"}, {"[1,", "malformed_json"}, {newAct(obj{"colour": 1}), "unknown_field"}, {newAct(obj{"stock": "2"}), "invalid_field_type"},
		{obj{"product_id": pid}, "missing_field"}, {newAct(obj{"product_id": "a.b"}), "invalid_id"}, {newAct(obj{"stock": 0}), "invalid_stock"},
		{newAct(obj{"price": -5}), "invalid_price"}, {newAct(obj{"starts_at": "tomorrow"}), "invalid_time"},
		{newAct(obj{"starts_at": future(time.Hour), "ends_at": future(time.Minute)}), "invalid_time_range"},
		{newAct(obj{"payment_window": -1}), "invalid_payment_window"}, {newAct(obj{"product_id": "nosuch"}), "unknown_product"},
		{newAct(obj{"product_id": deleted.ID}), "product_deleted"},
		{newAct(obj{"starts_at": future(-2 * time.Hour), "ends_at": future(-time.Hour)}), "ends_in_past"},
	} {
		fail(servertest.Request{Method: "POST", Path: "/activities", Admin: true, Body: c.body}, 400, c.code)
	}
	fail(servertest.Request{Method: "POST", Path: "/activities", Admin: true, Body: big}, 413, "body_too_large")
	ok(servertest.Request{Method: "GET", Path: "/activities/" + aid}, 200)
	ok(servertest.Request{Method: "GET", Path: "/activities/" + sched["id"].(string)}, 200)
	ok(servertest.Request{Method: "GET", Path: "/activities/" + ended.ID}, 200)
	fail(servertest.Request{Method: "GET", Path: "/activities/nosuch"}, 404, "activity_not_found")
	fail(servertest.Request{Method: "GET", Path: "/activities/a.b"}, 400, "invalid_id")

	// Purchases: every outcome, then the errors.
	buy := func(act, user string) servertest.Request {
		return servertest.Request{Method: "POST", Path: "/activities/" + act + "/purchase", Body: obj{"user_id": user}}
	}
	for _, c := range []struct{ act, user, outcome string }{
		{aid, "u1", "won"}, {aid, "u1", "already_won"}, {aid, "u2", "won"}, {aid, "u3", "sold_out"},
		{sched["id"].(string), "u1", "not_started"}, {ended.ID, "u1", "ended"},
	} {
		if got := ok(buy(c.act, c.user), 200).JSON(t)["outcome"]; got != c.outcome {
			t.Fatalf("purchase %s by %s: outcome %v, want %s", c.act, c.user, got, c.outcome)
		}
	}
	// The waiting room: join, every status, the admission token, its refusals.
	q := ok(servertest.Request{Method: "POST", Path: "/activities", Admin: true, Body: newAct(obj{"admission": "queue",
		"queue_opens_at": future(-2 * time.Minute), "admit_rate": 100, "admission_ttl": 60})}, 201).JSON(t)
	qid := q["id"].(string)
	early := ok(servertest.Request{Method: "POST", Path: "/activities", Admin: true, Body: newAct(obj{"starts_at": future(time.Hour),
		"ends_at": future(2 * time.Hour), "admission": "queue", "queue_opens_at": future(30 * time.Minute), "admit_rate": 1})}, 201).JSON(t)
	ok(servertest.Request{Method: "POST", Path: "/activities", Admin: true, Body: newAct(obj{"starts_at": future(time.Hour),
		"ends_at": future(2 * time.Hour), "admission": "draw", "registration_opens_at": future(-time.Minute), "draw_at": future(90 * time.Minute)})}, 201)
	join := func(act, user string) servertest.Request {
		return servertest.Request{Method: "POST", Path: "/activities/" + act + "/queue", Body: obj{"user_id": user}}
	}
	for _, u := range []string{"q1", "q2", "q3", "q4", "q5", "q6"} {
		if st := ok(join(qid, u), 200).JSON(t)["status"]; st != "waiting" {
			t.Fatalf("join %s: %v, want waiting", u, st)
		}
	}
	if st := ok(join(early["id"].(string), "q1"), 200).JSON(t)["status"]; st != "not_open" {
		t.Fatalf("join before the opening: %v", st)
	}
	if _, err := env.Store.AdvanceQueue(context.Background(), qid); err != nil {
		t.Fatal(err)
	}
	admitted := ok(servertest.Request{Method: "GET", Path: "/activities/" + qid + "/queue/q1"}, 200).JSON(t)
	if admitted["status"] != "admitted" && admitted["status"] != "waiting" {
		t.Fatalf("status: %v", admitted)
	}
	ok(servertest.Request{Method: "GET", Path: "/activities/" + qid + "/queue/q6"}, 200)
	fail(servertest.Request{Method: "GET", Path: "/activities/" + qid + "/queue/nobody"}, 404, "not_in_queue")
	fail(servertest.Request{Method: "GET", Path: "/activities/" + aid + "/queue/q1"}, 409, "not_queue")
	ok(servertest.Request{Method: "GET", Path: "/console/queue/" + qid, Admin: true}, 200)
	fail(servertest.Request{Method: "GET", Path: "/console/queue/" + aid, Admin: true}, 409, "not_queue")
	fail(servertest.Request{Method: "GET", Path: "/console/queue/nosuch", Admin: true}, 404, "activity_not_found")
	fail(servertest.Request{Method: "GET", Path: "/console/queue/" + qid}, 401, "unauthorized")
	fail(join(aid, "q1"), 409, "not_queue")
	fail(join("nosuch", "q1"), 404, "activity_not_found")
	fail(join(qid, "a b"), 400, "invalid_user_id")
	fail(servertest.Request{Method: "POST", Path: "/activities/" + qid + "/queue", Body: obj{}}, 400, "missing_field")
	fail(buy(qid, "q1"), 403, "admission_required")
	fail(servertest.Request{Method: "POST", Path: "/activities", Admin: true, Body: newAct(obj{"admission": "lottery"})}, 400, "invalid_admission")
	fail(buy("nosuch", "u1"), 404, "activity_not_found")
	fail(buy("a.b", "u1"), 400, "invalid_id")
	fail(buy(aid, "has space"), 400, "invalid_user_id")
	fail(servertest.Request{Method: "POST", Path: "/activities/" + aid + "/purchase", Body: ""}, 400, "empty_body")
	fail(servertest.Request{Method: "POST", Path: "/activities/" + aid + "/purchase", Body: "{"}, 400, "malformed_json")
	fail(servertest.Request{Method: "POST", Path: "/activities/" + aid + "/purchase", Body: obj{"user": "u"}}, 400, "unknown_field")
	fail(servertest.Request{Method: "POST", Path: "/activities/" + aid + "/purchase", Body: obj{"user_id": 1}}, 400, "invalid_field_type")
	fail(servertest.Request{Method: "POST", Path: "/activities/" + aid + "/purchase", Body: obj{}}, 400, "missing_field")
	fail(servertest.Request{Method: "POST", Path: "/activities/" + aid + "/purchase", Body: obj{"user_id": strings.Repeat("u", 20000)}}, 413, "body_too_large")

	if won := ok(servertest.Request{Method: "GET", Path: "/activities/" + aid + "/purchases/u1"}, 200).JSON(t); won["won"] != true || won["order_id"] == nil {
		t.Fatalf("purchase result of a winner: %v", won)
	}
	if lost := ok(servertest.Request{Method: "GET", Path: "/activities/" + aid + "/purchases/u3"}, 200).JSON(t); lost["won"] != false {
		t.Fatalf("purchase result of a loser: %v", lost)
	}
	fail(servertest.Request{Method: "GET", Path: "/activities/nosuch/purchases/u1"}, 404, "activity_not_found")
	fail(servertest.Request{Method: "GET", Path: "/activities/a.b/purchases/u1"}, 400, "invalid_id")
	fail(servertest.Request{Method: "GET", Path: "/activities/" + aid + "/purchases/a%20b"}, 400, "invalid_user_id")

	// Catalog management.
	req := func(method, path string, admin bool, body any) servertest.Request {
		return servertest.Request{Method: method, Path: path, Admin: admin, Body: body}
	}
	ok(req("GET", "/products?limit=2", false, nil), 200)
	fail(req("GET", "/products?limit=0", false, nil), 400, "invalid_limit")
	fail(req("GET", "/products?cursor=forged", false, nil), 400, "invalid_cursor")
	ok(req("PATCH", "/products/"+pid, true, obj{"description": "blue"}), 200)
	fail(req("PATCH", "/products/"+pid, true, obj{}), 400, "empty_update")
	fail(req("PATCH", "/products/nosuch", true, obj{"price": 1}), 404, "product_not_found")
	ok(req("GET", "/activities?status=running", false, nil), 200)
	fail(req("GET", "/activities?status=asleep", false, nil), 400, "invalid_status")
	schedID := sched["id"].(string)
	ok(req("PATCH", "/activities/"+schedID, true, obj{"stock": 5}), 200)
	fail(req("PATCH", "/activities/"+aid, true, obj{"stock": 5}), 409, "activity_started")
	ok(req("POST", "/activities/"+aid+"/stock", true, obj{"delta": 1}), 200)
	fail(req("POST", "/activities/"+aid+"/stock", true, obj{"delta": 0}), 400, "invalid_delta")
	fail(req("POST", "/activities/"+aid+"/stock", true, obj{"delta": -5}), 409, "stock_below_sold")
	ok(req("POST", "/activities/"+schedID+"/pause", true, nil), 200)
	ok(req("POST", "/activities/"+schedID+"/resume", true, nil), 200)
	ok(req("POST", "/activities/"+schedID+"/cancel", true, nil), 200)
	fail(req("POST", "/activities/"+schedID+"/pause", true, nil), 409, "activity_cancelled")
	fail(req("POST", "/activities/"+schedID+"/resume", true, nil), 409, "activity_cancelled")
	fail(req("POST", "/activities/nosuch/pause", true, nil), 404, "activity_not_found")
	fail(req("POST", "/activities/a.b/resume", true, nil), 400, "invalid_id")
	ok(req("GET", "/activities/"+schedID+"/audit?limit=2", true, nil), 200)
	fail(req("GET", "/activities/"+schedID+"/audit?limit=0", true, nil), 400, "invalid_limit")
	fail(req("GET", "/activities/nosuch/audit", true, nil), 404, "activity_not_found")
	ok(req("GET", "/products/"+pid+"/audit", true, nil), 200)
	fail(req("GET", "/products/nosuch/audit", true, nil), 404, "product_not_found")
	spare := ok(req("POST", "/products", true, obj{"name": "Spare", "price": 1}), 201).JSON(t)["id"].(string)
	ok(req("DELETE", "/products/"+spare, true, nil), 200)
	fail(req("DELETE", "/products/"+pid, true, nil), 409, "product_in_use")

	// Orders.
	orderOf := func(user string) string {
		return ok(req("GET", "/activities/"+aid+"/purchases/"+user, false, nil), 200).JSON(t)["order_id"].(string)
	}
	o1, o2 := orderOf("u1"), orderOf("u2")
	ok(req("GET", "/orders/"+o1, false, nil), 200)
	fail(req("GET", "/orders/"+aid+"-0000000000000000", false, nil), 404, "order_not_found")
	ok(req("GET", "/users/u1/orders", false, nil), 200)
	ok(req("GET", "/activities/"+aid+"/orders?status=pending", true, nil), 200)
	ok(req("GET", "/activities/"+aid+"/stats", true, nil), 200)
	price := func(id string) int64 {
		o, err := env.Store.Order(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return o.Price
	}
	unsigned := servertest.Confirmation(o1, "pi_1", price(o1))
	unsigned.Header = nil
	fail(unsigned, 401, "missing_signature")
	fail(servertest.Confirmation(o1, "pi 1", price(o1)), 400, "invalid_payment_ref")
	fail(servertest.Confirmation(aid+"-0000000000000000", "pi_0", 1), 404, "order_not_found")
	fail(req("POST", "/orders/"+o1+"/demo-payment", false, obj{"user_id": "u1"}), 404, "demo_payment_off")
	fail(servertest.Confirmation(o1, "pi_low", price(o1)-1), 409, "amount_mismatch")
	ok(servertest.Confirmation(o1, "pi_1", price(o1)), 200)
	ok(servertest.Confirmation(o1, "pi_1", price(o1)), 200)
	fail(servertest.Confirmation(o1, "pi_2", price(o1)), 409, "already_paid")
	fail(servertest.Confirmation(o2, "pi_1", price(o2)), 409, "payment_ref_used")
	ok(req("POST", "/orders/"+o2+"/cancel", false, obj{"user_id": "u2"}), 200)
	fail(servertest.Confirmation(o2, "pi_3", price(o2)), 409, "order_closed")
	ok(req("POST", "/jobs/expire-orders", true, nil), 200)

	// Draws: enter, look up, the draw before and after, its entrants.
	draw := redistest.MustDrawActivity(t, env.Store, env.Redis.AdminClient(t), 1)
	entries := "/activities/" + draw.ID + "/entries"
	ok(req("POST", entries, false, obj{"user_id": "d1"}), 200)
	ok(req("POST", entries, false, obj{"user_id": "d1"}), 200)
	ok(req("POST", entries, false, obj{"user_id": "d2"}), 200)
	fail(req("POST", entries, false, obj{"user_id": "a b"}), 400, "invalid_user_id")
	fail(req("POST", "/activities/"+aid+"/entries", false, obj{"user_id": "d1"}), 409, "not_draw")
	fail(req("POST", "/activities/nosuch/entries", false, obj{"user_id": "d1"}), 404, "activity_not_found")
	ok(req("GET", entries+"/d1", false, nil), 200)
	fail(req("GET", "/activities/"+aid+"/entries/d1", false, nil), 409, "not_draw")
	ok(req("GET", "/activities/"+draw.ID+"/draw", false, nil), 200)
	fail(req("GET", "/activities/"+draw.ID+"/draw/entrants", false, nil), 409, "draw_not_done")
	redistest.CloseRegistration(t, env.Redis.AdminClient(t), draw.ID)
	fail(req("POST", entries, false, obj{"user_id": "d3"}), 409, "registration_closed")
	for p, err := env.Store.RunDraw(t.Context(), draw.ID, redislib.DrawOptions{}); !p.Done; p, err = env.Store.RunDraw(t.Context(), draw.ID, redislib.DrawOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	ok(req("GET", "/activities/"+draw.ID+"/draw?limit=1", false, nil), 200)
	ok(req("GET", "/activities/"+draw.ID+"/draw/entrants?limit=1", false, nil), 200)
	fail(req("GET", "/activities/"+aid+"/draw", false, nil), 409, "not_draw")
	fail(req("GET", "/activities/"+draw.ID+"/draw?limit=0", false, nil), 400, "invalid_limit")

	// Operations and docs.
	ok(servertest.Request{Method: "GET", Path: "/livez"}, 200)
	ok(servertest.Request{Method: "GET", Path: "/readyz"}, 200)
	ok(servertest.Request{Method: "GET", Path: "/metrics"}, 200)
	ok(servertest.Request{Method: "GET", Path: "/openapi.json"}, 200)
	ok(servertest.Request{Method: "GET", Path: "/openapi.yaml"}, 200)
	ok(servertest.Request{Method: "GET", Path: "/docs"}, 200)
	ok(servertest.Request{Method: "GET", Path: "/docs/swagger-ui-bundle.js"}, 200)
	ok(servertest.Request{Method: "GET", Path: "/docs/swagger-ui.css"}, 200)
	ok(servertest.Request{Method: "GET", Path: "/docs/swagger-initializer.js"}, 200)

	// Storefront: the page (also as a sale's page), its assets, and again
	// with their ETags; the server's clock.
	for _, path := range []string{"/", "/?activity=" + aid, "/storefront.js", "/storefront.css"} {
		etag := ok(servertest.Request{Method: "GET", Path: path}, 200).Header.Get("ETag")
		if etag == "" {
			t.Fatalf("GET %s: no ETag", path)
		}
		ok(servertest.Request{Method: "GET", Path: path, Header: map[string]string{"If-None-Match": etag}}, 304)
	}
	ok(servertest.Request{Method: "GET", Path: "/time"}, 200)

	// Console: the page (also as a sale's page) and its assets; the
	// purchase route's totals, read from this process's /metrics after the
	// purchases above; refused without the admin token; and 503 when the
	// source cannot be read (through app.Test, which has no local address).
	for _, path := range []string{"/console", "/console?activity=" + aid, "/console/console.js", "/console/console.css"} {
		ok(servertest.Request{Method: "GET", Path: path}, 200)
	}
	totals := ok(servertest.Request{Method: "GET", Path: "/console/totals", Admin: true}, 200).JSON(t)
	if outcomes, _ := totals["outcomes"].(map[string]any); outcomes["won"] == nil {
		t.Fatalf("GET /console/totals after wins: %v", totals)
	}
	fail(servertest.Request{Method: "GET", Path: "/console/totals"}, 401, "unauthorized")
	fail(servertest.Request{Method: "GET", Path: "/console/totals", Admin: true}, 503, "store_unavailable")

	// Redis down: every Redis-backed operation answers 503 store_unavailable.
	env.Redis.Kill()
	ok(servertest.Request{Method: "GET", Path: "/readyz"}, 200) // readiness does not ask Redis
	fail(servertest.Request{Method: "GET", Path: "/products/" + pid}, 503, "store_unavailable")
	fail(servertest.Request{Method: "POST", Path: "/products", Admin: true, Body: obj{"name": "x", "price": 1}}, 503, "store_unavailable")
	fail(servertest.Request{Method: "GET", Path: "/activities/" + aid}, 503, "store_unavailable")
	fail(servertest.Request{Method: "POST", Path: "/activities", Admin: true, Body: newAct(nil)}, 503, "store_unavailable")
	fail(buy(aid, "u9"), 503, "store_unavailable")
	fail(servertest.Request{Method: "GET", Path: "/activities/" + aid + "/purchases/u1"}, 503, "store_unavailable")
	fail(servertest.Request{Method: "GET", Path: "/time"}, 503, "store_unavailable")

	// Every operation the registry serves was validated, with a 2xx answer.
	served, _ := servedRoutes(t)
	for r := range served {
		method, path, _ := strings.Cut(r, " ")
		route, _ := v.route(method, strings.NewReplacer("{id}", "x", "{user_id}", "x").Replace(path))
		if route == nil || v.seen[route.Method+" "+route.Path] == 0 {
			t.Errorf("%s: no response validated", r)
		}
	}
}
