package console

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// purchaseRoute is the route label of purchase attempts in the metrics.
const purchaseRoute = "/activities/:id/purchase"

// Totals are the purchase route's cumulative counters at one moment, summed
// over every instance the source sees. The page turns two of them into rates
// and a p99 over the interval between them.
type Totals struct {
	// At is when the counters were read (ms since the epoch).
	At int64 `json:"at"`
	// Instances is how many processes the counters come from.
	Instances int `json:"instances"`
	// Outcomes counts answered attempts by outcome (won, sold_out, ...).
	Outcomes map[string]float64 `json:"outcomes"`
	// Statuses counts answers by HTTP status ("200", "429", "503", ...).
	Statuses map[string]float64 `json:"statuses"`
	// Latency is the cumulative latency histogram: for each upper bound in
	// seconds (the last is +Inf, written as null), the answers at most that slow.
	Latency []Bucket `json:"latency"`
}

// Bucket is one cumulative histogram bucket.
type Bucket struct {
	LE    *float64 `json:"le"` // nil: +Inf
	Count float64  `json:"count"`
}

// Source reads the purchase route's totals.
type Source interface {
	Totals(ctx context.Context) (Totals, error)
}

// ScrapeSource returns the source that reads the Prometheus exposition at
// url (a process's /metrics) with client.
func ScrapeSource(client *http.Client, url string) Source {
	return scrapeSource{client: client, url: url}
}

// scrapeSource reads the Prometheus exposition of one process: the console's
// own, in the all-in-one server, where every function shares one process.
type scrapeSource struct {
	client *http.Client
	url    string
}

func (s scrapeSource) Totals(ctx context.Context) (Totals, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return Totals{}, err
	}
	// Protocol buffers, uncompressed: the cheapest exposition to write and
	// to read (see the README's measurements).
	req.Header.Set("Accept", string(expfmt.FmtProtoDelim))
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := s.client.Do(req)
	if err != nil {
		return Totals{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return Totals{}, fmt.Errorf("%s answered %s", s.url, resp.Status)
	}
	t := newTotals(1)
	buckets := map[float64]float64{}
	dec := expfmt.NewDecoder(resp.Body, expfmt.ResponseFormat(resp.Header))
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err == io.EOF {
			break
		} else if err != nil {
			return Totals{}, fmt.Errorf("read %s: %w", s.url, err)
		}
		for _, m := range mf.GetMetric() {
			if label(m, "route") != purchaseRoute {
				continue
			}
			switch mf.GetName() {
			case "seckill_outcomes_total":
				t.Outcomes[label(m, "outcome")] += m.GetCounter().GetValue()
			case "seckill_http_requests_total":
				t.Statuses[label(m, "status")] += m.GetCounter().GetValue()
			case "seckill_http_request_duration_seconds":
				// The exposition may or may not list the +Inf bucket; the
				// sample count is that bucket either way.
				h := m.GetHistogram()
				for _, b := range h.GetBucket() {
					if !math.IsInf(b.GetUpperBound(), 1) {
						buckets[b.GetUpperBound()] += float64(b.GetCumulativeCount())
					}
				}
				buckets[math.Inf(1)] += float64(h.GetSampleCount())
			}
		}
	}
	t.Latency = sortedBuckets(buckets)
	return t, nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// promSource asks a Prometheus server, which scrapes every instance.
type promSource struct {
	api promv1.API
}

func newPromSource(url string) (promSource, error) {
	c, err := promapi.NewClient(promapi.Config{Address: url})
	if err != nil {
		return promSource{}, fmt.Errorf("CONSOLE_PROMETHEUS_URL: %w", err)
	}
	return promSource{api: promv1.NewAPI(c)}, nil
}

func (p promSource) Totals(ctx context.Context) (Totals, error) {
	const sel = `{route="` + purchaseRoute + `"}`
	now := time.Now()
	query := func(q string) (model.Vector, error) {
		v, _, _, err := p.api.Query(ctx, q, now)
		if err != nil {
			return nil, fmt.Errorf("prometheus: %s: %w", q, err)
		}
		vec, ok := v.(model.Vector)
		if !ok {
			return nil, fmt.Errorf("prometheus: %s: a %s, not a vector", q, v.Type())
		}
		return vec, nil
	}
	outcomes, err := query(`sum by (outcome) (seckill_outcomes_total` + sel + `)`)
	if err != nil {
		return Totals{}, err
	}
	statuses, err := query(`sum by (status) (seckill_http_requests_total` + sel + `)`)
	if err != nil {
		return Totals{}, err
	}
	latency, err := query(`sum by (le) (seckill_http_request_duration_seconds_bucket` + sel + `)`)
	if err != nil {
		return Totals{}, err
	}
	instances, err := query(`count(count by (instance) (seckill_http_requests_total` + sel + `))`)
	if err != nil {
		return Totals{}, err
	}
	n := 0
	if len(instances) == 1 {
		n = int(instances[0].Value)
	}
	t := newTotals(n)
	for _, s := range outcomes {
		t.Outcomes[string(s.Metric["outcome"])] = float64(s.Value)
	}
	for _, s := range statuses {
		t.Statuses[string(s.Metric["status"])] = float64(s.Value)
	}
	buckets := map[float64]float64{}
	for _, s := range latency {
		le, err := strconv.ParseFloat(string(s.Metric["le"]), 64)
		if err != nil {
			return Totals{}, fmt.Errorf("prometheus: bucket le %q", s.Metric["le"])
		}
		buckets[le] = float64(s.Value)
	}
	t.Latency = sortedBuckets(buckets)
	return t, nil
}

func newTotals(instances int) Totals {
	return Totals{At: time.Now().UnixMilli(), Instances: instances,
		Outcomes: map[string]float64{}, Statuses: map[string]float64{}, Latency: []Bucket{}}
}

// sortedBuckets lists buckets by upper bound, +Inf last as a nil bound.
func sortedBuckets(m map[float64]float64) []Bucket {
	les := make([]float64, 0, len(m))
	for le := range m {
		les = append(les, le)
	}
	slices.Sort(les)
	out := make([]Bucket, 0, len(les))
	for _, le := range les {
		b := Bucket{Count: m[le]}
		if !math.IsInf(le, 1) {
			b.LE = &le
		}
		out = append(out, b)
	}
	return out
}
