package activitystats_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"seckill/functions/activitystats"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/sale"
)

// sales scrapes /metrics of app and returns the units left and sold it
// exports, by activity.
func sales(t *testing.T, env *servertest.Env) (left, sold map[string]float64) {
	t.Helper()
	r := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/metrics"})
	if r.Status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", r.Status, r.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) map[string]float64 {
		out := map[string]float64{}
		for _, m := range families[name].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "activity" {
					out[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
		return out
	}
	return read("seckill_activity_remaining_units"), read("seckill_activity_sold_units")
}

func TestMetricsUnitsLeftAndSold(t *testing.T) {
	env := servertest.New(t, activitystats.Function)
	running := servertest.MustActivity(t, env.Store, 10)
	servertest.MustWin(t, env.Store, running.ID, "alice")
	servertest.MustWin(t, env.Store, running.ID, "bob")
	soldOut := servertest.MustActivity(t, env.Store, 1)
	servertest.MustWin(t, env.Store, soldOut.ID, "alice")
	scheduled := servertest.MustScheduled(t, env.Store, 5)
	ended := servertest.MustEnded(t, env.Store, 5)

	left, sold := sales(t, env)
	want := map[string][2]float64{running.ID: {8, 2}, soldOut.ID: {0, 1}}
	for id, w := range want {
		if left[id] != w[0] || sold[id] != w[1] {
			t.Errorf("activity %s: left %v sold %v, want %v", id, left[id], sold[id], w)
		}
	}
	for _, a := range []sale.Activity{scheduled, ended} {
		if _, ok := left[a.ID]; ok {
			t.Errorf("%s activity %s exported", a.Status, a.ID)
		}
	}
	if len(left) != 2 || len(sold) != 2 {
		t.Errorf("exported left %v sold %v, want the running and the sold-out activity", left, sold)
	}

	// Other functions do not read Redis when scraped.
	if left, _ := sales(t, servertest.NewOn(t, env.Redis, server.Function{Name: "other"})); len(left) != 0 {
		t.Errorf("another function exports units left %v", left)
	}

	// Redis down: the scrape answers, without the sales.
	env.Redis.Kill()
	if left, sold := sales(t, env); len(left) != 0 || len(sold) != 0 {
		t.Errorf("Redis down: exported left %v sold %v", left, sold)
	}
}
