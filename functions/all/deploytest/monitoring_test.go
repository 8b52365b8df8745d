package deploytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"seckill/functions/all"
	"seckill/functions/server/servertest"
)

// The monitoring files, relative to the repository's root: the plain
// rules file and the dashboard are shared by Compose and Kubernetes.
const (
	monitoringDir  = "deploy/k8s/monitoring"
	rulesFile      = monitoringDir + "/rules.yaml"
	promRuleFile   = monitoringDir + "/prometheusrule.yaml"
	dashboardFile  = monitoringDir + "/seckill-dashboard.json"
	monitoringVars = "deploy/k8s/overlays/monitoring"
)

// exporterMetrics are the metrics the rules and the dashboard read from
// outside the functions: Prometheus's own up, and redis_exporter's (the
// observability profile's redis-exporter service).
var exporterMetrics = map[string]bool{
	"up":                                   true,
	"redis_latency_spike_duration_seconds": true,
	"redis_aof_rewrite_in_progress":        true,
}

// watcherMetrics are the gauges of the functions' durability watcher
// (shared names: seckill_redis_durable, and per Redis node used memory and
// maxmemory). The watcher is started by server.Run, which the test's app
// does not run, so the app under test does not export them.
var watcherMetrics = map[string]bool{
	"seckill_redis_durable":           true,
	"seckill_redis_used_memory_bytes": true,
	"seckill_redis_maxmemory_bytes":   true,
}

// requiredAlerts are the alerts an operator needs during a sale: 5xx
// answers, store failures (503), slow purchases, Redis not durable or near
// maxmemory, the order-expiry job late.
var requiredAlerts = []string{"SeckillServerErrors", "SeckillStoreFailing", "SeckillPurchaseSlow",
	"SeckillRedisNotDurable", "SeckillRedisMemoryNearMax", "SeckillExpiryJobLate"}

// promParser parses PromQL as Prometheus does by default.
var promParser = parser.NewParser(parser.Options{})

// exportedMetrics runs every registry function in one app on a real Redis,
// makes it count a request of each kind (a win, an error, a job run), and
// returns the metric names its /metrics exports, with a histogram's
// _bucket, _sum and _count series.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	env := servertest.New(t, all.Functions...)
	a := servertest.MustActivity(t, env.Store, 1)
	for _, req := range []servertest.Request{
		{Method: http.MethodPost, Path: "/activities/" + a.ID + "/purchase", Body: map[string]string{"user_id": "alice"}},
		{Method: http.MethodPost, Path: "/activities/" + a.ID + "/purchase", Body: "{"},
		{Method: http.MethodPost, Path: "/jobs/expire-orders", Admin: true},
	} {
		env.Do(t, req)
	}
	r := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/metrics"})
	if r.Status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", r.Status, r.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for name, f := range families {
		names[name] = true
		if f.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[name+s] = true
			}
		}
	}
	for _, want := range []string{"seckill_outcomes_total", "seckill_errors_total", "seckill_expire_orders_last_success_timestamp_seconds"} {
		if !names[want] {
			t.Fatalf("the app does not export %s after a win, an error and a job run: the known metrics are incomplete", want)
		}
	}
	return names
}

// metricNames returns the metric names expr selects; every selector must
// name its metric.
func metricNames(t *testing.T, where string, expr parser.Expr) []string {
	t.Helper()
	var names []string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		for _, m := range vs.LabelMatchers {
			if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
				name = m.Value
			}
		}
		if name == "" {
			t.Errorf("%s: selector %s names no metric", where, vs)
		}
		names = append(names, name)
		return nil
	})
	return names
}

// checkQuery parses a PromQL query and checks that every metric it reads is
// exported by the functions or by an exporter of the deployment.
func checkQuery(t *testing.T, where, query string, known map[string]bool) {
	t.Helper()
	expr, err := promParser.ParseExpr(query)
	if err != nil {
		t.Errorf("%s: %q does not parse: %v", where, query, err)
		return
	}
	for _, name := range metricNames(t, where, expr) {
		if !known[name] && !exporterMetrics[name] && !watcherMetrics[name] {
			t.Errorf("%s: metric %s is exported by no function (nor listed as an exporter's)", where, name)
		}
	}
}

