package server_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/functions/telemetry"
	"seckill/redislib"
	"seckill/redislib/redistest"
)

// testApp is an app on its own Redis with the given dependencies filled in.
type testApp struct {
	app   *fiber.App
	redis *redistest.Server
	store *redislib.Store
	deps  server.Deps
}

func (a *testApp) do(t *testing.T, req servertest.Request) servertest.Response {
	t.Helper()
	return servertest.Do(t, a.app, req)
}

// mustApp starts a Redis and an app serving fns; edit may change the deps
// (logger, tracer provider) before the app is built.
func mustApp(t *testing.T, edit func(*server.Deps, *redistest.Server), fns ...server.Function) *testApp {
	t.Helper()
	srv := redistest.Start(t)
	d := server.Deps{Log: telemetry.NewLogger(&servertest.Logs{}, "debug"), Config: server.TestConfig(servertest.AdminToken)}
	if edit != nil {
		edit(&d, srv)
	}
	if d.Store == nil {
		d.Store = srv.Store(t)
	}
	return &testApp{app: server.NewApp(d, nil, fns...), redis: srv, store: d.Store, deps: d}
}

// mustScrape reads GET /metrics and parses it.
func mustScrape(t *testing.T, app *fiber.App) map[string]*dto.MetricFamily {
	t.Helper()
	resp := servertest.Do(t, app, servertest.Request{Method: "GET", Path: "/metrics"})
	if resp.Status != 200 {
		t.Fatalf("GET /metrics: %d %s", resp.Status, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("GET /metrics Content-Type = %q, want text/plain", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(resp.Body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, resp.Body)
	}
	return mfs
}

// metricValue returns the value of the series of family name whose labels
// are exactly labels (counter or gauge value, histogram sample count), and
// whether it exists.
func metricValue(mfs map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, lp := range m.GetLabel() {
			if labels[lp.GetName()] != lp.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// mustMetric fails unless the series exists with the wanted value.
func mustMetric(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels map[string]string, want float64) {
	t.Helper()
	got, ok := metricValue(mfs, name, labels)
	if !ok {
		t.Fatalf("no series %s%v", name, labels)
	}
	if got != want {
		t.Fatalf("%s%v = %v, want %v", name, labels, got, want)
	}
}
