package main

import (
	"bytes"
	"embed"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"seckill/functions/server"
)

// The generated files and directory, relative to the repository's root.
const (
	functionsDir = "deploy/k8s/functions"
	routesFile   = "deploy/k8s/gateway/routes.yaml"
	composeFile  = "deploy/compose.yaml"
)

// defaultReplicas is the number of replicas of a function's Deployment unless
// its setting says otherwise: two, so that one pod's restart is no outage.
const defaultReplicas = 2

// setting is what the deployment of one function needs beyond its
// server.Function. Most functions need nothing here.
type setting struct {
	// Replicas of the function's Deployment; 0 means defaultReplicas.
	Replicas int
	// Schedule, when set, calls the function's one POST route on a schedule.
	Schedule *schedule
}

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
	// The hot path of a sale.
	"purchase": {Replicas: 3},
	"expireorders": {Schedule: &schedule{Job: "expire-orders", Cron: "* * * * *", Every: 30,
		About: "Expiry is also lazy (a late payment is refused even if this job has not run yet); the job returns the units to stock promptly."}},
}

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"quote":   strconv.Quote,
	"comment": comment,
}).ParseFS(templateFS, "templates/*.tmpl"))

// function is what the templates know of one function.
type function struct {
	Name, Summary string
	Routes        []route
	Replicas      int
	Schedule      *job
}

// RouteList names the function's routes in a comment: "GET /a, POST /b".
func (f function) RouteList() string {
	keys := make([]string, len(f.Routes))
	for i, r := range f.Routes {
		keys[i] = r.Method + " " + r.Path
	}
	return strings.Join(keys, ", ")
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
	}
	for path, tmpl := range map[string]string{
		functionsDir + "/kustomization.yaml": "kustomization.yaml.tmpl",
		routesFile:                           "routes.yaml.tmpl",
		composeFile:                          "compose.yaml.tmpl",
	} {
		if err := exec(path, tmpl, data); err != nil {
			return nil, err
		}
	}
	return files, nil
}

func newFunction(fn server.Function, s setting) (function, error) {
	f := function{Name: fn.Name, Summary: fn.Summary, Replicas: s.Replicas}
	if f.Replicas == 0 {
		f.Replicas = defaultReplicas
	}
	if f.Replicas < 2 {
		return f, fmt.Errorf("%d replicas: want at least 2 (functions are stateless)", f.Replicas)
	}
	if len(fn.Routes) == 0 {
		return f, fmt.Errorf("no routes")
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