// readYAML decodes a file of the repository into v.
func readYAML(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(file)))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// TestAlertingRules checks the alerting rules: the plain file passes
// Prometheus's own rule-file validation (as promtool check rules does),
// every expression parses and reads only exported metrics, the alerts an
// operator needs are there, and the PrometheusRule, also as the monitoring
// variant renders it, holds exactly the plain file's groups.
func TestAlertingRules(t *testing.T) {
	known := exportedMetrics(t)
	groups, errs := rulefmt.ParseFile(filepath.Join(repoRoot(t), filepath.FromSlash(rulesFile)), false, model.UTF8Validation, promParser)
	for _, err := range errs {
		t.Errorf("%s: %v", rulesFile, err)
	}
	if groups == nil {
		t.FailNow()
	}
	var alerts []string
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			where := fmt.Sprintf("%s: rule %s%s", rulesFile, r.Alert, r.Record)
			checkQuery(t, where, r.Expr, known)
			if r.Alert != "" {
				alerts = append(alerts, r.Alert)
				if s := r.Labels["severity"]; s != "page" && s != "warning" {
					t.Errorf("%s: severity %q, want page or warning", where, s)
				}
				if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
					t.Errorf("%s: wants a summary and a description", where)
				}
			}
		}
	}
	for _, a := range requiredAlerts {
		if !slices.Contains(alerts, a) {
			t.Errorf("%s: no alert %s (have %v)", rulesFile, a, alerts)
		}
	}

	var plain, operator struct {
		Kind   string `yaml:"kind"`
		Groups any    `yaml:"groups"`
		Spec   struct {
			Groups any `yaml:"groups"`
		} `yaml:"spec"`
	}
	readYAML(t, rulesFile, &plain)
	readYAML(t, promRuleFile, &operator)
	if plain.Groups == nil || !reflect.DeepEqual(operator.Spec.Groups, plain.Groups) {
		t.Errorf("%s: spec.groups differ from the groups of %s: change both", promRuleFile, rulesFile)
	}
	rendered := renderKustomization(t, monitoringVars)["PrometheusRule.monitoring.coreos.com"]["seckill"]
	var r struct {
		Spec struct {
			Groups any `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := rendered.node.Decode(&r); err != nil || !reflect.DeepEqual(r.Spec.Groups, plain.Groups) {
		t.Errorf("%s: the rendered PrometheusRule seckill differs from %s (%v)", monitoringVars, rulesFile, err)
	}
}

// TestMonitoringIsOptional checks that the default deployment applies on a
// cluster without the Prometheus Operator (no object of its API group), and
// that the monitoring variant adds the PodMonitor, the rules and the
// dashboard, which scrape and label the functions as Compose does.
func TestMonitoringIsOptional(t *testing.T) {
	for _, v := range k8sVariants {
		for kind := range renderKustomization(t, v.Dir) {
			if strings.HasSuffix(kind, ".monitoring.coreos.com") && v.Dir != monitoringVars {
				t.Errorf("%s has a %s: it would not apply without the Prometheus Operator", v.Dir, kind)
			}
		}
	}
	objs := renderKustomization(t, monitoringVars)
	pm, ok := objs["PodMonitor.monitoring.coreos.com"]["seckill-functions"]
	if !ok {
		t.Fatalf("%s makes no PodMonitor seckill-functions", monitoringVars)
	}
	var spec struct {
		Spec struct {
			JobLabel string `yaml:"jobLabel"`
			Selector struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
			Endpoints []struct {
				Port string `yaml:"port"`
				Path string `yaml:"path"`
			} `yaml:"podMetricsEndpoints"`
		} `yaml:"spec"`
	}
	if err := pm.node.Decode(&spec); err != nil {
		t.Fatal(err)
	}
	if spec.Spec.JobLabel != "app.kubernetes.io/name" || len(spec.Spec.Endpoints) != 1 ||
		spec.Spec.Endpoints[0].Port != "http" || spec.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("PodMonitor %+v, want job = the function's name, /metrics on port http", spec.Spec)
	}
	for _, fn := range all.Functions {
		d := objs["Deployment"][fn.Name]
		var dep struct {
			Spec struct {
				Template struct {
					Metadata struct {
						Labels map[string]string `yaml:"labels"`
					} `yaml:"metadata"`
				} `yaml:"template"`
			} `yaml:"spec"`
		}
		if err := d.node.Decode(&dep); err != nil {
			t.Fatal(err)
		}
		l := dep.Spec.Template.Metadata.Labels
		for k, v := range spec.Spec.Selector.MatchLabels {
			if l[k] != v {
				t.Errorf("the PodMonitor does not select the pods of %s (labels %v)", fn.Name, l)
			}
		}
		if l["app.kubernetes.io/name"] != fn.Name {
			t.Errorf("pods of %s have app.kubernetes.io/name %q: their job label would not be the function's name", fn.Name, l["app.kubernetes.io/name"])
		}
	}
	cm, ok := objs["ConfigMap"]["seckill-grafana-dashboard"]
	if !ok || cm.Metadata.Labels["grafana_dashboard"] != "1" {
		t.Fatalf("%s: no ConfigMap seckill-grafana-dashboard labelled grafana_dashboard: \"1\"", monitoringVars)
	}
	want, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(dashboardFile)))
	if err != nil {
		t.Fatal(err)
	}
	if got := as[configMap](t, cm).Data["seckill-dashboard.json"]; got != string(want) {
		t.Errorf("the dashboard ConfigMap does not hold %s", dashboardFile)
	}
}

// grafanaDashboard is the part of a Grafana dashboard's JSON model the test
// reads.
type grafanaDashboard struct {
	UID           string         `json:"uid"`
	Title         string         `json:"title"`
	SchemaVersion int            `json:"schemaVersion"`
	Panels        []grafanaPanel `json:"panels"`
	Templating    struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type grafanaPanel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource *grafanaDatasource       `json:"datasource"`
	GridPos    struct{ H, W, X, Y int } `json:"gridPos"`
	Targets    []struct {
		RefID      string             `json:"refId"`
		Expr       string             `json:"expr"`
		Datasource *grafanaDatasource `json:"datasource"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"`
}

type grafanaDatasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// grafanaVars are the dashboard's variables and Grafana's built-in ones,
// with a value of each kind, so a query parses as Prometheus receives it.
var grafanaVars = strings.NewReplacer("$__rate_interval", "1m", "$__interval", "1m", "$__range", "1h", "$function", ".+")

// TestDashboard loads the Grafana dashboard and checks its structure
// (unique panel IDs, panels within the 24-column grid and not overlapping,
// every query on the dashboard's Prometheus data source variable) and
// every query: it parses as PromQL and reads only exported metrics.
func TestDashboard(t *testing.T) {
	known := exportedMetrics(t)
	b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(dashboardFile)))
	if err != nil {
		t.Fatal(err)
	}
	var d grafanaDashboard
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 36 {
		t.Errorf("%s: uid %q, title %q, schemaVersion %d: want a fixed uid, a title and the current schema", dashboardFile, d.UID, d.Title, d.SchemaVersion)
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		if v.Type == "query" {
			var q struct{ Query string }
			if err := json.Unmarshal(v.Query, &q); err != nil {
				t.Errorf("variable %s: %v", v.Name, err)
			}
			metric, ok := strings.CutPrefix(q.Query, "label_values(")
			metric, _, _ = strings.Cut(metric, ",")
			if !ok || !known[metric] {
				t.Errorf("variable %s: query %q, want label_values of an exported metric", v.Name, q.Query)
			}
		}
	}
	if !vars["datasource"] {
		t.Errorf("%s: no datasource variable: the dashboard would be tied to one data source", dashboardFile)
	}
	ids := map[int]bool{}
	var queries int
	type cell struct{ x, y int }
	taken := map[cell]string{}
	var walk func(ps []grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			where := fmt.Sprintf("%s: panel %d %q", dashboardFile, p.ID, p.Title)
			if p.ID == 0 || ids[p.ID] {
				t.Errorf("%s: missing or repeated id", where)
			}
			ids[p.ID] = true
			g := p.GridPos
			if g.W < 1 || g.H < 1 || g.X < 0 || g.X+g.W > 24 || g.Y < 0 {
				t.Errorf("%s: gridPos %+v outside the 24-column grid", where, g)
			}
			overlapped := map[string]bool{}
			for x := g.X; x < g.X+g.W; x++ {
				for y := g.Y; y < g.Y+g.H; y++ {
					if other, ok := taken[cell{x, y}]; ok && !overlapped[other] {
						overlapped[other] = true
						t.Errorf("%s overlaps %s", where, other)
					}
					taken[cell{x, y}] = where
				}
			}
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: no query", where)
			}
			for _, ds := range []*grafanaDatasource{p.Datasource} {
				if ds == nil || ds.Type != "prometheus" || ds.UID != "${datasource}" {
					t.Errorf("%s: data source %+v, want the datasource variable", where, ds)
				}
			}
			for _, q := range p.Targets {
				if q.Datasource != nil && *q.Datasource != *p.Datasource {
					t.Errorf("%s: query %s on another data source %+v", where, q.RefID, q.Datasource)
				}
				queries++
				checkQuery(t, where+" query "+q.RefID, grafanaVars.Replace(q.Expr), known)
			}
		}
	}
	walk(d.Panels)
	if queries == 0 {
		t.Fatalf("%s: no query found", dashboardFile)
	}
	// Every metric a sale is watched by is on the dashboard.
	used := map[string]bool{}
	var collect func(ps []grafanaPanel)
	collect = func(ps []grafanaPanel) {
		for _, p := range ps {
			for _, q := range p.Targets {
				if expr, err := promParser.ParseExpr(grafanaVars.Replace(q.Expr)); err == nil {
					for _, n := range metricNames(t, "", expr) {
						used[n] = true
					}
				}
			}
			collect(p.Panels)
		}
	}
	collect(d.Panels)
	var missing []string
	for _, m := range []string{"seckill_activity_remaining_units", "seckill_activity_sold_units", "seckill_outcomes_total", "seckill_http_requests_total", "seckill_http_request_duration_seconds_bucket",
		"up", "seckill_redis_pool_pending_requests", "seckill_redis_used_memory_bytes", "seckill_redis_maxmemory_bytes",
		"seckill_redis_durable", "redis_latency_spike_duration_seconds", "seckill_expire_orders_last_success_timestamp_seconds"} {
		if !used[m] {
			missing = append(missing, m)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%s: no panel shows %v", dashboardFile, missing)
	}
}

