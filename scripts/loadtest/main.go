// Command loadtest drives a running seckill deployment through its public
// HTTP API only, so it works against any deployment: it creates a product and
// an activity with the admin API, lets many distinct users each send purchase
// requests concurrently over keep-alive connections, prints a summary
// (throughput, latency percentiles, outcomes, HTTP errors) and verifies the
// sale: exactly the expected winners, no user with two orders, every winner's
// result query agrees with what the purchase answered, and the activity's
// remaining stock adds up. It exits 1 when any check fails.
//
// Scenarios:
//
//	original     stock S (default 1,000); U = 100*S users each send two
//	             purchase requests: 99% of the traffic is sold-out answers.
//	writes-only  stock = number of requests and one request per user, so
//	             every request wins and writes (and Redis fsyncs): the
//	             contended path.
//
// The sub-command "coldstart" measures how long one function binary takes
// from process start to its first 200 on /readyz; "ceiling" serves the
// fastest possible purchase answer (a Go map behind a bare Fiber handler), the
// limit of this machine that scripts/bench.sh measures beside the server;
// "queue" measures the waiting room at scale (joins/s, admission latency).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Scenario names.
const (
	scenarioOriginal   = "original"
	scenarioWritesOnly = "writes-only"
)

type options struct {
	url           string
	adminToken    string
	scenario      string
	stock         int64
	users         int
	perUser       int
	conns         int
	clientKind    string
	json          bool
	jsonFile      string
	timeout       time.Duration
	reqTimeout    time.Duration
	verifyLosers  string
	paymentWindow int64
	shards        int
	quiet         bool
	cpuProfile    string
	userJWTSecret string
	userJWTKey    string
	// tokens is the Authorization header of each user (nil: none sent).
	tokens []string
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "coldstart" {
		os.Exit(coldStartMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 && os.Args[1] == "queue" {
		os.Exit(queueMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 && os.Args[1] == "ceiling" {
		os.Exit(ceilingMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: loadtest [flags]\n       loadtest coldstart --bin PATH --redis HOST:PORT [flags]\n       loadtest ceiling [--port N]\n       loadtest queue [--joins N --stock S --admit-rate R] [flags]\n\n"+
			"Drives a seckill deployment through its public HTTP API and verifies the sale.\n\nflags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "base URL of the deployment")
	fs.StringVar(&o.adminToken, "admin-token", os.Getenv("ADMIN_TOKEN"), "admin bearer token (default $ADMIN_TOKEN)")
	fs.StringVar(&o.scenario, "scenario", scenarioOriginal, "original or writes-only")
	fs.Int64Var(&o.stock, "stock", 1000, "stock S of the activity (original scenario)")
	fs.IntVar(&o.users, "users", 0, "distinct users U (default 100*S in the original scenario, 20,000 in writes-only)")
	fs.IntVar(&o.perUser, "requests-per-user", 0, "purchase requests per user (default 2 in original, 1 in writes-only)")
	fs.IntVar(&o.conns, "c", 64, "concurrent keep-alive connections")
	fs.StringVar(&o.clientKind, "client", "fasthttp", "HTTP client: fasthttp or nethttp")
	fs.BoolVar(&o.json, "json", false, "write the summary as one JSON object on stdout (the table goes to stderr)")
	fs.StringVar(&o.jsonFile, "json-file", "", "also write the JSON summary to this file")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "bound on the whole run; the run fails when it is reached")
	fs.DurationVar(&o.reqTimeout, "request-timeout", 10*time.Second, "bound on one request")
	fs.StringVar(&o.verifyLosers, "verify-losers", "1000", "losers whose result query is checked: a number (a random sample) or all")
	fs.Int64Var(&o.paymentWindow, "payment-window", 900, "payment window of the activity in seconds")
	fs.IntVar(&o.shards, "shards", 1, "stock buckets of the activity (1 to 64; more than 1 spreads it over a cluster's primaries)")
	fs.BoolVar(&o.quiet, "quiet", false, "no live progress line")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the load generator to this file")
	fs.StringVar(&o.userJWTSecret, "user-jwt-secret", "", "the server's USER_JWT_SECRET: send each user an HS256 token, signed before the load")
	fs.StringVar(&o.userJWTKey, "user-jwt-key", "", "PEM RSA private key whose public key the server has: send each user an RS256 token, signed before the load")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch o.scenario {
	case scenarioOriginal:
		if o.perUser == 0 {
			o.perUser = 2
		}
		if o.users == 0 {
			o.users = int(100 * o.stock)
		}
	case scenarioWritesOnly:
		if o.perUser == 0 {
			o.perUser = 1
		}
		if o.users == 0 {
			o.users = 20000
		}
		// Stock covers every request, so every request that is not a user's
		// repeat wins and writes.
		o.stock = int64(o.users * o.perUser)
	default:
		return o, fmt.Errorf("--scenario %q: want %s or %s", o.scenario, scenarioOriginal, scenarioWritesOnly)
	}
	if o.shards < 1 || o.shards > 64 {
		return o, errors.New("--shards must be 1 to 64")
	}
	if o.stock < 1 || o.users < 1 || o.perUser < 1 || o.conns < 1 {
		return o, errors.New("--stock, --users, --requests-per-user and -c must be positive")
	}
	if o.adminToken == "" {
		return o, errors.New("the admin token is needed to create the product and the activity: set ADMIN_TOKEN or --admin-token")
	}
	if o.verifyLosers != "all" {
		if n, err := strconv.Atoi(o.verifyLosers); err != nil || n < 0 {
			return o, fmt.Errorf("--verify-losers %q: want a number >= 0 or all", o.verifyLosers)
		}
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 2
	}
	if o.tokens, err = signUserTokens(o.users, o.userJWTSecret, o.userJWTKey); err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	cl, err := newClient(o.clientKind, o.url, o.adminToken, o.conns, o.reqTimeout)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 2
	}
	defer cl.close()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "loadtest: %v\n", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "loadtest: %v\n", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}

	sum, err := loadAndVerify(ctx, cl, o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 1
	}
	table := stdout
	if o.json {
		table = stderr
	}
	printSummary(table, sum)
	if o.json || o.jsonFile != "" {
		b, _ := json.Marshal(sum)
		b = append(b, '\n')
		if o.json {
			_, _ = stdout.Write(b)
		}
		if o.jsonFile != "" {
			if err := os.WriteFile(o.jsonFile, b, 0o644); err != nil {
				fmt.Fprintf(stderr, "loadtest: %v\n", err)
				return 1
			}
		}
	}
	if !sum.OK {
		return 1
	}
	return 0
}

// loadAndVerify sets up the activity, runs the load and checks the outcome.
func loadAndVerify(ctx context.Context, cl client, o options, progress io.Writer) (*summary, error) {
	c := cl.caller()
	act, err := setup(ctx, c, o)
	if err != nil {
		return nil, err
	}
	if o.quiet {
		progress = io.Discard
	}
	res := runLoad(ctx, cl, o, act, progress)
	sum := newSummary(o, act, res)
	if ctx.Err() != nil {
		sum.addCheck("completed", false, fmt.Sprintf("the run stopped early (%v) after %d of %d requests", context.Cause(ctx), res.done, res.total()))
	}
	verify(ctx, cl, o, act, res, sum)
	return sum, nil
}

// setup creates the product and the activity through the admin API.
func setup(ctx context.Context, c caller, o options) (string, error) {
	var p struct {
		ID string `json:"id"`
	}
	body := fmt.Sprintf(`{"name":"load test %s","description":"created by scripts/loadtest","price":100}`, o.scenario)
	if err := callJSON(ctx, c, "POST", "/products", body, true, 201, &p); err != nil {
		return "", fmt.Errorf("create product: %w", err)
	}
	now := time.Now().UTC()
	shards := ""
	if o.shards > 1 { // a deployment without stock buckets refuses the field
		shards = fmt.Sprintf(`,"shards":%d`, o.shards)
	}
	body = fmt.Sprintf(`{"product_id":%q,"stock":%d,"price":100,"starts_at":%q,"ends_at":%q,"payment_window":%d%s}`,
		p.ID, o.stock, now.Add(-5*time.Minute).Format(time.RFC3339), now.Add(time.Hour+o.timeout).Format(time.RFC3339), o.paymentWindow, shards)
	var a struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := callJSON(ctx, c, "POST", "/activities", body, true, 201, &a); err != nil {
		return "", fmt.Errorf("create activity: %w", err)
	}
	if a.Status != "running" {
		return "", fmt.Errorf("create activity: status %q, want running", a.Status)
	}
	return a.ID, nil
}

// callJSON sends one request and decodes the answer, which must have status want.
func callJSON(ctx context.Context, c caller, method, path, body string, admin bool, want int, v any) error {
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	status, resp, err := c.do(ctx, method, path, b, admin)
	if err != nil {
		return err
	}
	if status != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, path, status, want, strings.TrimSpace(string(resp)))
	}
	if err := json.Unmarshal(resp, v); err != nil {
		return fmt.Errorf("%s %s: %w: %s", method, path, err, resp)
	}
	return nil
}
