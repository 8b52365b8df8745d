package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// TracingConfig is the configuration of tracing: the standard OpenTelemetry
// variables, read by a main with the rest of the configuration. Tracing is
// off unless an OTLP endpoint is set.
type TracingConfig struct {
	SDKDisabled    string `envconfig:"OTEL_SDK_DISABLED" desc:"true turns tracing off"`
	TracesExporter string `envconfig:"OTEL_TRACES_EXPORTER" desc:"none turns tracing off; otherwise spans go over OTLP/HTTP"`

	OTLPEndpoint          string `envconfig:"OTEL_EXPORTER_OTLP_ENDPOINT" desc:"OTLP/HTTP base URL of the trace collector, e.g. http://otel-collector:4318; spans go to <url>/v1/traces (empty: tracing off)"`
	OTLPTracesEndpoint    string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" desc:"full URL for spans, used as it is; overrides OTEL_EXPORTER_OTLP_ENDPOINT"`
	OTLPHeaders           string `envconfig:"OTEL_EXPORTER_OTLP_HEADERS" desc:"key=value,key2=value2 (values URL-encoded) sent with every export, e.g. an API key (never logged)"`
	OTLPTracesHeaders     string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_HEADERS" desc:"more headers for span exports; a key here wins"`
	OTLPTimeout           string `envconfig:"OTEL_EXPORTER_OTLP_TIMEOUT" desc:"milliseconds per export attempt (default 10000)"`
	OTLPTracesTimeout     string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT" desc:"overrides OTEL_EXPORTER_OTLP_TIMEOUT for spans"`
	OTLPCompression       string `envconfig:"OTEL_EXPORTER_OTLP_COMPRESSION" desc:"gzip or none"`
	OTLPTracesCompression string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION" desc:"overrides OTEL_EXPORTER_OTLP_COMPRESSION for spans"`
	OTLPCertificate       string `envconfig:"OTEL_EXPORTER_OTLP_CERTIFICATE" desc:"PEM CA file for an https endpoint"`
	OTLPTracesCertificate string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE" desc:"overrides OTEL_EXPORTER_OTLP_CERTIFICATE for spans"`
	OTLPProtocol          string `envconfig:"OTEL_EXPORTER_OTLP_PROTOCOL" desc:"http/protobuf, the only one supported"`
	OTLPTracesProtocol    string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL" desc:"overrides OTEL_EXPORTER_OTLP_PROTOCOL for spans"`

	ServiceName        string `envconfig:"OTEL_SERVICE_NAME" desc:"service name of the spans (default seckill-<function>)"`
	ResourceAttributes string `envconfig:"OTEL_RESOURCE_ATTRIBUTES" desc:"key=value,... resource attributes of the spans, e.g. deployment.environment=prod"`
	Sampler            string `envconfig:"OTEL_TRACES_SAMPLER" desc:"always_on, always_off, traceidratio or parentbased_ of one of these (default parentbased_always_on)"`
	SamplerArg         string `envconfig:"OTEL_TRACES_SAMPLER_ARG" desc:"the ratio (0 to 1) of the traceidratio samplers (default 1)"`
}

// Enabled reports whether cfg asks for traces: an OTLP endpoint is set, and
// neither OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none turns them off.
func (cfg TracingConfig) Enabled() bool {
	if strings.EqualFold(cfg.SDKDisabled, "true") || strings.EqualFold(cfg.TracesExporter, "none") {
		return false
	}
	return cfg.OTLPEndpoint != "" || cfg.OTLPTracesEndpoint != ""
}

