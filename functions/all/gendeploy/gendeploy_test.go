package main

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/all"
	"seckill/functions/server"
)

// TestCommittedFilesAreGenerated fails while a committed deployment file
// differs from what the generator writes for the registry, or while
// deploy/k8s/functions/ holds a file the generator does not write.
func TestCommittedFilesAreGenerated(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := repoRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	files, err := render(all.Functions, settings)
	if err != nil {
		t.Fatal(err)
	}
	const fix = "run go generate ./functions/all/ and commit the result"
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			t.Errorf("%s: %v; %s", rel, err, fix)
			continue
		}
		if line, want, have, differ := firstDiff(files[rel], got); differ {
			t.Errorf("%s differs from what the generator writes, at line %d:\n  generated: %q\n  committed: %q\n%s (edit the registry, gendeploy's settings or templates, not the file)",
				rel, line, want, have, fix)
		}
	}
	stale, err := staleFiles(root, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range stale {
		t.Errorf("%s is not generated (no such registry function); %s", rel, fix)
	}
}

// firstDiff returns the first line (1-based) where a and b differ, and its
// text in each.
func firstDiff(a, b []byte) (line int, la, lb string, differ bool) {
	if bytes.Equal(a, b) {
		return 0, "", "", false
	}
	as, bs := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; ; i++ {
		if i >= len(as) || i >= len(bs) || as[i] != bs[i] {
			at := func(s []string) string {
				if i < len(s) {
					return s[i]
				}
				return "(end of file)"
			}
			return i + 1, at(as), at(bs), true
		}
	}
}

func handler(server.Deps) fiber.Handler { return func(c *fiber.Ctx) error { return nil } }

func fn(name string, routes ...server.Route) server.Function {
	for i := range routes {
		routes[i].Handler = handler
	}
	return server.Function{Name: name, Summary: "a test function", Routes: routes}
}

func get(path string) server.Route { return server.Route{Method: fiber.MethodGet, Path: path} }

