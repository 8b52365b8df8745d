package main

import (
	"bytes"
	"embed"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"seckill/functions/server"
)

// The generated files and directories, relative to the repository's root.
// Every file of the two directories is generated.
const (
	functionsDir = "deploy/k8s/functions"
	knativeDir   = "deploy/k8s/knative"
	routesFile   = "deploy/k8s/gateway/routes.yaml"
	composeFile  = "deploy/compose.yaml"
	// composeClusterFile is the Compose file of the Redis Cluster variant.
	composeClusterFile = "deploy/compose.cluster.yaml"
)

// generatedDirs are the directories whose every file gendeploy writes: it
// removes any other file found there.
var generatedDirs = []string{functionsDir, knativeDir}

// namespace is the Kubernetes namespace of every object (set by the
// kustomizations). The gateway reaches a Knative Service by its cluster-local
// name, which contains it.
const namespace = "seckill"

// clusterNodes is the number of Redis nodes of the cluster variant: three
// primaries, each with one replica.
const clusterNodes = 6

// setting is what the deployment of one function needs beyond its
// server.Function. Most functions need nothing here.
type setting struct {
	// Scaling of the function; nil means adminScaling for a function whose
	// every route is an admin route, publicScaling otherwise.
	Scaling *scaling
	// Schedule, when set, calls the function's one POST route on a schedule.
	Schedule *schedule
}

// scaling is how one function scales: the CPU its pods request, the bounds
// of its HorizontalPodAutoscaler (CPU-based, relative to that request), and
// the bounds of its Knative revision (concurrency-based).
type scaling struct {
	Class      string // names the class in the generated comments
	Why        string // why, one sentence in the generated comments
	CPURequest string // the container's CPU request; the HPA's 100%
	Min, Max   int    // HPA bounds: replicas
	CPUTarget  int    // HPA target: average CPU utilization in percent of the request
	// PDB adds a PodDisruptionBudget (maxUnavailable 1): a node drain never
	// takes more than one of the function's pods at a time.
	PDB bool
	// KnativeMinScale is the Knative revision's min-scale: 0 scales to zero.
	// Its max-scale is Max.
	KnativeMinScale int
}

// The scaling classes. A pod's CPU limit is one CPU: GOMAXPROCS follows it.
var (
	// purchaseScaling: the hot path of a sale, its load arrives at once.
	purchaseScaling = scaling{Class: "hot, widest", CPURequest: "500m", Min: 3, Max: 60, CPUTarget: 60, PDB: true, KnativeMinScale: 3,
		Why: "Every buyer of a sale calls it in the same second: it starts widest, scales earliest and furthest."}
	// hotReadScaling: what every buyer's page polls during a sale.
	hotReadScaling = scaling{Class: "hot", CPURequest: "250m", Min: 2, Max: 20, CPUTarget: 70, PDB: true, KnativeMinScale: 2,
		Why: "Every buyer's page loads or polls it during a sale."}
	// publicScaling: other public functions, called by users outside the rush.
	publicScaling = scaling{Class: "public", CPURequest: "100m", Min: 2, Max: 10, CPUTarget: 70, KnativeMinScale: 1,
		Why: "A user's function outside the rush of a sale: two pods, so a restart is no outage."}
	// adminScaling: functions only the operator (or a schedule) calls.
	adminScaling = scaling{Class: "admin", CPURequest: "50m", Min: 1, Max: 3, CPUTarget: 80, KnativeMinScale: 0,
		Why: "Only the operator or a schedule calls it: one pod, and none at all on Knative until called."}
)

// knativeTarget is the Knative revisions' target concurrency per pod: the
// in-flight requests at which the autoscaler adds pods. See deploy/k8s/README.md
// (Knative) for how it follows from the measured cost of a request.
const knativeTarget = 50

// schedule is a job calling a function's POST route with the admin token:
// a CronJob on Kubernetes, a service looping over curl and sleep in Compose.
type schedule struct {
	Job   string // name of the CronJob; the Compose service is <Job>-schedule
	Cron  string // the CronJob's schedule
	Every int    // default seconds between two calls in Compose (<JOB>_EVERY)
	About string // what the job is for, one comment line in the CronJob's file
}

