package console_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"seckill/functions/console"
	"seckill/functions/purchase"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
)

// getTotals asks base for GET /console/totals over HTTP with the admin token.
func getTotals(t *testing.T, base string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/console/totals", nil)
	req.Header.Set("Authorization", "Bearer "+servertest.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}

// checkLatency checks that the latency histogram is cumulative, by rising
// bounds, with +Inf (nil) last holding every answer.
func checkLatency(t *testing.T, buckets []console.Bucket, answers float64) {
	t.Helper()
	if len(buckets) < 2 || buckets[len(buckets)-1].LE != nil {
		t.Fatalf("latency buckets %+v: want finite bounds and +Inf last", buckets)
	}
	for i := 1; i < len(buckets); i++ {
		if buckets[i].Count < buckets[i-1].Count || (buckets[i].LE != nil && *buckets[i].LE <= *buckets[i-1].LE) {
			t.Fatalf("latency buckets not cumulative by rising bound: %+v", buckets)
		}
	}
	if got := buckets[len(buckets)-1].Count; got != answers {
		t.Fatalf("+Inf bucket %v, want the %v answers", got, answers)
	}
}

func TestTotalsIsAdminOnly(t *testing.T) {
	env := servertest.New(t, console.Function)
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"no token", nil, http.StatusUnauthorized},
		{"wrong token", map[string]string{"Authorization": "Bearer not-the-token"}, http.StatusUnauthorized},
		{"a user's token is not the admin's", map[string]string{"Authorization": "Bearer alice"}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := env.Do(t, servertest.Request{Method: "GET", Path: "/console/totals", Header: tc.header})
			if resp.Status != tc.want || resp.ErrorCode() != "unauthorized" {
				t.Fatalf("got %d %s, want %d unauthorized", resp.Status, resp.Body, tc.want)
			}
		})
	}
	// The page and its assets are public: they hold nothing but code.
	for _, path := range []string{"/console", "/console/console.js", "/console/console.css"} {
		resp := env.Do(t, servertest.Request{Method: "GET", Path: path})
		if resp.Status != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Fatalf("GET %s: %d, CSP %q", path, resp.Status, resp.Header.Get("Content-Security-Policy"))
		}
	}
}

