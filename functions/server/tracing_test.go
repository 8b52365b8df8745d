package server_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kelseyhightower/envconfig"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"seckill/functions/purchase"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/functions/telemetry"
	"seckill/redislib"
	"seckill/redislib/redistest"
)

// withTracing records spans in memory: the request spans of the app and the
// Redis spans of its client.
func withTracing(t *testing.T, exp *tracetest.InMemoryExporter, logs *servertest.Logs) func(*server.Deps, *redistest.Server) {
	return func(d *server.Deps, srv *redistest.Server) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
		t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
		client := srv.Client(t)
		if err := telemetry.InstrumentRedis(client, tp); err != nil {
			t.Fatal(err)
		}
		d.Store = redislib.NewStore(client)
		d.TracerProvider = tp
		if logs != nil {
			d.Log = telemetry.NewLogger(logs, "info")
		}
	}
}

// warmPool leaves a connection in the client's own pool (the fixtures'
// writes use its pipeline pool): go-redis dials on a context of its own,
// so a dial made during a request would be a span outside the request.
func warmPool(t *testing.T, store *redislib.Store) {
	t.Helper()
	if err := store.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// mustServerSpan returns the only server span.
func mustServerSpan(t *testing.T, spans tracetest.SpanStubs) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	for _, s := range spans {
		if s.SpanKind == trace.SpanKindServer {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want 1 server span, got %d of %d spans", len(found), len(spans))
	}
	return found[0]
}

func attr(s tracetest.SpanStub, key string) any {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value.AsInterface()
		}
	}
	return nil
}

func TestPurchaseSpanWithRedisSpansUnderIt(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	var logs servertest.Logs
	a := mustApp(t, withTracing(t, exp, &logs), purchase.Function)
	act := servertest.MustActivity(t, a.store, 2)
	warmPool(t, a.store)
	exp.Reset() // the fixtures' own Redis spans

	r := a.do(t, servertest.Request{Method: "POST", Path: "/activities/" + act.ID + "/purchase",
		Body: map[string]string{"user_id": "alice"}, Header: map[string]string{"X-Request-ID": "trace-1"}})
	if r.Status != 200 {
		t.Fatalf("purchase: %d %s", r.Status, r.Body)
	}
	spans := exp.GetSpans()
	srv := mustServerSpan(t, spans)
	if srv.Name != "POST /activities/:id/purchase" {
		t.Errorf("server span name %q", srv.Name)
	}
	if srv.Parent.IsValid() {
		t.Errorf("a request without traceparent got a parent: %v", srv.Parent)
	}
	for k, v := range map[string]any{"http.route": "/activities/:id/purchase", "http.response.status_code": int64(200),
		"http.request.method": "POST", "url.path": "/activities/" + act.ID + "/purchase",
		"seckill.outcome": "won", "seckill.request_id": "trace-1"} {
		if got := attr(srv, k); got != v {
			t.Errorf("server span %s = %v, want %v", k, got, v)
		}
	}

	// Every other span is a Redis command of this request, directly under it:
	// the purchase script (EVALSHA, or EVAL after a NOSCRIPT), which on one
	// server also adds the order to the user's history.
	names := map[string]bool{}
	for _, s := range spans {
		if s.SpanKind == trace.SpanKindServer {
			continue
		}
		names[s.Name] = true
		if s.SpanContext.TraceID() != srv.SpanContext.TraceID() || s.Parent.SpanID() != srv.SpanContext.SpanID() {
			t.Errorf("span %q is not a child of the request span", s.Name)
		}
		if s.SpanKind != trace.SpanKindClient || attr(s, "db.system") != "redis" {
			t.Errorf("span %q: kind %v, db.system %v", s.Name, s.SpanKind, attr(s, "db.system"))
		}
		if attr(s, "db.statement") != nil {
			t.Errorf("span %q records the command's arguments", s.Name)
		}
	}
	if !(names["evalsha"] || names["eval"]) || names["zadd"] {
		t.Fatalf("Redis spans %v, want the purchase script alone", names)
	}

	// The request's log line names the trace.
	l := logs.MustLine(t, "request", map[string]any{"request_id": "trace-1"})
	if l["trace_id"] != srv.SpanContext.TraceID().String() || l["span_id"] != srv.SpanContext.SpanID().String() {
		t.Fatalf("log line trace_id/span_id = %v/%v, want %s/%s", l["trace_id"], l["span_id"],
			srv.SpanContext.TraceID(), srv.SpanContext.SpanID())
	}
}