// settings are the functions whose deployment differs from the defaults.
var settings = map[string]setting{
	"purchase":       {Scaling: &purchaseScaling},
	"purchaseresult": {Scaling: &hotReadScaling},
	"getactivity":    {Scaling: &hotReadScaling},
	"storefront":     {Scaling: &hotReadScaling},
	"expireorders": {Schedule: &schedule{Job: "expire-orders", Cron: "* * * * *", Every: 30,
		About: "Expiry is also lazy (a late payment is refused even if this job has not run yet); the job returns the units to stock promptly."}},
}

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"quote":         strconv.Quote,
	"comment":       comment,
	"knativeTarget": func() int { return knativeTarget },
}).ParseFS(templateFS, "templates/*.tmpl"))

// function is what the templates know of one function.
type function struct {
	Name, Summary string
	Routes        []route
	Scaling       scaling
	Schedule      *job
	// Payment: the function confirms payments and gets the webhook secret
	// (only it does).
	Payment bool
	// Admin: the function serves a route that takes the admin token (an
	// admin route, or one the admin may call for a user), so it is given
	// the token; the others are not.
	Admin bool
}

// RouteList names the function's routes in a comment: "GET /a, POST /b".
func (f function) RouteList() string {
	keys := make([]string, len(f.Routes))
	for i, r := range f.Routes {
		keys[i] = r.Method + " " + r.Path
	}
	return strings.Join(keys, ", ")
}

// KnativeHost is the cluster-local host of the function's Knative Service,
// which Knative's ingress routes by.
func (f function) KnativeHost() string {
	return f.Name + "." + namespace + ".svc.cluster.local"
}

// route is one route and its gateway router.
type route struct {
	Method, Path string
	Router       string // the router's name
	Rule         string // the router's Traefik rule
}

// job is a schedule with the route it calls.
type job struct {
	schedule
	Function, Method, Path string
	EveryVar               string // the Compose variable of Every
}

// ServiceURL is the base URL of the job's function behind its Service.
func (j job) ServiceURL() string { return "http://" + j.Function + ":8080" }

// KnativeURL is the base URL of the job's function as a Knative Service.
func (j job) KnativeURL() string {
	return "http://" + j.Function + "." + namespace + ".svc.cluster.local"
}

// WithURL is the job calling its function at the base URL url: what the
// CronJob template needs.
func (j job) WithURL(url string) cronJob { return cronJob{job: j, URL: url} }

// cronJob is a job and the base URL its CronJob calls.
type cronJob struct {
	job
	URL string
}

// deployment is what the templates of files listing every function get.
type deployment struct {
	Functions []function
	// Knative: the functions run as Knative Services (gateway routes to
	// their cluster-local hosts).
	Knative bool
	// RedisNodes are the Compose services of the Redis Cluster nodes; empty
	// for the single Redis.
	RedisNodes []string
}

// SeedList is REDIS_ADDR of the cluster variant: every node, comma-separated.
func (d deployment) SeedList() string {
	addrs := make([]string, len(d.RedisNodes))
	for i, n := range d.RedisNodes {
		addrs[i] = n + ":6379"
	}
	return strings.Join(addrs, ",")
}

// validName is a function's name: a Go package name that is also a DNS
// label (the Kubernetes Service and the host the gateway calls).
var validName = regexp.MustCompile(`^[a-z][a-z0-9]{0,62}$`)