// TestComposeObservabilityProfile loads deploy/compose.yaml with the
// observability profile and checks that Prometheus scrapes every registry
// function (and Redis through redis_exporter) with the function's name as
// its job, loads the rules file, and that Grafana is provisioned with
// Prometheus and the dashboard; both listen on the loopback interface only.
// Without the profile none of them runs.
func TestComposeObservabilityProfile(t *testing.T) {
	profiled := []string{"prometheus", "grafana", "redis-exporter"}
	p, err := loadCompose(t, "ADMIN_TOKEN=compose-test-token", "REDIS_PASSWORD=compose-test-redis-password", "REDIS_ADMIN_PASSWORD=compose-test-redis-admin", "ADMISSION_SECRET=compose-test-admission-secret", "PAYMENT_WEBHOOK_SECRET=compose-test-payment-secret")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range profiled {
		if _, ok := p.Services[name]; ok {
			t.Errorf("%s runs without the observability profile", name)
		}
	}
	dir := filepath.Join(repoRoot(t), "deploy")
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "compose.yaml")},
		cli.WithWorkingDirectory(dir), cli.WithEnv([]string{"ADMIN_TOKEN=compose-test-token", "REDIS_PASSWORD=compose-test-redis-password", "REDIS_ADMIN_PASSWORD=compose-test-redis-admin", "ADMISSION_SECRET=compose-test-admission-secret", "PAYMENT_WEBHOOK_SECRET=compose-test-payment-secret"}),
		cli.WithName("seckill"), cli.WithProfiles([]string{"observability"}))
	if err != nil {
		t.Fatal(err)
	}
	p, err = opts.LoadProject(t.Context())
	if err != nil {
		t.Fatalf("deploy/compose.yaml with --profile observability: %v", err)
	}
	for _, name := range profiled {
		s, ok := p.Services[name]
		if !ok {
			t.Fatalf("no service %s in the observability profile", name)
		}
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes %+v beyond the loopback interface", name, port)
			}
		}
	}
	// mounts returns a service's bind mounts, target -> source.
	mounts := func(service string) map[string]string {
		m := map[string]string{}
		for _, v := range p.Services[service].Volumes {
			if v.Type == "bind" {
				m[v.Target] = v.Source
			}
		}
		return m
	}
	config := func(service, target string) string {
		for _, c := range p.Services[service].Configs {
			if c.Target == target {
				return p.Configs[c.Source].Content
			}
		}
		t.Fatalf("%s has no config at %s", service, target)
		return ""
	}
	var prom struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName      string `yaml:"job_name"`
			DNSSDConfigs []struct {
				Names []string `yaml:"names"`
				Type  string   `yaml:"type"`
				Port  int      `yaml:"port"`
			} `yaml:"dns_sd_configs"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
			RelabelConfigs []struct {
				SourceLabels []string `yaml:"source_labels"`
				TargetLabel  string   `yaml:"target_label"`
			} `yaml:"relabel_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(config("prometheus", "/etc/prometheus/prometheus.yml")), &prom); err != nil {
		t.Fatalf("the Prometheus configuration: %v", err)
	}
	if len(prom.RuleFiles) != 1 || mounts("prometheus")[prom.RuleFiles[0]] != filepath.Join(repoRoot(t), filepath.FromSlash(rulesFile)) {
		t.Errorf("Prometheus loads rule files %v, mounts %v: want %s", prom.RuleFiles, mounts("prometheus"), rulesFile)
	}
	var scraped []string
	var redis bool
	for _, sc := range prom.ScrapeConfigs {
		for _, sd := range sc.DNSSDConfigs {
			if sd.Type != "A" || sd.Port != 8080 {
				t.Errorf("job %s: DNS discovery %+v, want type A on port 8080", sc.JobName, sd)
			}
			scraped = append(scraped, sd.Names...)
			if len(sc.RelabelConfigs) != 1 || !slices.Equal(sc.RelabelConfigs[0].SourceLabels, []string{"__meta_dns_name"}) || sc.RelabelConfigs[0].TargetLabel != "job" {
				t.Errorf("job %s: relabelling %+v, want job = the service's name", sc.JobName, sc.RelabelConfigs)
			}
		}
		for _, st := range sc.StaticConfigs {
			redis = redis || slices.Contains(st.Targets, "redis-exporter:9121")
		}
	}
	sort.Strings(scraped)
	var want []string
	for name := range registryNames() {
		want = append(want, name)
	}
	sort.Strings(want)
	if !slices.Equal(scraped, want) {
		t.Errorf("Prometheus scrapes %v, want every registry function %v", scraped, want)
	}
	if !redis {
		t.Error("Prometheus does not scrape redis-exporter:9121")
	}

	var ds struct {
		Datasources []struct {
			Type, URL string
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal([]byte(config("grafana", "/etc/grafana/provisioning/datasources/prometheus.yaml")), &ds); err != nil ||
		len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL != "http://prometheus:9090" {
		t.Errorf("Grafana's data sources %+v (%v), want the profile's Prometheus", ds, err)
	}
	var dash struct {
		Providers []struct {
			Type    string
			Options struct{ Path string }
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal([]byte(config("grafana", "/etc/grafana/provisioning/dashboards/seckill.yaml")), &dash); err != nil || len(dash.Providers) != 1 {
		t.Fatalf("Grafana's dashboard providers %+v (%v)", dash, err)
	}
	src := mounts("grafana")[dash.Providers[0].Options.Path+"/seckill-dashboard.json"]
	if src != filepath.Join(repoRoot(t), filepath.FromSlash(dashboardFile)) {
		t.Errorf("Grafana's dashboard folder %s holds %q, want %s", dash.Providers[0].Options.Path, src, dashboardFile)
	}
}
