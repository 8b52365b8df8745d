package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// queueOptions are the flags of "loadtest queue".
type queueOptions struct {
	url        string
	adminToken string
	joins      int
	stock      int64
	admitRate  int64
	conns      int
	clientKind string
	sample     int
	startDelay time.Duration
	poll       time.Duration
	timeout    time.Duration
	reqTimeout time.Duration
	jsonFile   string
	quiet      bool
}

// queueSummary is the outcome of "loadtest queue"; --json-file writes it.
type queueSummary struct {
	URL         string         `json:"url"`
	ActivityID  string         `json:"activity_id"`
	Stock       int64          `json:"stock"`
	AdmitRate   int64          `json:"admit_rate"`
	Joins       int            `json:"joins"`
	Connections int            `json:"connections"`
	Client      string         `json:"client"`
	JoinS       float64        `json:"join_duration_s"`
	JoinsPerS   float64        `json:"joins_per_s"`
	JoinMS      latencies      `json:"join_latency_ms"`
	JoinErrors  int            `json:"join_errors"`
	ErrorKinds  map[string]int `json:"error_kinds,omitempty"`
	Joined      int64          `json:"joined"`
	Sampled     int            `json:"sampled"`
	Admitted    int            `json:"admitted"`
	AdmissionMS latencies      `json:"admission_latency_ms"`
	SinceStart  latencies      `json:"admitted_after_start_ms"`
	StatusCalls int64          `json:"status_calls"`
	Checks      []check        `json:"checks"`
	OK          bool           `json:"ok"`
	Note        string         `json:"note"`
}

func (s *queueSummary) addCheck(name string, ok bool, detail string) {
	s.Checks = append(s.Checks, check{Name: name, OK: ok, Detail: detail})
	s.OK = s.OK && ok
}

