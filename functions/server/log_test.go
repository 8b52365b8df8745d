package server_test

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/getactivity"
	"seckill/functions/httpapi"
	"seckill/functions/purchase"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/functions/telemetry"
	"seckill/redislib/redistest"
)

// boom is a function whose handler fails with an error that has no code,
// holding a detail the client must never see.
var boom = server.Function{Name: "boom", Routes: []server.Route{{Method: "GET", Path: "/boom",
	Handler: func(server.Deps) fiber.Handler {
		return func(*fiber.Ctx) error { return errors.New("script reply 42 with secret=hunter2") }
	}}}}

func withLog(buf *servertest.Logs, level string) func(*server.Deps, *redistest.Server) {
	return func(d *server.Deps, _ *redistest.Server) {
		d.Log = telemetry.NewLogger(buf, level).With("function", "test")
	}
}

func TestRequestLogLine(t *testing.T) {
	var logs servertest.Logs
	a := mustApp(t, withLog(&logs, "info"), purchase.Function)
	act := servertest.MustActivity(t, a.store, 3)
	path := "/activities/" + act.ID + "/purchase"
	r := a.do(t, servertest.Request{Method: "POST", Path: path, Body: map[string]string{"user_id": "u1"},
		Header: map[string]string{"X-Request-ID": "req-0001.a:b_c"}})
	if r.Status != 200 {
		t.Fatalf("purchase: %d %s", r.Status, r.Body)
	}
	if got := r.Header.Get("X-Request-ID"); got != "req-0001.a:b_c" {
		t.Fatalf("X-Request-ID echoed as %q", got)
	}
	l := logs.MustLine(t, "request", map[string]any{"request_id": "req-0001.a:b_c"})
	want := map[string]any{"level": "INFO", "function": "test", "method": "POST", "path": path,
		"route": "/activities/:id/purchase", "status": float64(200), "outcome": "won"}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("log field %s = %v, want %v", k, l[k], v)
		}
	}
	if ms, ok := l["latency_ms"].(float64); !ok || ms <= 0 {
		t.Errorf("latency_ms = %v, want a positive number", l["latency_ms"])
	}
	if _, ok := l["code"]; ok {
		t.Errorf("a successful request logged an error code: %v", l)
	}

	// An error answer carries its code, and no outcome.
	r = a.do(t, servertest.Request{Method: "POST", Path: path, Body: `{"user_id": 7}`, Header: map[string]string{"X-Request-ID": "req-0002"}})
	if r.Status != 400 {
		t.Fatalf("bad purchase: %d %s", r.Status, r.Body)
	}
	l = logs.MustLine(t, "request", map[string]any{"request_id": "req-0002"})
	if l["code"] != "invalid_field_type" || l["status"] != float64(400) || l["outcome"] != nil {
		t.Errorf("error request line = %v", l)
	}
}

// A request ID taken from a client or generated is 1 to maxRequestIDLen
// characters of A-Z a-z 0-9 and - _ . : (safe in logs and headers).
const maxRequestIDLen = 128

var safeRequestID = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

func TestRequestIDIsGeneratedWhenAbsentOrUnsafe(t *testing.T) {
	var logs servertest.Logs
	a := mustApp(t, withLog(&logs, "info"), getactivity.Function)
	seen := map[string]bool{}
	for _, tc := range []struct{ name, sent string }{
		{"absent", ""},
		{"too long", strings.Repeat("a", maxRequestIDLen+1)},
		{"space", "a b"},
		{"quote", `a"b`},
		{"log injection", "a\\n{\"level\":\"ERROR\"}"},
		{"non-ASCII", "idé"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.sent != "" {
				h["X-Request-ID"] = tc.sent
			}
			r := a.do(t, servertest.Request{Method: "GET", Path: "/activities/nosuch", Header: h})
			got := r.Header.Get("X-Request-ID")
			if got == tc.sent || !safeRequestID.MatchString(got) || seen[got] {
				t.Fatalf("sent %q, response X-Request-ID %q: want a fresh, valid, unique ID", tc.sent, got)
			}
			seen[got] = true
			logs.MustLine(t, "request", map[string]any{"request_id": got})
		})
	}
	longest := strings.Repeat("Z", maxRequestIDLen)
	r := a.do(t, servertest.Request{Method: "GET", Path: "/livez", Header: map[string]string{"X-Request-ID": longest}})
	if got := r.Header.Get("X-Request-ID"); got != longest {
		t.Fatalf("a valid %d-character ID was replaced by %q", len(longest), got)
	}
}

