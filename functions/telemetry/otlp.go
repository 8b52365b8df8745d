package telemetry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
)

// newOTLPExporter returns the official OTLP/HTTP trace exporter (binary
// protobuf, the encoding every OpenTelemetry Collector and Jaeger accept),
// configured by cfg alone. It retries a failed export with exponential
// backoff as the OTLP specification asks (on 429, 502, 503 and 504, honouring
// Retry-After; by default from 5 s on, within the batch's 30 s export
// timeout). Every setting is passed as an option, so the exporter's own
// reading of the environment never applies; extra options (a test's shorter
// retry intervals) come last and win.
func newOTLPExporter(ctx context.Context, cfg TracingConfig, extra ...otlptracehttp.Option) (*otlptrace.Exporter, error) {
	pick := func(traces, all string) string {
		if traces != "" {
			return traces
		}
		return all
	}
	if p := pick(cfg.OTLPTracesProtocol, cfg.OTLPProtocol); p != "" && p != "http/protobuf" {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q is not supported: this service exports traces over http/protobuf only", p)
	}
	endpoint := cfg.OTLPTracesEndpoint
	if endpoint == "" {
		endpoint = strings.TrimRight(cfg.OTLPEndpoint, "/") + "/v1/traces"
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("OTLP traces endpoint %q must be an http or https URL such as http://otel-collector:4318", endpoint)
	}
	headers := keyValues(cfg.OTLPHeaders)
	for k, v := range keyValues(cfg.OTLPTracesHeaders) {
		headers[k] = v
	}
	timeout := 10 * time.Second
	if v := pick(cfg.OTLPTracesTimeout, cfg.OTLPTimeout); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms <= 0 {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_TIMEOUT %q must be a positive number of milliseconds", v)
		}
		timeout = time.Duration(ms) * time.Millisecond
	}
	compression := otlptracehttp.NoCompression
	switch c := pick(cfg.OTLPTracesCompression, cfg.OTLPCompression); c {
	case "", "none":
	case "gzip":
		compression = otlptracehttp.GzipCompression
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_COMPRESSION %q must be gzip or none", c)
	}
	var tlsConfig *tls.Config // nil for http, which also drops any the exporter read itself
	if u.Scheme == "https" {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if file := pick(cfg.OTLPTracesCertificate, cfg.OTLPCertificate); file != "" {
		pem, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_CERTIFICATE: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_CERTIFICATE %s holds no PEM certificate", file)
		}
		if tlsConfig != nil {
			tlsConfig.RootCAs = pool
		}
	}
	opts := []otlptracehttp.Option{
		otlptracehttp.WithEndpointURL(endpoint), // also chooses http or https from the scheme
		otlptracehttp.WithHeaders(headers),
		otlptracehttp.WithTimeout(timeout),
		otlptracehttp.WithCompression(compression),
		otlptracehttp.WithTLSClientConfig(tlsConfig),
	}
	return otlptracehttp.New(ctx, append(opts, extra...)...)
}

// keyValues parses the "key=value,key2=value2" lists of the OTEL_* variables
// (headers, resource attributes); values may be URL-encoded.
func keyValues(s string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			continue
		}
		v = strings.TrimSpace(v)
		if dv, err := url.PathUnescape(v); err == nil {
			v = dv
		}
		m[strings.TrimSpace(k)] = v
	}
	return m
}