// render returns the generated files, by path relative to the repository's
// root, for the registry fns and the per-function settings.
func render(fns []server.Function, settings map[string]setting) (map[string][]byte, error) {
	var data []function
	names := map[string]bool{}
	routers := map[string]string{} // router -> function
	for _, fn := range fns {
		if !validName.MatchString(fn.Name) {
			return nil, fmt.Errorf("function name %q: want lowercase letters and digits, starting with a letter (a Go package and a DNS label)", fn.Name)
		}
		if names[fn.Name] {
			return nil, fmt.Errorf("function %s is twice in the registry", fn.Name)
		}
		names[fn.Name] = true
		f, err := newFunction(fn, settings[fn.Name])
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", fn.Name, err)
		}
		for _, r := range f.Routes {
			if other, dup := routers[r.Router]; dup {
				return nil, fmt.Errorf("gateway router %s is twice (functions %s and %s): give the routes paths that differ in letters or digits", r.Router, other, fn.Name)
			}
			routers[r.Router] = fn.Name
		}
		data = append(data, f)
	}
	for name := range settings {
		if !names[name] {
			return nil, fmt.Errorf("settings of %s, which is not in the registry (functions/all/all.go)", name)
		}
	}

	files := map[string][]byte{}
	exec := func(path, tmpl string, v any) error {
		var b bytes.Buffer
		if err := templates.ExecuteTemplate(&b, tmpl, v); err != nil {
			return err
		}
		files[path] = b.Bytes()
		return nil
	}
	for _, f := range data {
		if err := exec(functionsDir+"/"+f.Name+".yaml", "function.yaml.tmpl", f); err != nil {
			return nil, err
		}
		if err := exec(knativeDir+"/"+f.Name+".yaml", "knative.yaml.tmpl", f); err != nil {
			return nil, err
		}
	}
	nodes := make([]string, clusterNodes)
	for i := range nodes {
		nodes[i] = "redis-" + strconv.Itoa(i)
	}
	for _, out := range []struct {
		path, tmpl string
		data       deployment
	}{
		{functionsDir + "/kustomization.yaml", "kustomization.yaml.tmpl", deployment{Functions: data}},
		{knativeDir + "/kustomization.yaml", "knative-kustomization.yaml.tmpl", deployment{Functions: data, Knative: true}},
		{knativeDir + "/kustomizeconfig.yaml", "knative-kustomizeconfig.yaml.tmpl", deployment{Functions: data, Knative: true}},
		{routesFile, "routes.yaml.tmpl", deployment{Functions: data}},
		{knativeDir + "/routes.yaml", "routes.yaml.tmpl", deployment{Functions: data, Knative: true}},
		{composeFile, "compose.yaml.tmpl", deployment{Functions: data}},
		{composeClusterFile, "compose.yaml.tmpl", deployment{Functions: data, RedisNodes: nodes}},
	} {
		if err := exec(out.path, out.tmpl, out.data); err != nil {
			return nil, err
		}
	}
	return files, nil
}

func newFunction(fn server.Function, s setting) (function, error) {
	f := function{Name: fn.Name, Summary: fn.Summary,
		Admin: slices.ContainsFunc(fn.Routes, func(r server.Route) bool { return r.Admin || r.AdminActsForUser })}
	if len(fn.Routes) == 0 {
		return f, fmt.Errorf("no routes")
	}
	switch {
	case s.Scaling != nil:
		f.Scaling = *s.Scaling
	case adminOnly(fn):
		f.Scaling = adminScaling
	default:
		f.Scaling = publicScaling
	}
	if err := f.Scaling.check(adminOnly(fn)); err != nil {
		return f, err
	}
	paths := map[string]int{}
	for _, r := range fn.Routes {
		paths[r.Path]++
	}
	for _, r := range fn.Routes {
		rule, err := gatewayRule(r)
		if err != nil {
			return f, err
		}
		router := fn.Name
		switch {
		case len(fn.Routes) > 1 && paths[r.Path] > 1:
			router += "-" + strings.ToLower(r.Method) + "-" + slug(r.Path)
		case len(fn.Routes) > 1:
			router += "-" + slug(r.Path)
		}
		f.Routes = append(f.Routes, route{Method: r.Method, Path: r.Path, Router: router, Rule: rule})
		f.Payment = f.Payment || r.Payment
	}
	if s.Schedule != nil {
		var posts []server.Route
		for _, r := range fn.Routes {
			if r.Method == http.MethodPost {
				posts = append(posts, r)
			}
		}
		if len(posts) != 1 || strings.Contains(posts[0].Path, ":") || !posts[0].Admin {
			return f, fmt.Errorf("a schedule calls the function's one admin POST route without parameters; routes: %s", f.RouteList())
		}
		f.Schedule = &job{schedule: *s.Schedule, Function: fn.Name, Method: posts[0].Method, Path: posts[0].Path,
			EveryVar: strings.ToUpper(strings.ReplaceAll(s.Schedule.Job, "-", "_")) + "_EVERY"}
	}
	return f, nil
}