func TestInternalErrorLoggedInDetailClientSeesSafeMessage(t *testing.T) {
	var logs servertest.Logs
	a := mustApp(t, withLog(&logs, "info"), boom)
	r := a.do(t, servertest.Request{Method: "GET", Path: "/boom", Header: map[string]string{"X-Request-ID": "boom-1"}})
	if r.Status != 500 || r.ErrorCode() != "internal" {
		t.Fatalf("GET /boom: %d %s", r.Status, r.Body)
	}
	if bytes.Contains(r.Body, []byte("hunter2")) || bytes.Contains(r.Body, []byte("script reply")) {
		t.Fatalf("the client saw the internal detail: %s", r.Body)
	}
	var body httpapi.ErrorBody
	r.Decode(t, &body)
	if body.Error.Message != "internal error (request boom-1)" {
		t.Fatalf("message = %q", body.Error.Message)
	}
	l := logs.MustLine(t, "internal error", map[string]any{"request_id": "boom-1"})
	if l["level"] != "ERROR" || l["err"] != "script reply 42 with secret=hunter2" || l["function"] != "test" {
		t.Fatalf("internal error line = %v", l)
	}
	l = logs.MustLine(t, "request", map[string]any{"request_id": "boom-1"})
	if l["code"] != "internal" || l["status"] != float64(500) {
		t.Fatalf("request line = %v", l)
	}
}

func TestStoreFailureLoggedInDetailClientSeesSafeMessage(t *testing.T) {
	var logs servertest.Logs
	a := mustApp(t, withLog(&logs, "info"), getactivity.Function)
	a.redis.Kill()
	r := a.do(t, servertest.Request{Method: "GET", Path: "/activities/abc", Header: map[string]string{"X-Request-ID": "down-1"}})
	if r.Status != 503 || r.ErrorCode() != "store_unavailable" {
		t.Fatalf("with Redis down: %d %s", r.Status, r.Body)
	}
	var body httpapi.ErrorBody
	r.Decode(t, &body)
	if body.Error.Message != "the store is unavailable, try again" {
		t.Fatalf("message = %q", body.Error.Message)
	}
	l := logs.MustLine(t, "request failed", map[string]any{"request_id": "down-1"})
	if l["level"] != "WARN" || l["code"] != "store_unavailable" || !strings.Contains(fmt.Sprint(l["err"]), a.redis.Addr) {
		t.Fatalf("store failure line = %v (want WARN with the Redis error naming %s)", l, a.redis.Addr)
	}
}