// newTracerProvider returns a tracer provider that batches spans to an OTLP
// collector over HTTP, configured by cfg (endpoint, headers, timeout,
// sampler, service name and so on); the service name defaults to service.
// It returns nil when cfg is not Enabled. Shutdown flushes the spans not yet
// sent. Extra exporter options are applied last (tests shorten the retry
// intervals with them).
func newTracerProvider(ctx context.Context, service string, cfg TracingConfig, extra ...otlptracehttp.Option) (*sdktrace.TracerProvider, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	sampler, err := newSampler(cfg.Sampler, cfg.SamplerArg)
	if err != nil {
		return nil, err
	}
	exp, err := newOTLPExporter(ctx, cfg, extra...)
	if err != nil {
		return nil, err
	}
	if cfg.ServiceName != "" {
		service = cfg.ServiceName
	}
	// Later attributes win: OTEL_RESOURCE_ATTRIBUTES may name the service too.
	attrs := []attribute.KeyValue{semconv.ServiceName(service)}
	for k, v := range keyValues(cfg.ResourceAttributes) {
		attrs = append(attrs, attribute.String(k, v))
	}
	res, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithAttributes(attrs...))
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry resource: %w", err)
	}
	// Every setting the SDK would otherwise read from the environment
	// (OTEL_BSP_*, OTEL_*_LIMIT, OTEL_TRACES_SAMPLER) is passed here, so cfg
	// alone decides; the batch and limit values are the SDK's defaults.
	batch := sdktrace.WithBatcher(exp,
		sdktrace.WithBatchTimeout(sdktrace.DefaultScheduleDelay*time.Millisecond),
		sdktrace.WithExportTimeout(sdktrace.DefaultExportTimeout*time.Millisecond),
		sdktrace.WithMaxQueueSize(sdktrace.DefaultMaxQueueSize),
		sdktrace.WithMaxExportBatchSize(sdktrace.DefaultMaxExportBatchSize))
	limits := sdktrace.WithRawSpanLimits(sdktrace.SpanLimits{
		AttributeValueLengthLimit:   sdktrace.DefaultAttributeValueLengthLimit,
		AttributeValueDepthLimit:    sdktrace.DefaultAttributeValueDepthLimit,
		AttributeCountLimit:         sdktrace.DefaultAttributeCountLimit,
		EventCountLimit:             sdktrace.DefaultEventCountLimit,
		LinkCountLimit:              sdktrace.DefaultLinkCountLimit,
		AttributePerEventCountLimit: sdktrace.DefaultAttributePerEventCountLimit,
		AttributePerLinkCountLimit:  sdktrace.DefaultAttributePerLinkCountLimit,
	})
	return sdktrace.NewTracerProvider(batch, limits, sdktrace.WithResource(res), sdktrace.WithSampler(sampler)), nil
}

// newSampler returns the sampler named by OTEL_TRACES_SAMPLER and its
// argument, as the OpenTelemetry SDK specification names them.
func newSampler(name, arg string) (sdktrace.Sampler, error) {
	ratio := 1.0
	if arg != "" && strings.HasSuffix(name, "traceidratio") {
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r < 0 || r > 1 {
			return nil, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG %q must be a ratio from 0 to 1", arg)
		}
		ratio = r
	}
	switch name {
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio), nil
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio)), nil
	}
	return nil, fmt.Errorf("OTEL_TRACES_SAMPLER %q is not one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio", name)
}

// InstrumentRedis adds a span per Redis command and pipeline to rdb, as a
// child of the request span in the command's context. Commands' arguments are
// left out of the spans (they hold user IDs and whole Lua scripts); the span
// names the command and the store method that sent it.
func InstrumentRedis(rdb redis.UniversalClient, tp *sdktrace.TracerProvider) error {
	return redisotel.InstrumentTracing(rdb, redisotel.WithTracerProvider(tp), redisotel.WithDBStatement(false))
}

// StartTracing sets up the tracing that cfg asks for: nil and a no-op when
// it is off; otherwise the provider, with rdb instrumented, and a function
// that flushes and stops it.
func StartTracing(log *slog.Logger, rdb redis.UniversalClient, service string, cfg TracingConfig) (*sdktrace.TracerProvider, func(), error) {
	tp, err := newTracerProvider(context.Background(), service, cfg)
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