// adminOnly reports whether every route of fn is an admin route: only the
// operator or a schedule calls it.
func adminOnly(fn server.Function) bool {
	return !slices.ContainsFunc(fn.Routes, func(r server.Route) bool { return !r.Admin })
}

// check refuses scaling bounds that would not work: a public function needs
// two pods (a restart is no outage) and a Knative minimum above zero (a user
// never waits for a cold start); the CPU target is a share of the request.
func (s scaling) check(admin bool) error {
	switch {
	case s.Min < 1 || s.Max < s.Min:
		return fmt.Errorf("scaling %d to %d replicas: want 1 <= min <= max", s.Min, s.Max)
	case !admin && s.Min < 2:
		return fmt.Errorf("scaling from %d replica: a function users call needs at least 2 (functions are stateless)", s.Min)
	case !admin && s.KnativeMinScale < 1:
		return fmt.Errorf("Knative min-scale %d: a function users call never scales to zero", s.KnativeMinScale)
	case s.KnativeMinScale < 0 || s.KnativeMinScale > s.Min:
		return fmt.Errorf("Knative min-scale %d: want 0 to the HPA minimum %d", s.KnativeMinScale, s.Min)
	case s.CPUTarget < 10 || s.CPUTarget > 90:
		return fmt.Errorf("CPU target %d%%: want 10 to 90 (%% of the request)", s.CPUTarget)
	case s.PDB && s.Min < 2:
		return fmt.Errorf("a PodDisruptionBudget with %d replica would block every node drain", s.Min)
	case s.CPURequest == "":
		return fmt.Errorf("no CPU request: the HPA's utilization is relative to it")
	}
	return nil
}

// gatewayRule is the Traefik rule of a route: its method and exact path, or
// the anchored regexp of its path when it has parameters (each :param is one
// non-empty segment), so that no two routers overlap.
func gatewayRule(r server.Route) (string, error) {
	if !strings.HasPrefix(r.Path, "/") || strings.ContainsAny(r.Path, "*+?`") {
		return "", fmt.Errorf("route %s %s: the gateway routes only paths of literal segments and :params", r.Method, r.Path)
	}
	if !strings.Contains(r.Path, ":") {
		return "Method(`" + r.Method + "`) && Path(`" + r.Path + "`)", nil
	}
	segs := strings.Split(strings.Trim(r.Path, "/"), "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") {
			segs[i] = "[^/]+"
		} else {
			segs[i] = regexp.QuoteMeta(s)
		}
	}
	return "Method(`" + r.Method + "`) && PathRegexp(`^/" + strings.Join(segs, "/") + "$`)", nil
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slug names a path in a router's name: "/docs/swagger-ui.css" is
// "docs-swagger-ui-css", "/" is "root".
func slug(path string) string {
	s := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(path), "-"), "-")
	if s == "" {
		return "root"
	}
	return s
}

// comment returns text as YAML comment lines indented by indent spaces, of
// at most 78 characters unless a word is longer. A route's method and path
// stay on one line.
func comment(indent int, text string) string {
	start := strings.Repeat(" ", indent) + "#"
	var lines []string
	line := start
	words := strings.Fields(text)
	for i := 0; i < len(words); i++ {
		w := words[i]
		if methods[w] && i+1 < len(words) {
			i++
			w += " " + words[i] // keep "GET /path" on one line
		}
		if len(line)+1+len(w) > 78 && line != start {
			lines = append(lines, line)
			line = start
		}
		line += " " + w
	}
	return strings.Join(append(lines, line), "\n")
}

// methods are the HTTP methods, for comment.
var methods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}