// TestRenderRefuses checks that the generator refuses registries and
// settings it cannot deploy, naming the problem, rather than writing
// manifests that would not work.
func TestRenderRefuses(t *testing.T) {
	tests := []struct {
		name     string
		fns      []server.Function
		settings map[string]setting
		want     string
	}{
		{"name with a dash", []server.Function{fn("get-product", get("/a"))}, nil, `function name "get-product"`},
		{"upper-case name", []server.Function{fn("GetProduct", get("/a"))}, nil, `function name "GetProduct"`},
		{"same name twice", []server.Function{fn("a", get("/a")), fn("a", get("/b"))}, nil, "a is twice in the registry"},
		{"no routes", []server.Function{fn("a")}, nil, "function a: no routes"},
		{"wildcard path", []server.Function{fn("a", get("/docs/*"))}, nil, "GET /docs/*"},
		{"settings of an unknown function", []server.Function{fn("a", get("/a"))},
			map[string]setting{"b": {Scaling: &publicScaling}}, "settings of b"},
		{"a public function on one replica", []server.Function{fn("a", get("/a"))},
			map[string]setting{"a": {Scaling: &adminScaling}}, "needs at least 2"},
		{"a public function scaling to zero", []server.Function{fn("a", get("/a"))},
			map[string]setting{"a": {Scaling: &scaling{CPURequest: "100m", Min: 2, Max: 4, CPUTarget: 70}}}, "never scales to zero"},
		{"max below min", []server.Function{fn("a", get("/a"))},
			map[string]setting{"a": {Scaling: &scaling{CPURequest: "100m", Min: 3, Max: 2, CPUTarget: 70, KnativeMinScale: 1}}}, "want 1 <= min <= max"},
		{"CPU target of 100%", []server.Function{fn("a", get("/a"))},
			map[string]setting{"a": {Scaling: &scaling{CPURequest: "100m", Min: 2, Max: 4, CPUTarget: 100, KnativeMinScale: 1}}}, "CPU target 100%"},
		{"no CPU request", []server.Function{fn("a", get("/a"))},
			map[string]setting{"a": {Scaling: &scaling{Min: 2, Max: 4, CPUTarget: 70, KnativeMinScale: 1}}}, "no CPU request"},
		{"a PodDisruptionBudget on one replica", []server.Function{fn("a", server.Route{Method: fiber.MethodPost, Path: "/a", Admin: true})},
			map[string]setting{"a": {Scaling: &scaling{CPURequest: "100m", Min: 1, Max: 4, CPUTarget: 70, PDB: true}}}, "block every node drain"},
		{"schedule without a POST route", []server.Function{fn("a", get("/a"))},
			map[string]setting{"a": {Schedule: &schedule{Job: "run", Cron: "* * * * *", Every: 30}}}, "a schedule calls"},
		{"schedule of a route that is not admin", []server.Function{fn("a", server.Route{Method: fiber.MethodPost, Path: "/jobs/run"})},
			map[string]setting{"a": {Schedule: &schedule{Job: "run", Cron: "* * * * *", Every: 30}}}, "a schedule calls"},
		{"paths with the same router name", []server.Function{fn("a", get("/x.js"), get("/x-js"))},
			nil, "router a-x-js is twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(tc.fns, tc.settings)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("render: %v, want no error", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("render: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestRenderDerivesFromTheRegistry checks what a function's fields and
// settings become: its scaling (the class of its settings, else admin when
// every route is an admin route, else public), its router per route (named
// after the path when it has several), its Knative Service and route, and
// its schedule's call in every deployment.
func TestRenderDerivesFromTheRegistry(t *testing.T) {
	fns := []server.Function{
		fn("one", server.Route{Method: fiber.MethodGet, Path: "/things/:id/parts"}),
		fn("two", get("/"), get("/two.js"), server.Route{Method: fiber.MethodDelete, Path: "/two.js"}),
		fn("job", server.Route{Method: fiber.MethodPost, Path: "/jobs/tidy-up", Admin: true}),
	}
	files, err := render(fns, map[string]setting{
		"one": {Scaling: &purchaseScaling},
		"job": {Schedule: &schedule{Job: "tidy-up", Cron: "*/5 * * * *", Every: 300, About: "Why it runs."}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, want string }{
		{"deploy/k8s/functions/one.yaml", "  minReplicas: 3\n  maxReplicas: 60\n"},
		{"deploy/k8s/functions/one.yaml", "              cpu: 500m\n"},
		{"deploy/k8s/functions/one.yaml", "          averageUtilization: 60\n"},
		{"deploy/k8s/functions/one.yaml", "kind: PodDisruptionBudget\n"},
		{"deploy/k8s/functions/two.yaml", "  minReplicas: 2\n  maxReplicas: 10\n"},
		{"deploy/k8s/functions/job.yaml", "  minReplicas: 1\n  maxReplicas: 3\n"},
		{"deploy/k8s/knative/one.yaml", "autoscaling.knative.dev/min-scale: \"3\"\n"},
		{"deploy/k8s/knative/one.yaml", "autoscaling.knative.dev/max-scale: \"60\"\n"},
		{"deploy/k8s/knative/two.yaml", "autoscaling.knative.dev/min-scale: \"1\"\n"},
		{"deploy/k8s/knative/job.yaml", "autoscaling.knative.dev/min-scale: \"0\"\n"},
		{"deploy/k8s/knative/job.yaml", "http://job.seckill.svc.cluster.local/jobs/tidy-up\n"},
		{"deploy/k8s/knative/routes.yaml", "    two:\n      loadBalancer:\n        passHostHeader: false\n        servers:\n          - url: http://two.seckill.svc.cluster.local\n"},
		{"deploy/k8s/functions/kustomization.yaml", "  - one.yaml\n  - two.yaml\n  - job.yaml\n"},
		{"deploy/k8s/knative/kustomization.yaml", "  - one.yaml\n  - two.yaml\n  - job.yaml\n"},
		{composeClusterFile, "  REDIS_CLUSTER: \"true\"\n"},
		{composeClusterFile, "  REDIS_ADDR: redis-0:6379,redis-1:6379,redis-2:6379,redis-3:6379,redis-4:6379,redis-5:6379\n"},
		{composeClusterFile, "  redis-5:\n"},
		{composeClusterFile, "  depends_on:\n    redis-cluster-create:\n      condition: service_completed_successfully\n"},
		{routesFile, "    one:  # GET /things/:id/parts\n      entryPoints: [web]\n      rule: \"Method(`GET`) && PathRegexp(`^/things/[^/]+/parts$`)\"\n      service: one\n"},
		{routesFile, "    two-root:  # GET /\n"},
		{routesFile, "    two-get-two-js:  # GET /two.js\n"},
		{routesFile, "    two-delete-two-js:  # DELETE /two.js\n"},
		{routesFile, "          - url: http://job:8080\n"},
		{"deploy/k8s/functions/job.yaml", "kind: CronJob\nmetadata:\n  name: tidy-up\n"},
		{"deploy/k8s/functions/job.yaml", "  schedule: \"*/5 * * * *\"\n"},
		{"deploy/k8s/functions/job.yaml", "http://job:8080/jobs/tidy-up\n"},
		{"deploy/k8s/functions/job.yaml", "Why it runs.\n"},
		{composeFile, "  tidy-up-schedule:\n"},
		{composeFile, "TIDY_UP_EVERY: ${TIDY_UP_EVERY:-300}\n"},
		{composeFile, "http://job:8080/jobs/tidy-up ||\n"},
		{composeFile, "    depends_on:\n      job:\n        condition: service_healthy\n"},
		{composeFile, "  two:  # GET /, GET /two.js, DELETE /two.js\n    <<: *function\n    image: seckill-two:${TAG:-latest}\n    build: {context: .., args: {FUNCTION: two}}\n"},
	} {
		if !strings.Contains(string(files[tc.file]), tc.want) {
			t.Errorf("%s does not contain %q:\n%s", tc.file, tc.want, files[tc.file])
		}
	}
	for _, f := range []string{"deploy/k8s/functions/one.yaml", "deploy/k8s/functions/two.yaml", "deploy/k8s/knative/two.yaml"} {
		if strings.Contains(string(files[f]), "CronJob") {
			t.Errorf("%s has a CronJob, but the function has no schedule", f)
		}
	}
	for _, f := range []string{"deploy/k8s/functions/two.yaml", "deploy/k8s/functions/job.yaml"} {
		if strings.Contains(string(files[f]), "PodDisruptionBudget") {
			t.Errorf("%s has a PodDisruptionBudget, but the function is not hot", f)
		}
	}
}