// TestTotalsFromOwnMetrics serves the purchase route and the console in one
// process, as the all-in-one server does, and checks that the totals count
// exactly the purchases made.
func TestTotalsFromOwnMetrics(t *testing.T) {
	srv := redistest.Start(t)
	store := srv.Store(t)
	base := servertest.Listen(t, server.Deps{Store: store, Log: servertest.Logger(), Config: server.TestConfig(servertest.AdminToken)},
		purchase.Function, console.Function)
	act := redistest.MustActivity(t, store, 2)

	code, _, body := getTotals(t, base)
	if code != http.StatusOK {
		t.Fatalf("before any purchase: %d %s", code, body)
	}
	var before console.Totals
	if err := json.Unmarshal(body, &before); err != nil {
		t.Fatal(err)
	}
	if before.Instances != 1 || len(before.Outcomes) != 0 || len(before.Statuses) != 0 {
		t.Fatalf("before any purchase: %+v", before)
	}

	for _, p := range []struct{ user, wantStatus, wantOutcome string }{
		{"u1", "200", "won"},
		{"u1", "200", "already_won"},
		{"u2", "200", "won"},
		{"u3", "200", "sold_out"},
		{"u4", "200", "sold_out"},
		{"not a user id", "400", ""},
	} {
		resp, err := http.Post(base+"/activities/"+act.ID+"/purchase", "application/json", strings.NewReader(fmt.Sprintf(`{"user_id":%q}`, p.user)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if fmt.Sprint(resp.StatusCode) != p.wantStatus || !strings.Contains(string(b), p.wantOutcome) {
			t.Fatalf("purchase by %q: %d %s, want %s %s", p.user, resp.StatusCode, b, p.wantStatus, p.wantOutcome)
		}
	}

	code, header, body := getTotals(t, base)
	if code != http.StatusOK || header.Get("Cache-Control") != "no-store" {
		t.Fatalf("after the purchases: %d %v %s", code, header, body)
	}
	var got console.Totals
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	wantOutcomes := map[string]float64{"won": 2, "already_won": 1, "sold_out": 2}
	wantStatuses := map[string]float64{"200": 5, "400": 1}
	if fmt.Sprint(got.Outcomes) != fmt.Sprint(wantOutcomes) || fmt.Sprint(got.Statuses) != fmt.Sprint(wantStatuses) {
		t.Fatalf("totals %+v, want outcomes %v and statuses %v", got, wantOutcomes, wantStatuses)
	}
	checkLatency(t, got.Latency, 6)
	if got.At < before.At {
		t.Fatalf("at %d before the first read's %d", got.At, before.At)
	}
}

// fakePrometheus answers /api/v1/query as Prometheus documents it
// (https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries):
// each query is answered by the first entry of answers whose key it
// contains; it records the queries.
type fakePrometheus struct {
	mu      sync.Mutex
	queries []string
	status  int    // 0: 200
	body    string // when set, the body of every answer
	answers map[string]string
}

func (p *fakePrometheus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v1/query" {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	q := r.Form.Get("query")
	p.mu.Lock()
	p.queries = append(p.queries, q)
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if p.status != 0 {
		w.WriteHeader(p.status)
	}
	if p.body != "" {
		_, _ = io.WriteString(w, p.body)
		return
	}
	for key, result := range p.answers {
		if strings.Contains(q, key) {
			fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":%s}}`, result)
			return
		}
	}
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"status":"error","errorType":"bad_data","error":"unexpected query %s"}`, q)
}

// vector is the JSON of an instant vector: label set -> value.
func vector(samples map[string]string) string {
	var parts []string
	for labels, value := range samples {
		parts = append(parts, fmt.Sprintf(`{"metric":{%s},"value":[1796686000.123,%q]}`, labels, value))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func TestTotalsFromPrometheus(t *testing.T) {
	srv := redistest.Start(t)
	answers := map[string]string{
		"by (outcome)": vector(map[string]string{`"outcome":"won"`: "40", `"outcome":"sold_out"`: "960", `"outcome":"paused"`: "3"}),
		"by (status)":  vector(map[string]string{`"status":"200"`: "1003", `"status":"429"`: "17", `"status":"503"`: "2"}),
		"by (le)": vector(map[string]string{`"le":"0.005"`: "900", `"le":"0.02"`: "1000", `"le":"+Inf"`: "1022",
			`"le":"0.001"`: "100"}),
		"by (instance)": vector(map[string]string{``: "3"}),
	}
	unreachable := httptest.NewServer(http.NotFoundHandler())
	unreachable.Close()

	for _, tc := range []struct {
		name string
		prom *fakePrometheus
		url  string // when set, instead of prom's
		want int
	}{
		{"every instance's counters", &fakePrometheus{answers: answers}, "", http.StatusOK},
		{"no purchases yet", &fakePrometheus{answers: map[string]string{"by (": "[]", "count(": "[]"}}, "", http.StatusOK},
		{"prometheus unavailable", &fakePrometheus{status: http.StatusServiceUnavailable, body: "unavailable"}, "", http.StatusServiceUnavailable},
		{"prometheus refuses the query", &fakePrometheus{status: http.StatusUnprocessableEntity,
			body: `{"status":"error","errorType":"execution","error":"query timed out"}`}, "", http.StatusServiceUnavailable},
		{"not JSON", &fakePrometheus{body: "<html>proxy</html>"}, "", http.StatusServiceUnavailable},
		{"a matrix, not a vector", &fakePrometheus{body: `{"status":"success","data":{"resultType":"matrix","result":[]}}`}, "", http.StatusServiceUnavailable},
		{"nothing listens", nil, unreachable.URL, http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			promURL := tc.url
			if tc.prom != nil {
				hs := httptest.NewServer(tc.prom)
				t.Cleanup(hs.Close)
				promURL = hs.URL
			}
			cfg := server.TestConfig(servertest.AdminToken)
			cfg.ConsolePrometheusURL = promURL
			store := srv.Store(t)
			app := server.NewApp(server.Deps{Store: store, Log: servertest.Logger(), Config: cfg}, nil, console.Function)
			resp := servertest.Do(t, app, servertest.Request{Method: "GET", Path: "/console/totals", Admin: true})
			if resp.Status != tc.want {
				t.Fatalf("got %d %s, want %d", resp.Status, resp.Body, tc.want)
			}
			if tc.want != http.StatusOK {
				if resp.ErrorCode() != "store_unavailable" || resp.Header.Get("Retry-After") == "" {
					t.Fatalf("an unreadable source: %d %s, Retry-After %q; want store_unavailable with Retry-After",
						resp.Status, resp.Body, resp.Header.Get("Retry-After"))
				}
				return
			}
			var got console.Totals
			resp.Decode(t, &got)
			for _, q := range tc.prom.queries {
				if !strings.Contains(q, `{route="/activities/:id/purchase"}`) {
					t.Errorf("query %q is not about the purchase route", q)
				}
			}
			if tc.name == "no purchases yet" {
				if got.Instances != 0 || len(got.Outcomes) != 0 || len(got.Statuses) != 0 || len(got.Latency) != 0 {
					t.Fatalf("no series: %+v", got)
				}
				return
			}
			if got.Instances != 3 {
				t.Fatalf("instances %d, want 3", got.Instances)
			}
			if fmt.Sprint(got.Outcomes) != "map[paused:3 sold_out:960 won:40]" || fmt.Sprint(got.Statuses) != "map[200:1003 429:17 503:2]" {
				t.Fatalf("outcomes %v, statuses %v", got.Outcomes, got.Statuses)
			}
			checkLatency(t, got.Latency, 1022)
			var les []float64
			for _, b := range got.Latency[:len(got.Latency)-1] {
				les = append(les, *b.LE)
			}
			if fmt.Sprint(les) != "[0.001 0.005 0.02]" || math.Abs(got.Latency[1].Count-900) > 0 {
				t.Fatalf("latency %+v", got.Latency)
			}
			if len(tc.prom.queries) != 4 {
				t.Fatalf("queries %q, want 4", tc.prom.queries)
			}
		})
	}
}

// TestTotalsFromAnUnreadableProcess: the scrape source answers 503 with
// Retry-After when the process's /metrics cannot be read, or when the
// process does not serve the purchase route (a console deployed on its own
// without CONSOLE_PROMETHEUS_URL).
func TestTotalsFromAnUnreadableProcess(t *testing.T) {
	alone := servertest.New(t, console.Function)
	resp := alone.Do(t, servertest.Request{Method: "GET", Path: "/console/totals", Admin: true})
	if resp.Status != http.StatusServiceUnavailable || resp.ErrorCode() != "store_unavailable" || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(resp.Body), "CONSOLE_PROMETHEUS_URL") {
		t.Fatalf("a console without the purchase route: %d %s, Retry-After %q", resp.Status, resp.Body, resp.Header.Get("Retry-After"))
	}

	for _, tc := range []struct {
		name    string
		metrics http.HandlerFunc
	}{
		{"an error status", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", http.StatusInternalServerError) }},
		{"not the exposition format", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "{not metrics\n") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := httptest.NewServer(tc.metrics)
			t.Cleanup(hs.Close)
			u, _ := url.Parse(hs.URL)
			env := servertest.New(t)
			env.App.Get("/totals", console.TotalsHandler(console.ScrapeSource(hs.Client(), u.String()+"/metrics")))
			resp := env.Do(t, servertest.Request{Method: "GET", Path: "/totals"})
			if resp.Status != http.StatusServiceUnavailable || resp.ErrorCode() != "store_unavailable" || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("got %d %s, Retry-After %q", resp.Status, resp.Body, resp.Header.Get("Retry-After"))
			}
		})
	}
}