func TestIncomingTraceparentIsContinued(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	a := mustApp(t, withTracing(t, exp, nil), purchase.Function)
	act := servertest.MustActivity(t, a.store, 1)
	warmPool(t, a.store)
	exp.Reset()

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	r := a.do(t, servertest.Request{Method: "POST", Path: "/activities/" + act.ID + "/purchase",
		Body: map[string]string{"user_id": "bob"}, Header: map[string]string{"traceparent": "00-" + traceID + "-" + parentID + "-01"}})
	if r.Status != 200 {
		t.Fatalf("purchase: %d %s", r.Status, r.Body)
	}
	spans := exp.GetSpans()
	srv := mustServerSpan(t, spans)
	if srv.SpanContext.TraceID().String() != traceID || srv.Parent.SpanID().String() != parentID || !srv.Parent.IsRemote() {
		t.Fatalf("server span trace %s parent %s (remote %v), want trace %s parent %s remote",
			srv.SpanContext.TraceID(), srv.Parent.SpanID(), srv.Parent.IsRemote(), traceID, parentID)
	}
	if len(spans) < 2 {
		t.Fatalf("no Redis spans: %d spans", len(spans))
	}
	for _, s := range spans {
		if s.SpanContext.TraceID().String() != traceID {
			t.Errorf("span %q left the caller's trace", s.Name)
		}
	}
}

func TestErrorSpanStatus(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	a := mustApp(t, withTracing(t, exp, nil), boom, purchase.Function)
	a.do(t, servertest.Request{Method: "GET", Path: "/boom"})
	s := mustServerSpan(t, exp.GetSpans())
	if s.Status.Code.String() != "Error" || attr(s, "seckill.error_code") != "internal" || len(s.Events) != 1 || s.Events[0].Name != "exception" {
		t.Fatalf("internal error span: status %v, code %v, events %v", s.Status, attr(s, "seckill.error_code"), s.Events)
	}
	exp.Reset()
	a.do(t, servertest.Request{Method: "POST", Path: "/activities/nosuch/purchase", Body: map[string]string{"user_id": "u"}})
	s = mustServerSpan(t, exp.GetSpans())
	if s.Status.Code.String() != "Unset" || attr(s, "seckill.error_code") != "activity_not_found" || attr(s, "http.response.status_code") != int64(404) {
		t.Fatalf("client error span: status %v, code %v", s.Status, attr(s, "seckill.error_code"))
	}
}

func TestNoSpansWithoutTracerProvider(t *testing.T) {
	var logs servertest.Logs
	a := mustApp(t, withLog(&logs, "info"), purchase.Function)
	r := a.do(t, servertest.Request{Method: "POST", Path: "/activities/x/purchase", Body: map[string]string{"user_id": "u"},
		Header: map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "X-Request-ID": "nt"}})
	if r.Status != 404 {
		t.Fatalf("purchase: %d %s", r.Status, r.Body)
	}
	if l := logs.MustLine(t, "request", map[string]any{"request_id": "nt"}); l["trace_id"] != nil {
		t.Fatalf("tracing off, yet the log line has a trace_id: %v", l)
	}
}

func TestTracingEnabledByStandardVariables(t *testing.T) {
	for _, tc := range []struct {
		cfg  telemetry.TracingConfig
		want bool
	}{
		{telemetry.TracingConfig{}, false},
		{telemetry.TracingConfig{OTLPEndpoint: "http://c:4318"}, true},
		{telemetry.TracingConfig{OTLPTracesEndpoint: "http://c:4318/v1/traces"}, true},
		{telemetry.TracingConfig{OTLPEndpoint: "http://c:4318", SDKDisabled: "TRUE"}, false},
		{telemetry.TracingConfig{OTLPEndpoint: "http://c:4318", SDKDisabled: "false"}, true},
		{telemetry.TracingConfig{OTLPEndpoint: "http://c:4318", TracesExporter: "none"}, false},
		{telemetry.TracingConfig{ServiceName: "x"}, false},
	} {
		if got := tc.cfg.Enabled(); got != tc.want {
			t.Errorf("%+v.Enabled() = %v, want %v", tc.cfg, got, tc.want)
		}
	}
}

// TestTracingConfigFromEnvironment: Run reads the standard variables into
// Config (only a main reads the environment), and --help lists them.
func TestTracingConfigFromEnvironment(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/v1/traces")
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "k=v")
	t.Setenv("OTEL_TRACES_SAMPLER", "always_off")
	var cfg server.Config
	if err := envconfig.Process("", &cfg); err != nil {
		t.Fatal(err)
	}
	if tc := cfg.TracingConfig; tc.OTLPTracesEndpoint != "http://c:4318/v1/traces" || tc.OTLPHeaders != "k=v" || tc.Sampler != "always_off" || !tc.Enabled() {
		t.Fatalf("TracingConfig from the environment: %+v", tc)
	}
	var usage bytes.Buffer
	server.PrintUsage(&usage, nil)
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_SERVICE_NAME", "OTEL_TRACES_SAMPLER_ARG"} {
		if !strings.Contains(usage.String(), k) {
			t.Errorf("--help does not list %s", k)
		}
	}
}