func TestLogLevel(t *testing.T) {
	t.Run("warn hides request lines, keeps errors", func(t *testing.T) {
		var logs servertest.Logs
		a := mustApp(t, withLog(&logs, "WARN"), boom, getactivity.Function)
		a.do(t, servertest.Request{Method: "GET", Path: "/activities/nosuch"})
		a.do(t, servertest.Request{Method: "GET", Path: "/boom", Header: map[string]string{"X-Request-ID": "w1"}})
		lines := logs.Lines(t)
		if len(lines) != 1 || lines[0]["msg"] != "internal error" {
			t.Fatalf("at warn, want only the internal error line, got:\n%s", logs.String())
		}
	})
	t.Run("probes and scrapes at debug", func(t *testing.T) {
		for _, level := range []string{"info", "debug"} {
			var logs servertest.Logs
			a := mustApp(t, withLog(&logs, level), getactivity.Function)
			for _, p := range []string{"/livez", "/readyz", "/metrics"} {
				if r := a.do(t, servertest.Request{Method: "GET", Path: p}); r.Status != 200 {
					t.Fatalf("GET %s: %d %s", p, r.Status, r.Body)
				}
			}
			got := len(logs.Lines(t))
			if want := map[string]int{"info": 0, "debug": 3}[level]; got != want {
				t.Fatalf("at %s: %d lines for 3 probe requests, want %d:\n%s", level, got, want, logs.String())
			}
		}
	})
	t.Run("parse", func(t *testing.T) {
		for _, ok := range []string{"debug", "INFO", " warn ", "Error"} {
			if _, err := telemetry.ParseLevel(ok); err != nil {
				t.Errorf("ParseLevel(%q): %v", ok, err)
			}
		}
		for _, bad := range []string{"", "verbose", "warning", "0"} {
			if _, err := telemetry.ParseLevel(bad); err == nil {
				t.Errorf("ParseLevel(%q) accepted", bad)
			}
		}
	})
	t.Run("Run refuses an unknown LOG_LEVEL", func(t *testing.T) {
		t.Setenv("LOG_LEVEL", "loud")
		var stdout, stderr bytes.Buffer
		if code := server.Run(nil, &stdout, &stderr, getactivity.Function); code != 2 {
			t.Fatalf("exit code %d, want 2; stderr: %s", code, stderr.String())
		}
		if !strings.Contains(stderr.String(), `LOG_LEVEL "loud"`) {
			t.Fatalf("stderr does not name the bad level: %s", stderr.String())
		}
	})
}

// TestRoutineRequestsAreSampled: of the answered purchase attempts, won or
// lost, one in LogSample is logged (marked sampled); every error is logged.
func TestRoutineRequestsAreSampled(t *testing.T) {
	var logs servertest.Logs
	a := mustApp(t, func(d *server.Deps, srv *redistest.Server) {
		withLog(&logs, "info")(d, srv)
		d.Config.LogSample = 10
	}, purchase.Function)
	act := servertest.MustActivity(t, a.store, 10)
	path := "/activities/" + act.ID + "/purchase"
	// 10 wins, then 30 sold_out: the 10th, 20th, 30th and 40th are logged.
	for i := range 40 {
		a.do(t, servertest.Request{Method: "POST", Path: path, Body: fmt.Sprintf(`{"user_id":"u%d"}`, i)})
	}
	a.do(t, servertest.Request{Method: "POST", Path: path, Body: `{"user_id":""}`}) // 400
	var won, lost, bad int
	for _, l := range logs.Lines(t) {
		if l["msg"] != "request" {
			continue
		}
		if l["status"] == float64(400) {
			if l["sampled"] != nil {
				t.Errorf("an error was sampled: %v", l)
			}
			bad++
			continue
		}
		if l["sampled"] != float64(10) {
			t.Errorf("a purchase line without sampled=10: %v", l)
		}
		if l["outcome"] == "won" {
			won++
		} else {
			lost++
		}
	}
	if won != 1 || lost != 3 || bad != 1 {
		t.Fatalf("logged %d wins of 10, %d losing attempts of 30, %d errors of 1; want 1, 3, 1", won, lost, bad)
	}
}

// TestBufferedLoggerFlushes: info lines wait for the periodic flush; a warning
// is written at once with what came before it; closing writes the rest.
func TestBufferedLoggerFlushes(t *testing.T) {
	var out servertest.Logs
	log, closeLog := telemetry.NewBufferedLogger(&out, "info")
	log.Info("first")
	log.Warn("problem")
	if s := out.String(); !strings.Contains(s, `"first"`) || !strings.Contains(s, `"problem"`) {
		t.Fatalf("after a warning: %q, want both lines", s)
	}
	log.Info("last")
	closeLog()
	if s := out.String(); !strings.Contains(s, `"last"`) {
		t.Fatalf("after close: %q, want the last line", s)
	}
}
