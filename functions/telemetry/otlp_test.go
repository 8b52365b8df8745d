package telemetry_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"seckill/functions/telemetry"
)

// collector is an OTLP/HTTP receiver on loopback that decodes every export
// with the OTLP protobuf types and keeps it. It answers each request with the
// next of statuses (200 once they are used up).
type collector struct {
	mu       sync.Mutex
	requests []*collectorpb.ExportTraceServiceRequest
	headers  []http.Header
	paths    []string
	statuses []int
	srv      *httptest.Server
}

func newCollector(t *testing.T, statuses ...int) *collector {
	c := &collector{statuses: statuses}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		var req collectorpb.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		c.mu.Lock()
		c.requests = append(c.requests, &req)
		c.headers = append(c.headers, r.Header.Clone())
		c.paths = append(c.paths, r.URL.Path)
		status := http.StatusOK
		if len(c.statuses) > 0 {
			status, c.statuses = c.statuses[0], c.statuses[1:]
		}
		c.mu.Unlock()
		if status != http.StatusOK {
			http.Error(w, "collector says "+http.StatusText(status), status)
			return
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func anyValue(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_DoubleValue:
		return x.DoubleValue
	case *commonpb.AnyValue_ArrayValue:
		var out []any
		for _, e := range x.ArrayValue.GetValues() {
			out = append(out, anyValue(e))
		}
		return out
	}
	return nil
}

func attrs(kvs []*commonpb.KeyValue) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		m[kv.GetKey()] = anyValue(kv.GetValue())
	}
	return m
}

func TestOTLPExportFlushedOnShutdown(t *testing.T) {
	for _, compression := range []string{"none", "gzip"} {
		t.Run(compression, func(t *testing.T) {
			c := newCollector(t)
			tp, err := telemetry.NewTracerProvider(context.Background(), "seckill-test", telemetry.TracingConfig{
				OTLPEndpoint: c.srv.URL + "/", OTLPHeaders: "authorization=Bearer%20abc,x-tenant=shop",
				OTLPCompression: compression, ResourceAttributes: "deployment.environment=test"})
			if err != nil || tp == nil {
				t.Fatalf("NewTracerProvider: %v, %v", tp, err)
			}
			tracer := tp.Tracer("test-scope")
			remote := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6},
				TraceFlags: trace.FlagsSampled, Remote: true})
			ctx, parent := tracer.Start(trace.ContextWithRemoteSpanContext(context.Background(), remote), "POST /x",
				trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("s", "v"), attribute.Int("i", -7), attribute.Bool("b", true),
					attribute.Float64("f", 1.5), attribute.StringSlice("ss", []string{"a", "b"})))
			_, child := tracer.Start(ctx, "evalsha", trace.WithSpanKind(trace.SpanKindClient))
			child.RecordError(errors.New("NOSCRIPT"))
			child.SetStatus(codes.Error, "NOSCRIPT")
			child.End()
			parent.End()
			if len(c.requests) != 0 {
				t.Fatal("spans were sent before the batch was flushed")
			}
			if err := tp.Shutdown(context.Background()); err != nil {
				t.Fatalf("shutdown: %v", err)
			}

			c.mu.Lock()
			defer c.mu.Unlock()
			if len(c.requests) != 1 {
				t.Fatalf("collector got %d requests, want 1", len(c.requests))
			}
			h := c.headers[0]
			if c.paths[0] != "/v1/traces" || h.Get("Content-Type") != "application/x-protobuf" ||
				h.Get("Authorization") != "Bearer abc" || h.Get("X-Tenant") != "shop" {
				t.Fatalf("request to %s with headers %v", c.paths[0], h)
			}
			rs := c.requests[0].GetResourceSpans()
			if len(rs) != 1 || attrs(rs[0].GetResource().GetAttributes())["service.name"] != "seckill-test" ||
				attrs(rs[0].GetResource().GetAttributes())["deployment.environment"] != "test" {
				t.Fatalf("resource: %v", rs)
			}
			ss := rs[0].GetScopeSpans()
			if len(ss) != 1 || ss[0].GetScope().GetName() != "test-scope" || len(ss[0].GetSpans()) != 2 {
				t.Fatalf("scope spans: %v", ss)
			}
			byName := map[string]*tracepb.Span{}
			for _, s := range ss[0].GetSpans() {
				byName[s.GetName()] = s
			}
			p, ch := byName["POST /x"], byName["evalsha"]
			if p == nil || ch == nil {
				t.Fatalf("spans: %v", byName)
			}
			psc := parent.SpanContext()
			ptid, psid := psc.TraceID(), psc.SpanID()
			if !bytes.Equal(p.GetTraceId(), ptid[:]) || !bytes.Equal(p.GetSpanId(), psid[:]) ||
				!bytes.Equal(p.GetParentSpanId(), []byte{4, 5, 6, 0, 0, 0, 0, 0}) || p.GetKind() != tracepb.Span_SPAN_KIND_SERVER ||
				p.GetFlags() != 0x301 || p.GetStartTimeUnixNano() == 0 || p.GetEndTimeUnixNano() < p.GetStartTimeUnixNano() {
				t.Fatalf("server span: %v", p)
			}
			want := map[string]any{"s": "v", "i": int64(-7), "b": true, "f": 1.5, "ss": []any{"a", "b"}}
			got := attrs(p.GetAttributes())
			for k, v := range want {
				if g, ok := got[k]; !ok || !equalAny(g, v) {
					t.Errorf("attribute %s = %v, want %v", k, g, v)
				}
			}
			if !bytes.Equal(ch.GetParentSpanId(), psid[:]) || !bytes.Equal(ch.GetTraceId(), ptid[:]) ||
				ch.GetKind() != tracepb.Span_SPAN_KIND_CLIENT || ch.GetFlags() != 0x101 ||
				ch.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR || ch.GetStatus().GetMessage() != "NOSCRIPT" ||
				len(ch.GetEvents()) != 1 || ch.GetEvents()[0].GetName() != "exception" ||
				attrs(ch.GetEvents()[0].GetAttributes())["exception.message"] != "NOSCRIPT" {
				t.Fatalf("client span: %v", ch)
			}
		})
	}
}

