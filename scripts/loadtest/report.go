package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// sameMachineNote is printed with every result: the figures are only
// comparable as ratios measured in one run.
const sameMachineNote = "the load generator runs on the same machine as the system under test and takes CPU from it"

// summary is the outcome of one run; --json writes it as it is.
type summary struct {
	Scenario        string         `json:"scenario"`
	URL             string         `json:"url"`
	ActivityID      string         `json:"activity_id"`
	Stock           int64          `json:"stock"`
	Users           int            `json:"users"`
	RequestsPerUser int            `json:"requests_per_user"`
	Connections     int            `json:"connections"`
	Client          string         `json:"client"`
	Requests        int            `json:"requests"`
	Answered        int64          `json:"answered"`
	DurationS       float64        `json:"duration_s"`
	Throughput      float64        `json:"throughput_rps"`
	LatencyMS       latencies      `json:"latency_ms"`
	Outcomes        map[string]int `json:"outcomes"`
	HTTPErrors      int            `json:"http_errors"`
	ErrorKinds      map[string]int `json:"error_kinds,omitempty"`
	ClientCPUS      float64        `json:"client_cpu_s"`
	ExpectedWinners int64          `json:"expected_winners"`
	Winners         int64          `json:"winners"`
	ResultQueries   int            `json:"result_queries"`
	Activity        *activityState `json:"activity,omitempty"`
	Checks          []check        `json:"checks"`
	OK              bool           `json:"ok"`
	Note            string         `json:"note"`
}

type latencies struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

type activityState struct {
	Stock     int64  `json:"stock"`
	Remaining int64  `json:"remaining"`
	Sold      int64  `json:"sold"`
	Status    string `json:"status"`
}

type check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

func (s *summary) addCheck(name string, ok bool, detail string) {
	s.Checks = append(s.Checks, check{Name: name, OK: ok, Detail: detail})
	s.OK = s.OK && ok
}

func newSummary(o options, activityID string, res *results) *summary {
	s := &summary{
		Scenario: o.scenario, URL: o.url, ActivityID: activityID, Stock: o.stock, Users: o.users,
		RequestsPerUser: o.perUser, Connections: o.conns, Client: o.clientKind,
		Requests: res.total(), Answered: res.done, DurationS: res.elapsed.Seconds(),
		Outcomes: map[string]int{}, ErrorKinds: res.errors, ClientCPUS: res.cpu.Seconds(),
		OK: true, Note: sameMachineNote,
	}
	if res.elapsed > 0 {
		s.Throughput = float64(res.done) / res.elapsed.Seconds()
	}
	var lat []time.Duration
	for r, out := range res.outcome {
		if out != outNone {
			lat = append(lat, res.latency[r])
		}
		if out != outNone && out != outError {
			s.Outcomes[outcomeNames[out]]++
		}
	}
	for _, n := range res.errors {
		s.HTTPErrors += n
	}
	s.LatencyMS = percentiles(lat)
	return s
}

// percentiles returns nearest-rank percentiles of d in milliseconds.
func percentiles(d []time.Duration) latencies {
	if len(d) == 0 {
		return latencies{}
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	rank := func(p float64) float64 {
		i := int(p*float64(len(d))+0.999999) - 1
		if i < 0 {
			i = 0
		}
		return ms(d[i])
	}
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return latencies{P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: ms(d[len(d)-1]), Mean: ms(sum / time.Duration(len(d)))}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func printSummary(w io.Writer, s *summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario\t%s\n", s.Scenario)
	fmt.Fprintf(tw, "deployment\t%s, activity %s, stock %d\n", s.URL, s.ActivityID, s.Stock)
	fmt.Fprintf(tw, "load\t%d users x %d requests, %d keep-alive connections (%s client)\n", s.Users, s.RequestsPerUser, s.Connections, s.Client)
	fmt.Fprintf(tw, "requests\t%d answered of %d in %.2f s\n", s.Answered, s.Requests, s.DurationS)
	fmt.Fprintf(tw, "throughput\t%.0f requests/s\n", s.Throughput)
	fmt.Fprintf(tw, "latency ms\tp50 %.2f  p90 %.2f  p99 %.2f  max %.2f  (mean %.2f)\n", s.LatencyMS.P50, s.LatencyMS.P90, s.LatencyMS.P99, s.LatencyMS.Max, s.LatencyMS.Mean)
	var outs []string
	for i := outWon; i < numOutcomes; i++ {
		if n := s.Outcomes[outcomeNames[i]]; n > 0 {
			outs = append(outs, fmt.Sprintf("%s %d", outcomeNames[i], n))
		}
	}
	fmt.Fprintf(tw, "outcomes\t%s\n", strings.Join(outs, ", "))
	fmt.Fprintf(tw, "HTTP errors\t%d\n", s.HTTPErrors)
	kinds := make([]string, 0, len(s.ErrorKinds))
	for k := range s.ErrorKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(tw, "\t%6d  %s\n", s.ErrorKinds[k], k)
	}
	fmt.Fprintf(tw, "client CPU\t%.2f s (user+system of the load generator during the load)\n", s.ClientCPUS)
	fmt.Fprintf(tw, "note\t%s\n", s.Note)
	_ = tw.Flush()
	fmt.Fprintln(w, "checks:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range s.Checks {
		mark := "PASS"
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", mark, c.Name, c.Detail)
	}
	_ = tw.Flush()
	if s.OK {
		fmt.Fprintln(w, "result: PASS")
	} else {
		fmt.Fprintln(w, "result: FAIL")
	}
}
