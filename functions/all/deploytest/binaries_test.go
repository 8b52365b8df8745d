package deploytest

import (
	"bufio"
	"bytes"
	"debug/elf"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/kelseyhightower/envconfig"

	"seckill/functions/all"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib/redistest"
)

// maxBinarySize is the largest a function's binary may be.
const maxBinarySize = 30_000_000

// TestEveryFunctionBuildsAsItsOwnBinary builds every registry function (and
// the all-in-one command) the way the Dockerfile does, checks the binary is
// static, stripped and under 30 MB, runs it against a real Redis, and checks
// that it serves its own routes and answers 404 (or 405, where it serves the
// same path with another method) for every other function's routes. It logs
// each binary's size and start-up time (process start to the first 200 on
// /readyz), and stops each with SIGTERM, which must exit 0.
func TestEveryFunctionBuildsAsItsOwnBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every function: not in -short mode")
	}
	srv := redistest.Start(t)
	var startups []time.Duration
	for _, tg := range targets() {
		t.Run(tg.Name, func(t *testing.T) {
			bin := buildBinary(t, tg.Name)
			checkBinaryFile(t, bin)

			p := startBinary(t, bin, srv.Addr)
			startup := p.waitReady(t)
			startups = append(startups, startup)
			t.Logf("%s: start-up to first 200 on /readyz %v", tg.Name, startup.Round(100*time.Microsecond))

			checkServesOnlyItsRoutes(t, p, tg.Fns)
			checkHealthcheck(t, bin, p.Port, 0)

			p.signal(t, syscall.SIGTERM)
			if code := p.wait(t, 20*time.Second); code != 0 {
				t.Errorf("exit code after SIGTERM = %d, want 0", code)
			}
		})
	}
	if len(startups) > 0 {
		slices.Sort(startups)
		t.Logf("start-up of %d binaries: min %v, median %v, max %v", len(startups),
			startups[0].Round(100*time.Microsecond), startups[len(startups)/2].Round(100*time.Microsecond),
			startups[len(startups)-1].Round(100*time.Microsecond))
	}
}

// checkBinaryFile logs the size and checks the Dockerfile's flags took
// effect: no dynamic loader (CGO_ENABLED=0), no symbol table (-s).
func checkBinaryFile(t *testing.T, bin string) {
	t.Helper()
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("binary size %.2f MB (%d bytes)", float64(st.Size())/1e6, st.Size())
	if st.Size() > maxBinarySize {
		t.Errorf("binary is %d bytes, over the limit of %d", st.Size(), maxBinarySize)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP || prog.Type == elf.PT_DYNAMIC {
			t.Errorf("binary is dynamically linked (%v): it would not run on distroless/static", prog.Type)
		}
	}
	if f.Section(".symtab") != nil {
		t.Error("binary has a symbol table: not stripped (-ldflags=-s)")
	}
}

// checkServesOnlyItsRoutes sends every route of the registry to the process.
// Its own routes must reach a handler: anything but the router's 404
// not_found or 405. Other functions' routes must get the router's 404
// not_found, or 405 method_not_allowed when the process serves that path
// with another method.
func checkServesOnlyItsRoutes(t *testing.T, p *proc, fns []server.Function) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	var own []server.Route
	for _, fn := range fns {
		own = append(own, fn.Routes...)
	}
	isOwn := func(r server.Route) bool {
		return slices.ContainsFunc(own, func(o server.Route) bool { return o.Method == r.Method && o.Path == r.Path })
	}
	for _, path := range []string{"/livez", "/readyz"} {
		if got, err := send(client, fiber.MethodGet, p.Base+path, "", false); err != nil || got.Status != http.StatusOK {
			t.Errorf("GET %s = %+v, %v; want 200", path, got, err)
		}
	}
	for _, fn := range all.Functions {
		for _, r := range fn.Routes {
			body := ""
			if r.Method != fiber.MethodGet && r.Method != fiber.MethodDelete {
				body = "{}"
			}
			got, err := send(client, r.Method, p.Base+samplePath(r.Path), body, true)
			if err != nil {
				t.Errorf("%s: %v", routeKey(r), err)
				continue
			}
			routerMiss := got.Status == http.StatusNotFound && got.Code == httpapi.CodeNotFound ||
				got.Status == http.StatusMethodNotAllowed
			if isOwn(r) {
				if routerMiss {
					t.Errorf("own route %s (%s) is not served: %d %s", routeKey(r), fn.Name, got.Status, got.Body)
				}
				continue
			}
			wantStatus, wantCode := http.StatusNotFound, httpapi.CodeNotFound
			for _, o := range own {
				if regexp.MustCompile(pathRegexp(o.Path)).MatchString(samplePath(r.Path)) {
					if o.Method == r.Method {
						t.Errorf("route %s of %s collides with own route %s", routeKey(r), fn.Name, routeKey(o))
					}
					wantStatus, wantCode = http.StatusMethodNotAllowed, httpapi.CodeMethodNotAllowed
				}
			}
			if got.Status != wantStatus || got.Code != wantCode {
				t.Errorf("route %s of %s: got %d %s, want %d %s", routeKey(r), fn.Name, got.Status, got.Body, wantStatus, wantCode)
			}
		}
	}
}

