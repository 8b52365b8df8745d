package platform

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// TracingEnabled reports whether the standard OpenTelemetry variables ask
// for traces: OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
// is set, and neither OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none
// turns them off. Tracing is off by default.
func TracingEnabled(getenv func(string) string) bool {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") || strings.EqualFold(getenv("OTEL_TRACES_EXPORTER"), "none") {
		return false
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// NewTracerProvider returns a tracer provider that batches spans to an OTLP
// collector over HTTP, configured by the standard OTEL_* variables (endpoint,
// headers, timeout, OTEL_TRACES_SAMPLER, OTEL_SERVICE_NAME, and so on); the
// service name defaults to service. It returns nil when TracingEnabled is
// false. Shutdown flushes the spans not yet sent.
func NewTracerProvider(ctx context.Context, service string) (*sdktrace.TracerProvider, error) {
	if !TracingEnabled(os.Getenv) {
		return nil, nil
	}
	exp, err := newOTLPExporter(os.Getenv)
	if err != nil {
		return nil, err
	}
	// Later options win: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
	// override the default service name.
	res, err := resource.New(ctx, resource.WithTelemetrySDK(),
		resource.WithAttributes(semconv.ServiceName(service)), resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry resource: %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// InstrumentRedis adds a span per Redis command and pipeline to rdb, as a
// child of the request span in the command's context. Commands' arguments are
// left out of the spans (they hold user IDs and whole Lua scripts); the span
// names the command and the store method that sent it.
func InstrumentRedis(rdb redis.UniversalClient, tp *sdktrace.TracerProvider) error {
	return redisotel.InstrumentTracing(rdb, redisotel.WithTracerProvider(tp), redisotel.WithDBStatement(false))
}

// startTracing sets up tracing for Run: nil and a no-op when it is off;
// otherwise the provider, with rdb instrumented, and a function that flushes
// and stops it.
func startTracing(log *slog.Logger, rdb redis.UniversalClient, service string) (*sdktrace.TracerProvider, func(), error) {
	tp, err := NewTracerProvider(context.Background(), service)
	if err != nil || tp == nil {
		return nil, func() {}, err
	}
	if err := InstrumentRedis(rdb, tp); err != nil {
		return nil, func() {}, err
	}
	log.Info("tracing on: spans go to the OTLP/HTTP endpoint of the OTEL_EXPORTER_OTLP_* variables", "service", service)
	return tp, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tp.Shutdown(ctx); err != nil {
			log.Warn("flushing traces", "err", err)
		}
	}, nil
}
