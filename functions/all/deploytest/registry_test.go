package deploytest

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"seckill/functions/all"
	"seckill/functions/server"
)

// target is one binary: a single function, or "all" (every function on one
// port, the image built with FUNCTION=all).
type target struct {
	Name string
	Fns  []server.Function
}

// allInOne is the FUNCTION of the all-in-one image.
const allInOne = "all"

func targets() []target {
	ts := make([]target, 0, len(all.Functions)+1)
	for _, fn := range all.Functions {
		ts = append(ts, target{Name: fn.Name, Fns: []server.Function{fn}})
	}
	return append(ts, target{Name: allInOne, Fns: all.Functions})
}

// registryNames returns the names of the registry's functions as a set.
func registryNames() map[string]bool {
	names := map[string]bool{}
	for _, fn := range all.Functions {
		names[fn.Name] = true
	}
	return names
}

// registryFunction returns the registry's function called name.
func registryFunction(name string) (server.Function, bool) {
	for _, fn := range all.Functions {
		if fn.Name == name {
			return fn, true
		}
	}
	return server.Function{}, false
}

// pathRegexp returns the anchored regexp of the request paths a Fiber route
// path matches: each :param is one non-empty segment.
func pathRegexp(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") {
			segs[i] = "[^/]+"
		} else {
			segs[i] = regexp.QuoteMeta(s)
		}
	}
	return "^/" + strings.Join(segs, "/") + "$"
}

// samplePath fills every :param of a route path with a valid ID.
func samplePath(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") {
			segs[i] = "x1"
		}
	}
	return strings.Join(segs, "/")
}

// gatewayRule is the Traefik rule of a route: the method and the exact path,
// or the anchored path regexp when the path has parameters.
func gatewayRule(r server.Route) string {
	if !strings.Contains(r.Path, ":") {
		return "Method(`" + r.Method + "`) && Path(`" + r.Path + "`)"
	}
	return "Method(`" + r.Method + "`) && PathRegexp(`" + pathRegexp(r.Path) + "`)"
}

// routeKey names a route in messages: "GET /products/:id".
func routeKey(r server.Route) string { return r.Method + " " + r.Path }

// repoRoot returns the module's root directory (where go.mod is).
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// sortedKeys returns the keys of a set, sorted, for stable messages.
func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkSameNames fails the test naming the functions in want (the registry)
// missing from got (a deployment), and the ones got names that the registry
// does not have.
func checkSameNames(t *testing.T, where string, got map[string]bool) {
	t.Helper()
	want := registryNames()
	var missing, unknown []string
	for _, n := range sortedKeys(want) {
		if !got[n] {
			missing = append(missing, n)
		}
	}
	for _, n := range sortedKeys(got) {
		if !want[n] {
			unknown = append(unknown, n)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s: registry functions missing: %v", where, missing)
	}
	if len(unknown) > 0 {
		t.Errorf("%s: functions not in the registry (functions/all/all.go): %v", where, unknown)
	}
}