// queueMain runs "loadtest queue": the waiting room at scale. It creates a
// queue activity whose start is an hour away, sends --joins joins from
// distinct users as fast as the server answers (joins/s, join latency), then
// moves the start --start-delay ahead and, for a sample of the users the
// admission frontier reaches first, measures the admission latency: the
// time from the moment the frontier should reach a user's place (start +
// position / admit_rate) until the user's status answers admitted.
func queueMain(args []string, stdout, stderr io.Writer) int {
	var o queueOptions
	fs := flag.NewFlagSet("loadtest queue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "base URL of the deployment")
	fs.StringVar(&o.adminToken, "admin-token", os.Getenv("ADMIN_TOKEN"), "admin bearer token (default $ADMIN_TOKEN)")
	fs.IntVar(&o.joins, "joins", 1_000_000, "joins, each from a distinct user")
	fs.Int64Var(&o.stock, "stock", 10_000, "stock of the activity")
	fs.Int64Var(&o.admitRate, "admit-rate", 2000, "the activity's admit_rate (admissions per second)")
	fs.IntVar(&o.conns, "c", 64, "concurrent keep-alive connections")
	fs.StringVar(&o.clientKind, "client", "fasthttp", "HTTP client: fasthttp or nethttp")
	fs.IntVar(&o.sample, "sample", 200, "users whose admission latency is measured (drawn among the first --stock places)")
	fs.DurationVar(&o.startDelay, "start-delay", 3*time.Second, "the start is moved this far ahead once every join is answered")
	fs.DurationVar(&o.poll, "poll", 50*time.Millisecond, "how often a sampled user reads its status around its turn (the server allows a user 20 reads/s)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "bound on the whole run")
	fs.DurationVar(&o.reqTimeout, "request-timeout", 10*time.Second, "bound on one request")
	fs.StringVar(&o.jsonFile, "json-file", "", "also write the summary as JSON to this file")
	fs.BoolVar(&o.quiet, "quiet", false, "no live progress line")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.joins < 1 || o.stock < 1 || o.admitRate < 1 || o.conns < 1 || o.sample < 0 {
		fmt.Fprintln(stderr, "loadtest queue: --joins, --stock, --admit-rate and -c must be positive")
		return 2
	}
	if o.adminToken == "" {
		fmt.Fprintln(stderr, "loadtest queue: the admin token is needed: set ADMIN_TOKEN or --admin-token")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cl, err := newClient(o.clientKind, o.url, o.adminToken, o.conns, o.reqTimeout)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest queue: %v\n", err)
		return 2
	}
	defer cl.close()
	sum, err := runQueue(ctx, cl, o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest queue: %v\n", err)
		return 1
	}
	printQueueSummary(stdout, sum)
	if o.jsonFile != "" {
		b, _ := json.Marshal(sum)
		if err := os.WriteFile(o.jsonFile, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintf(stderr, "loadtest queue: %v\n", err)
			return 1
		}
	}
	if !sum.OK {
		return 1
	}
	return 0
}

// queueUserID is the ID of joiner u.
func queueUserID(u int) string { return "lq-" + strconv.Itoa(u) }

func runQueue(ctx context.Context, cl client, o queueOptions, progress io.Writer) (*queueSummary, error) {
	c := cl.caller()
	act, err := setupQueue(ctx, c, o)
	if err != nil {
		return nil, err
	}
	sum := &queueSummary{URL: o.url, ActivityID: act, Stock: o.stock, AdmitRate: o.admitRate, Joins: o.joins,
		Connections: o.conns, Client: o.clientKind, ErrorKinds: map[string]int{}, OK: true, Note: sameMachineNote}
	if o.quiet {
		progress = io.Discard
	}

	// Joins: every user once, before the start (a place drawn at random).
	lat := make([]time.Duration, o.joins)
	res := &results{users: o.joins, perUser: 1, errors: map[string]int{}}
	path := "/activities/" + act + "/queue"
	var next, done atomic.Int64
	stopProgress := startProgress(progress, "queue", o.joins, &done, res)
	start := time.Now()
	var wg sync.WaitGroup
	for range o.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cl.caller()
			body := make([]byte, 0, 64)
			var reply struct {
				Status string `json:"status"`
			}
			for ctx.Err() == nil {
				u := int(next.Add(1) - 1)
				if u >= o.joins {
					return
				}
				body = append(strconv.AppendInt(append(body[:0], `{"user_id":"lq-`...), int64(u), 10), `"}`...)
				t0 := time.Now()
				status, resp, err := c.do(ctx, "POST", path, body, false)
				lat[u] = time.Since(t0)
				done.Add(1)
				switch {
				case err != nil:
					res.addError("transport: " + errorKind(err))
				case status != 200:
					res.addError(fmt.Sprintf("status %d %s", status, errorCode(resp)))
				case json.Unmarshal(resp, &reply) != nil || reply.Status != "waiting":
					res.addError("not waiting: " + string(resp))
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()
	n := int(done.Load())
	sum.JoinS = elapsed.Seconds()
	sum.JoinsPerS = float64(n) / elapsed.Seconds()
	sum.JoinMS = percentiles(lat[:n])
	for k, v := range res.errors {
		sum.ErrorKinds[k] = v
		sum.JoinErrors += v
	}
	sum.addCheck("join_errors", n == o.joins && sum.JoinErrors == 0,
		fmt.Sprintf("%d of %d joins answered waiting", n-sum.JoinErrors, o.joins))
	var q struct {
		Joined int64 `json:"joined"`
	}
	if err := callJSON(ctx, c, "GET", "/console/queue/"+act, "", true, 200, &q); err != nil {
		return nil, err
	}
	sum.Joined = q.Joined
	sum.addCheck("joined", q.Joined == int64(o.joins-sum.JoinErrors),
		fmt.Sprintf("the queue holds %d places for %d answered joins", q.Joined, o.joins-sum.JoinErrors))

	// The sample: users whose place is within the first stock places, whom
	// the frontier reaches whatever the bound on admissions alive.
	type sampled struct {
		user     string
		position int64
	}
	var sample []sampled
	want := min(int64(o.sample), int64(n), o.stock)
	var status struct {
		Status   string `json:"status"`
		Position int64  `json:"position"`
	}
	for _, u := range rand.Perm(n) {
		if int64(len(sample)) >= want || ctx.Err() != nil {
			break
		}
		if err := callJSON(ctx, c, "GET", "/activities/"+act+"/queue/"+queueUserID(u), "", false, 200, &status); err != nil {
			return nil, err
		}
		if status.Status == "waiting" && status.Position <= o.stock {
			sample = append(sample, sampled{queueUserID(u), status.Position})
		}
	}
	sum.Sampled = len(sample)

	// The start, a moment ahead, as the server stored it.
	var a struct {
		StartsAt time.Time `json:"starts_at"`
	}
	startsAt := time.Now().Add(o.startDelay).UTC().Format(time.RFC3339Nano)
	if err := callJSON(ctx, c, "PATCH", "/activities/"+act, fmt.Sprintf(`{"starts_at":%q}`, startsAt), true, 200, &a); err != nil {
		return nil, fmt.Errorf("move the start: %w", err)
	}

	// Admission latency: each sampled user reads its status from a little
	// before its turn until it is admitted.
	admission := make([]time.Duration, len(sample))
	since := make([]time.Duration, len(sample))
	admitted := make([]bool, len(sample))
	var calls atomic.Int64
	deadline := a.StartsAt.Add(time.Duration(o.stock*int64(time.Second)/o.admitRate) + 30*time.Second)
	for i, s := range sample {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cl.caller()
			due := a.StartsAt.Add(time.Duration(s.position * int64(time.Second) / o.admitRate))
			time.Sleep(time.Until(due.Add(-2 * o.poll)))
			var st struct {
				Status string `json:"status"`
			}
			for ctx.Err() == nil && time.Now().Before(deadline) {
				calls.Add(1)
				code, resp, err := c.do(ctx, "GET", "/activities/"+act+"/queue/"+s.user, nil, false)
				now := time.Now()
				if err == nil && code == 200 && json.Unmarshal(resp, &st) == nil && st.Status == "admitted" {
					admission[i], since[i], admitted[i] = now.Sub(due), now.Sub(a.StartsAt), true
					return
				}
				time.Sleep(o.poll)
			}
		}()
	}
	wg.Wait()
	var adm, aft []time.Duration
	for i := range sample {
		if admitted[i] {
			adm, aft = append(adm, admission[i]), append(aft, since[i])
		}
	}
	sum.Admitted = len(adm)
	sum.AdmissionMS = percentiles(adm)
	sum.SinceStart = percentiles(aft)
	sum.StatusCalls = calls.Load()
	sum.addCheck("admitted", len(adm) == len(sample) && len(sample) == int(want),
		fmt.Sprintf("%d of %d sampled users admitted (%d wanted)", len(adm), len(sample), want))
	return sum, nil
}

// setupQueue creates a product and a queue activity whose queue is open and
// whose start is an hour away (moved closer once the joins are in).
func setupQueue(ctx context.Context, c caller, o queueOptions) (string, error) {
	var p struct {
		ID string `json:"id"`
	}
	if err := callJSON(ctx, c, "POST", "/products", `{"name":"load test queue","description":"created by scripts/loadtest queue","price":100}`, true, 201, &p); err != nil {
		return "", fmt.Errorf("create product: %w", err)
	}
	now := time.Now().UTC()
	body := fmt.Sprintf(`{"product_id":%q,"stock":%d,"price":100,"starts_at":%q,"ends_at":%q,"admission":"queue","queue_opens_at":%q,"admit_rate":%d,"admission_ttl":3600}`,
		p.ID, o.stock, now.Add(time.Hour).Format(time.RFC3339), now.Add(2*time.Hour+o.timeout).Format(time.RFC3339),
		now.Add(-time.Minute).Format(time.RFC3339), o.admitRate)
	var a struct {
		ID string `json:"id"`
	}
	if err := callJSON(ctx, c, "POST", "/activities", body, true, 201, &a); err != nil {
		return "", fmt.Errorf("create activity: %w", err)
	}
	return a.ID, nil
}

func printQueueSummary(w io.Writer, s *queueSummary) {
	fmt.Fprintf(w, "waiting room: activity %s, %d units, admit_rate %d/s, %d connections (%s)\n", s.ActivityID, s.Stock, s.AdmitRate, s.Connections, s.Client)
	fmt.Fprintf(w, "joins:      %d in %.2fs = %.0f joins/s; latency ms p50 %.2f p90 %.2f p99 %.2f max %.2f; %d errors\n",
		s.Joins, s.JoinS, s.JoinsPerS, s.JoinMS.P50, s.JoinMS.P90, s.JoinMS.P99, s.JoinMS.Max, s.JoinErrors)
	for k, v := range s.ErrorKinds {
		fmt.Fprintf(w, "  %6d  %s\n", v, k)
	}
	fmt.Fprintf(w, "admission:  %d of %d sampled users admitted; ms after their turn (start + position / admit_rate): p50 %.0f p90 %.0f p99 %.0f max %.0f\n",
		s.Admitted, s.Sampled, s.AdmissionMS.P50, s.AdmissionMS.P90, s.AdmissionMS.P99, s.AdmissionMS.Max)
	fmt.Fprintf(w, "            ms after the start: p50 %.0f p99 %.0f max %.0f; %d status reads\n",
		s.SinceStart.P50, s.SinceStart.P99, s.SinceStart.Max, s.StatusCalls)
	for _, c := range s.Checks {
		mark := "PASS"
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "check %-12s %s  %s\n", c.Name, mark, c.Detail)
	}
	fmt.Fprintf(w, "note: %s\n", s.Note)
}
