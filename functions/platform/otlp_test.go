package platform_test

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

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"seckill/functions/platform"
)

// collector is an OTLP/HTTP receiver on loopback that keeps what it gets.
type collector struct {
	mu       sync.Mutex
	requests []*collectorpb.ExportTraceServiceRequest
	headers  []http.Header
	paths    []string
	srv      *httptest.Server
}

func newCollector(t *testing.T) *collector {
	c := &collector{}
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
		c.mu.Unlock()
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
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", c.srv.URL+"/")
			t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20abc,x-tenant=shop")
			t.Setenv("OTEL_EXPORTER_OTLP_COMPRESSION", compression)
			t.Setenv("OTEL_SERVICE_NAME", "")
			tp, err := platform.NewTracerProvider(context.Background(), "seckill-test")
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
			if len(rs) != 1 || attrs(rs[0].GetResource().GetAttributes())["service.name"] != "seckill-test" {
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

func TestOTLPConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "must be an http or https URL"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "http/protobuf only"},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces", "OTEL_EXPORTER_OTLP_TIMEOUT": "soon"}, "milliseconds"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "zstd"}, "gzip or none"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c:4318", "OTEL_EXPORTER_OTLP_CERTIFICATE": "/nonexistent.pem"}, "CERTIFICATE"},
	} {
		for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL",
			"OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_CERTIFICATE"} {
			t.Setenv(k, tc.env[k])
		}
		tp, err := platform.NewTracerProvider(context.Background(), "x")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: tp %v, err %v; want an error containing %q", tc.env, tp, err, tc.want)
		}
	}
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	if tp, err := platform.NewTracerProvider(context.Background(), "x"); tp != nil || err != nil {
		t.Fatalf("without an endpoint: %v, %v; want no provider and no error", tp, err)
	}
}