func equalAny(a, b any) bool {
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok || bok {
		if len(as) != len(bs) {
			return false
		}
		for i := range as {
			if as[i] != bs[i] {
				return false
			}
		}
		return true
	}
	return a == b
}

// startSpan ends one span on tp, to be exported at the next flush.
func startSpan(tp *sdktrace.TracerProvider, name string) {
	_, span := tp.Tracer("test").Start(context.Background(), name)
	span.End()
}

// fastRetry shortens the exporter's retry intervals (seconds by default).
var fastRetry = otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: true,
	InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond, MaxElapsedTime: 10 * time.Second})

// TestOTLPRetries checks the exporter follows the OTLP retry rules against a
// collector that refuses: 429, 502, 503 and 504 are retried until accepted;
// other errors are not, and fail the export.
func TestOTLPRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []int
		requests int
		fails    bool
	}{
		{"503 then 200", []int{503}, 2, false},
		{"429, 503, 502, 504 then 200", []int{429, 503, 502, 504}, 5, false},
		{"400 is not retried", []int{400}, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCollector(t, tc.statuses...)
			tp, err := telemetry.NewTracerProvider(context.Background(), "seckill-test",
				telemetry.TracingConfig{OTLPTracesEndpoint: c.srv.URL + "/custom/path"}, fastRetry)
			if err != nil || tp == nil {
				t.Fatalf("NewTracerProvider: %v, %v", tp, err)
			}
			defer func() { _ = tp.Shutdown(context.Background()) }()
			startSpan(tp, "retried")
			err = tp.ForceFlush(context.Background())
			if tc.fails != (err != nil) {
				t.Fatalf("ForceFlush = %v, want failure %v", err, tc.fails)
			}
			if tc.fails && !strings.Contains(err.Error(), "400") {
				t.Fatalf("export error %q does not say what the collector answered", err)
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			if len(c.requests) != tc.requests {
				t.Fatalf("collector got %d requests, want %d", len(c.requests), tc.requests)
			}
			for i, req := range c.requests {
				ss := req.GetResourceSpans()[0].GetScopeSpans()[0].GetSpans()
				if c.paths[i] != "/custom/path" || len(ss) != 1 || ss[0].GetName() != "retried" {
					t.Fatalf("request %d to %s: %v", i, c.paths[i], req)
				}
			}
		})
	}
}