// checkHealthcheck runs bin -healthcheck against port and checks its exit code.
func checkHealthcheck(t *testing.T, bin string, port int, want int) {
	t.Helper()
	cmd := exec.Command(bin, "-healthcheck")
	cmd.Env = []string{"PORT=" + strconv.Itoa(port)}
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("-healthcheck: %v", err)
		}
		code = ee.ExitCode()
	}
	if code != want {
		t.Errorf("-healthcheck on port %d exited %d, want %d: %s", port, code, want, out)
	}
}

// TestHealthcheckFailsWhenNothingServes checks -healthcheck's failure side.
func TestHealthcheckFailsWhenNothingServes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a function: not in -short mode")
	}
	checkHealthcheck(t, buildBinary(t, all.Functions[0].Name), redistest.FreePort(t), 1)
}

// TestEveryBinaryPrintsItsConfigurationAndRoutes runs every binary with -h
// and --help: exit 0, every environment variable with its type, default and
// whether it is required, and exactly its own routes (plus the health routes
// every function serves).
func TestEveryBinaryPrintsItsConfigurationAndRoutes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every function: not in -short mode")
	}
	keys := envKeys(t)
	for _, tg := range targets() {
		t.Run(tg.Name, func(t *testing.T) {
			bin := buildBinary(t, tg.Name)
			want := map[string]bool{"GET /livez": true, "GET /readyz": true}
			for _, fn := range tg.Fns {
				for _, r := range fn.Routes {
					want[routeKey(r)] = true
				}
			}
			for _, flag := range []string{"-h", "--help"} {
				cmd := exec.Command(bin, flag)
				cmd.Env = []string{}
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("%s %s: %v", tg.Name, flag, err)
				}
				vars, routes := parseUsage(out)
				for _, h := range []string{"KEY", "TYPE", "DEFAULT", "REQUIRED", "DESCRIPTION"} {
					if !strings.Contains(string(out), h) {
						t.Errorf("%s: usage has no %s column:\n%s", flag, h, out)
					}
				}
				for _, k := range keys {
					if !vars[k] {
						t.Errorf("%s: usage does not list %s:\n%s", flag, k, out)
					}
				}
				for r := range want {
					if !routes[r] {
						t.Errorf("%s: usage does not list route %s:\n%s", flag, r, out)
					}
				}
				for r := range routes {
					if !want[r] && r != "GET /metrics" {
						t.Errorf("%s: usage lists %s, which %s does not serve", flag, r, tg.Name)
					}
				}
			}
		})
	}
}

// envKeys returns every environment variable a function reads, from the
// same structs Run reads them into.
func envKeys(t *testing.T) []string {
	t.Helper()
	var spec struct {
		server.Config
		server.RedisConfig
	}
	var buf bytes.Buffer
	if err := envconfig.Usagef("", &spec, &buf, "{{range .}}{{usage_key .}}\n{{end}}"); err != nil {
		t.Fatal(err)
	}
	keys := strings.Fields(buf.String())
	if len(keys) < 10 {
		t.Fatalf("only %d configuration variables found: %v", len(keys), keys)
	}
	return keys
}

// parseUsage reads the variables (first column of the table) and the routes
// ("METHOD /path" lines after "Routes:") of a usage text.
func parseUsage(out []byte) (vars, routes map[string]bool) {
	vars, routes = map[string]bool{}, map[string]bool{}
	inRoutes := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 0:
		case f[0] == "Routes:":
			inRoutes = true
		case inRoutes && len(f) >= 2 && strings.HasPrefix(f[1], "/"):
			routes[f[0]+" "+f[1]] = true
		case !inRoutes:
			vars[f[0]] = true
		}
	}
	return vars, routes
}
