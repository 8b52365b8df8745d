package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Outcomes of one purchase request. outNone is a request never sent (the
// run stopped early); outError is any answer that is not a 200 with a known
// outcome: a transport error, a non-200 status or a bad body.
const (
	outNone uint8 = iota
	outError
	outWon
	outAlreadyWon
	outSoldOut
	outNotStarted
	outEnded
	outCancelled
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"not_sent", "error", "won", "already_won", "sold_out", "not_started", "ended", "cancelled"}

func parseOutcome(s string) (uint8, bool) {
	for i := outWon; i < numOutcomes; i++ {
		if outcomeNames[i] == s {
			return i, true
		}
	}
	return outError, false
}

// results holds what every request got, indexed by request number r; the
// request is made by user r/perUser. Each slot is written by one worker only.
type results struct {
	users, perUser int
	outcome        []uint8
	orderID        []string
	latency        []time.Duration
	done           int64
	elapsed        time.Duration
	cpu            time.Duration // CPU time of this process during the load

	mu     sync.Mutex
	errors map[string]int // "status 503 store_unavailable", "transport: ..."
}

func (r *results) total() int { return r.users * r.perUser }

func (r *results) addError(kind string) {
	r.mu.Lock()
	r.errors[kind]++
	r.mu.Unlock()
}

// cpuTime returns the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// userID is the ID of user u in this run. Every run has its own activity, so
// the IDs only need to be distinct within it.
func userID(u int) string { return "lt-" + strconv.Itoa(u) }

func appendUserID(b []byte, u int) []byte {
	return strconv.AppendInt(append(b, "lt-"...), int64(u), 10)
}

// runLoad sends every purchase request with o.conns workers. Requests are
// handed out in order, so the requests of one user are adjacent and taken by
// different workers at nearly the same moment: they race each other.
func runLoad(ctx context.Context, cl client, o options, activityID string, progress io.Writer) *results {
	res := &results{users: o.users, perUser: o.perUser, errors: map[string]int{}}
	n := res.total()
	res.outcome = make([]uint8, n)
	res.orderID = make([]string, n)
	res.latency = make([]time.Duration, n)

	path := "/activities/" + activityID + "/purchase"
	var next, done atomic.Int64
	stopProgress := startProgress(progress, o.scenario, n, &done, res)
	cpu0 := cpuTime()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < o.conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cl.caller()
			body := make([]byte, 0, 64)
			var reply struct {
				Outcome string `json:"outcome"`
				OrderID string `json:"order_id"`
			}
			for ctx.Err() == nil {
				r := int(next.Add(1) - 1)
				if r >= n {
					return
				}
				body = append(appendUserID(append(body[:0], `{"user_id":"`...), r/o.perUser), `"}`...)
				if o.tokens != nil {
					c.setUser(o.tokens[r/o.perUser])
				}
				t0 := time.Now()
				status, resp, err := c.do(ctx, "POST", path, body, false)
				res.latency[r] = time.Since(t0)
				done.Add(1)
				res.outcome[r] = outError
				switch {
				case err != nil:
					res.addError("transport: " + errorKind(err))
					continue
				case status != 200:
					res.addError(fmt.Sprintf("status %d %s", status, errorCode(resp)))
					continue
				}
				reply.Outcome, reply.OrderID = "", ""
				if !parsePlainReply(resp, &reply.Outcome, &reply.OrderID) {
					if err := json.Unmarshal(resp, &reply); err != nil {
						res.addError("bad body: " + err.Error())
						continue
					}
				}
				out, ok := parseOutcome(reply.Outcome)
				if !ok {
					res.addError("unknown outcome " + strconv.Quote(reply.Outcome))
					continue
				}
				res.outcome[r] = out
				if out == outWon || out == outAlreadyWon {
					res.orderID[r] = reply.OrderID
				}
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.cpu = cpuTime() - cpu0
	res.done = done.Load()
	stopProgress()
	return res
}

// parsePlainReply reads the two usual shapes of a purchase answer,
// {"outcome":"..."} and {"outcome":"...","order_id":"..."}, with values free
// of escapes, without the general JSON decoder (it is a tenth of the load
// generator's CPU otherwise). It reports false for anything else, which is
// then decoded in full.
func parsePlainReply(b []byte, outcome, orderID *string) bool {
	const head, mid = `{"outcome":"`, `","order_id":"`
	if len(b) < len(head)+2 || string(b[:len(head)]) != head || string(b[len(b)-2:]) != `"}` {
		return false
	}
	body := string(b[len(head) : len(b)-2])
	out, id := body, ""
	if i := strings.Index(body, mid); i >= 0 {
		out, id = body[:i], body[i+len(mid):]
	}
	if strings.ContainsAny(out, `"\`) || strings.ContainsAny(id, `"\`) {
		return false
	}
	*outcome, *orderID = out, id
	return true
}

// errorCode returns the error code of an error body, or a short excerpt.
func errorCode(body []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		return e.Error.Code
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return strconv.Quote(s)
}

// errorKind shortens a transport error to a class worth counting.
func errorKind(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "run deadline or interrupt"
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && len(s)-i < 60 {
		return s[i+2:]
	}
	return s
}

// startProgress prints a live progress line on w until the returned function
// is called. On a terminal the line is redrawn in place; otherwise a line is
// printed every 2 seconds.
func startProgress(w io.Writer, scenario string, total int, done *atomic.Int64, res *results) func() {
	if w == io.Discard {
		return func() {}
	}
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	every := 2 * time.Second
	if tty {
		every = 250 * time.Millisecond
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		start, last, lastDone := time.Now(), time.Now(), int64(0)
		line := func(final bool) {
			d := done.Load()
			now := time.Now()
			rate := float64(d-lastDone) / now.Sub(last).Seconds()
			if final {
				rate = float64(d) / now.Sub(start).Seconds()
			}
			last, lastDone = now, d
			res.mu.Lock()
			errs := 0
			for _, n := range res.errors {
				errs += n
			}
			res.mu.Unlock()
			msg := fmt.Sprintf("[%s] %d/%d requests (%3.0f%%)  %8.0f req/s  %d errors  %5.1fs",
				scenario, d, total, 100*float64(d)/float64(total), rate, errs, now.Sub(start).Seconds())
			switch {
			case tty && final:
				fmt.Fprintf(w, "\r\033[K%s\n", msg)
			case tty:
				fmt.Fprintf(w, "\r\033[K%s", msg)
			default:
				fmt.Fprintln(w, msg)
			}
		}
		for {
			select {
			case <-stop:
				line(true)
				return
			case <-t.C:
				line(false)
			}
		}
	}()
	return func() { close(stop); <-finished }
}
