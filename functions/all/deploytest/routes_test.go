package deploytest

import (
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"testing"

	"gopkg.in/yaml.v3"

	"seckill/functions/all"
	"seckill/functions/server"
)

// routesFile is where the gateway routes live: under the kustomization root
// (kustomize reads no file outside it) and mounted from there by compose.
const routesFile = "deploy/k8s/gateway/routes.yaml"

// knativeRoutesFile is the gateway routes of the Knative variants.
const knativeRoutesFile = "deploy/k8s/knative/routes.yaml"

// traefikDynamic is the part of Traefik's dynamic configuration the gateway uses.
type traefikDynamic struct {
	HTTP struct {
		Routers map[string]struct {
			EntryPoints []string `yaml:"entryPoints"`
			Rule        string   `yaml:"rule"`
			Service     string   `yaml:"service"`
			Middlewares []string `yaml:"middlewares"`
		} `yaml:"routers"`
		Services map[string]struct {
			LoadBalancer struct {
				PassHostHeader *bool `yaml:"passHostHeader"`
				Servers        []struct {
					URL string `yaml:"url"`
				} `yaml:"servers"`
			} `yaml:"loadBalancer"`
		} `yaml:"services"`
	} `yaml:"http"`
}

func readRoutes(t *testing.T) traefikDynamic { return readRoutesFile(t, routesFile) }

func readRoutesFile(t *testing.T, file string) traefikDynamic {
	t.Helper()
	var d traefikDynamic
	dec := yaml.NewDecoder(bytesReader(readFile(t, file)))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return d
}

// TestKnativeGatewayRoutes checks the gateway routes of the Knative
// variants: the same routers as routesFile (which
// TestGatewayRoutesMatchRegistry checks against the registry), and one
// service per function at its Knative Service's cluster-local host, sending
// that host (Knative's ingress routes by it) rather than the client's.
func TestKnativeGatewayRoutes(t *testing.T) {
	kn, d := readRoutesFile(t, knativeRoutesFile), readRoutes(t)
	if !reflect.DeepEqual(kn.HTTP.Routers, d.HTTP.Routers) {
		t.Errorf("the routers of %s differ from those of %s", knativeRoutesFile, routesFile)
	}
	services := map[string]bool{}
	for name, s := range kn.HTTP.Services {
		services[name] = true
		lb := s.LoadBalancer
		want := "http://" + name + ".seckill.svc.cluster.local"
		if len(lb.Servers) != 1 || lb.Servers[0].URL != want {
			t.Errorf("service %s: servers %+v, want one: %s", name, lb.Servers, want)
		}
		if lb.PassHostHeader == nil || *lb.PassHostHeader {
			t.Errorf("service %s: passHostHeader %v, want false (Knative routes by the Host header)", name, lb.PassHostHeader)
		}
	}
	checkSameNames(t, knativeRoutesFile+" services", services)
}

// ruleSyntax is the only rule form the gateway uses, so that the test can
// evaluate it exactly as Traefik does: Method(`M`) && Path(`/exact`) or
// Method(`M`) && PathRegexp(`Go regexp`).
var ruleSyntax = regexp.MustCompile("^Method\\(`([A-Z]+)`\\) && (Path|PathRegexp)\\(`([^`]+)`\\)$")

// gatewayRoute is a parsed router rule.
type gatewayRoute struct {
	Router, Service, Method string
	Path                    *regexp.Regexp
}

func (g gatewayRoute) matches(method, path string) bool {
	return g.Method == method && g.Path.MatchString(path)
}

// TestGatewayRoutesMatchRegistry checks the gateway routes against the
// registry in both directions: each route of each function has exactly its
// router (method and path, to the function's service), each router and
// service belongs to a registry function, and routing every registry route
// through the routers as Traefik would reaches its own function and no other.
func TestGatewayRoutesMatchRegistry(t *testing.T) {
	d := readRoutes(t)
	if len(d.HTTP.Routers) == 0 {
		t.Fatalf("%s has no routers", routesFile)
	}

	var routes []gatewayRoute
	byRule := map[string]string{} // rule -> router
	routed := map[string]bool{}
	for _, name := range sortedMapKeys(d.HTTP.Routers) {
		r := d.HTTP.Routers[name]
		m := ruleSyntax.FindStringSubmatch(r.Rule)
		if m == nil {
			t.Errorf("router %s: rule %q is not Method(`M`) && Path(`p`) or PathRegexp(`re`)", name, r.Rule)
			continue
		}
		expr := "^" + regexp.QuoteMeta(m[3]) + "$"
		if m[2] == "PathRegexp" {
			expr = m[3]
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			t.Errorf("router %s: %v", name, err)
			continue
		}
		if prev, dup := byRule[r.Rule]; dup {
			t.Errorf("routers %s and %s have the same rule %s", prev, name, r.Rule)
		}
		byRule[r.Rule] = name
		if !slices.Equal(r.EntryPoints, []string{"web"}) {
			t.Errorf("router %s: entryPoints %v, want [web]", name, r.EntryPoints)
		}
		routes = append(routes, gatewayRoute{Router: name, Service: r.Service, Method: m[1], Path: re})
		routed[r.Service] = true

		// Reverse: the router is exactly a route of its function.
		fn, ok := registryFunction(r.Service)
		if !ok {
			continue // reported below by name
		}
		if !slices.ContainsFunc(fn.Routes, func(fr server.Route) bool { return gatewayRule(fr) == r.Rule }) {
			t.Errorf("router %s: rule %s is not a route of %s %v", name, r.Rule, fn.Name, routeKeys(fn.Routes))
		}
	}
	checkSameNames(t, routesFile+" routers' services", routed)

	// Services: one per function, at http://<function>:8080.
	services := map[string]bool{}
	for name, s := range d.HTTP.Services {
		services[name] = true
		servers := s.LoadBalancer.Servers
		if len(servers) != 1 {
			t.Errorf("service %s: %d servers, want 1", name, len(servers))
			continue
		}
		u, err := url.Parse(servers[0].URL)
		if err != nil || u.Scheme != "http" || u.Host != name+":8080" || (u.Path != "" && u.Path != "/") {
			t.Errorf("service %s: server %q, want http://%s:8080", name, servers[0].URL, name)
		}
	}
	checkSameNames(t, routesFile+" services", services)

	// Forward: every registry route has its rule, and routes only to its function.
	for _, fn := range all.Functions {
		for _, r := range fn.Routes {
			router, ok := byRule[gatewayRule(r)]
			if !ok {
				t.Errorf("%s %s: no router with rule %s", fn.Name, routeKey(r), gatewayRule(r))
			} else if d.HTTP.Routers[router].Service != fn.Name {
				t.Errorf("%s %s: router %s goes to %s", fn.Name, routeKey(r), router, d.HTTP.Routers[router].Service)
			}
			var hits []string
			for _, g := range routes {
				for _, path := range []string{samplePath(r.Path), fillPath(r.Path, "Z_9")} {
					if g.matches(r.Method, path) && !slices.Contains(hits, g.Router) {
						hits = append(hits, g.Router)
					}
				}
			}
			if len(hits) != 1 {
				t.Errorf("%s %s matches routers %v, want exactly one (ambiguous or missing)", fn.Name, routeKey(r), hits)
			}
		}
	}
}

// fillPath fills every :param of a route path with v.
func fillPath(path, v string) string {
	return regexp.MustCompile(`:[A-Za-z_]+`).ReplaceAllString(path, v)
}

func routeKeys(rs []server.Route) []string {
	var out []string
	for _, r := range rs {
		out = append(out, routeKey(r))
	}
	return out
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