// TestOTLPSamplerFromConfig: OTEL_TRACES_SAMPLER=always_off exports nothing,
// and a service name set in the configuration wins over the default.
func TestOTLPSamplerFromConfig(t *testing.T) {
	c := newCollector(t)
	cfg := telemetry.TracingConfig{OTLPEndpoint: c.srv.URL, ServiceName: "named"}
	off := cfg
	off.Sampler = "always_off"
	tp, err := telemetry.NewTracerProvider(context.Background(), "seckill-test", off)
	if err != nil {
		t.Fatal(err)
	}
	startSpan(tp, "dropped")
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg.Sampler, cfg.SamplerArg = "parentbased_traceidratio", "1"
	if tp, err = telemetry.NewTracerProvider(context.Background(), "seckill-test", cfg); err != nil {
		t.Fatal(err)
	}
	startSpan(tp, "kept")
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.requests) != 1 {
		t.Fatalf("collector got %d requests, want 1 (none from always_off)", len(c.requests))
	}
	rs := c.requests[0].GetResourceSpans()[0]
	if name := attrs(rs.GetResource().GetAttributes())["service.name"]; name != "named" || rs.GetScopeSpans()[0].GetSpans()[0].GetName() != "kept" {
		t.Fatalf("service %v, spans %v", name, rs.GetScopeSpans())
	}
}

// TestOTLPIgnoresTheEnvironment: only a main reads the environment, so the
// SDK's and the exporter's own variables change nothing; the configuration
// passed in decides.
func TestOTLPIgnoresTheEnvironment(t *testing.T) {
	c := newCollector(t)
	for k, v := range map[string]string{
		"OTEL_TRACES_SAMPLER":               "always_off",
		"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT":   "0",
		"OTEL_BSP_MAX_EXPORT_BATCH_SIZE":    "1",
		"OTEL_SERVICE_NAME":                 "from-env",
		"OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-from-env=1",
		"OTEL_EXPORTER_OTLP_ENDPOINT":       "http://127.0.0.1:1",
	} {
		t.Setenv(k, v)
	}
	tp, err := telemetry.NewTracerProvider(context.Background(), "seckill-test", telemetry.TracingConfig{OTLPEndpoint: c.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"one", "two"} {
		_, span := tp.Tracer("test").Start(context.Background(), name, trace.WithAttributes(attribute.String("k", "v")))
		span.End()
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.requests) != 1 || c.headers[0].Get("X-From-Env") != "" {
		t.Fatalf("collector got %d requests (want both spans in 1), headers %v", len(c.requests), c.headers)
	}
	rs := c.requests[0].GetResourceSpans()[0]
	spans := rs.GetScopeSpans()[0].GetSpans()
	if name := attrs(rs.GetResource().GetAttributes())["service.name"]; name != "seckill-test" || len(spans) != 2 {
		t.Fatalf("service %v, %d spans, want seckill-test and 2", name, len(spans))
	}
	if got := attrs(spans[0].GetAttributes()); got["k"] != "v" {
		t.Fatalf("span attributes %v, want k=v", got)
	}
}

func TestOTLPConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  telemetry.TracingConfig
		want string
	}{
		{telemetry.TracingConfig{OTLPEndpoint: "collector:4318"}, "must be an http or https URL"},
		{telemetry.TracingConfig{OTLPEndpoint: "http://c:4318", OTLPProtocol: "grpc"}, "http/protobuf only"},
		{telemetry.TracingConfig{OTLPTracesEndpoint: "http://c:4318/v1/traces", OTLPTimeout: "soon"}, "milliseconds"},
		{telemetry.TracingConfig{OTLPEndpoint: "http://c:4318", OTLPTracesCompression: "zstd"}, "gzip or none"},
		{telemetry.TracingConfig{OTLPEndpoint: "https://c:4318", OTLPCertificate: "/nonexistent.pem"}, "CERTIFICATE"},
		{telemetry.TracingConfig{OTLPEndpoint: "http://c:4318", Sampler: "sometimes"}, "OTEL_TRACES_SAMPLER"},
		{telemetry.TracingConfig{OTLPEndpoint: "http://c:4318", Sampler: "traceidratio", SamplerArg: "2"}, "OTEL_TRACES_SAMPLER_ARG"},
	} {
		tp, err := telemetry.NewTracerProvider(context.Background(), "x", tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: tp %v, err %v; want an error containing %q", tc.cfg, tp, err, tc.want)
		}
	}
	if tp, err := telemetry.NewTracerProvider(context.Background(), "x", telemetry.TracingConfig{}); tp != nil || err != nil {
		t.Fatalf("without an endpoint: %v, %v; want no provider and no error", tp, err)
	}
}
