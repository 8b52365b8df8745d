package all_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// The AOF records each purchase as the effects of its script wrapped in
// MULTI ... EXEC. On one server the user's order history is written inside
// the script; on a cluster it lives in another slot and the store writes it
// after the script, as a separate ZADD. These tests run the store the cluster
// way (see twoWriteStore), so that the AOF holds both kinds of record. With
// appendfsync always, Redis writes and fsyncs a command before it answers, so
// a torn tail can only belong to a write nobody was answered for yet: that is
// what these tests cut.
var (
	aofMulti = []byte("*1\r\n$5\r\nMULTI\r\n")
	aofExec  = []byte("*1\r\n$4\r\nEXEC\r\n")
)

// lastIncrAOF returns the newest incremental AOF file of srv.
func lastIncrAOF(t *testing.T, srv *redistest.Server) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(srv.Dir, "appendonlydir", "*.incr.aof"))
	if len(files) == 0 {
		t.Fatalf("no incremental AOF in %s", srv.Dir)
	}
	sort.Slice(files, func(i, j int) bool { return aofSeq(files[i]) < aofSeq(files[j]) })
	return files[len(files)-1]
}

func aofSeq(path string) int {
	var n int
	_, _ = fmt.Sscanf(strings.TrimSuffix(filepath.Base(path), ".incr.aof")[strings.LastIndexByte(strings.TrimSuffix(filepath.Base(path), ".incr.aof"), '.')+1:], "%d", &n)
	return n
}

// truncateAt cuts the file to n bytes and returns how many were cut.
func truncateAt(t *testing.T, path string, n int) int {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(n)); err != nil {
		t.Fatal(err)
	}
	return int(fi.Size()) - n
}

// buyAll makes one purchase per user through the store and returns
// user -> order; every one must win.
func buyAll(t *testing.T, store *redislib.Store, activityID string, users ...string) map[string]string {
	t.Helper()
	won := map[string]string{}
	for _, u := range users {
		res, err := store.Purchase(context.Background(), activityID, u, sale.Rate{})
		if err != nil || res.Outcome != sale.OutcomeWon {
			t.Fatalf("purchase by %s: %+v %v", u, res, err)
		}
		won[u] = res.OrderID
	}
	return won
}

func usersN(prefix string, n int) []string {
	us := make([]string, n)
	for i := range us {
		us[i] = fmt.Sprintf("%s%02d", prefix, i)
	}
	return us
}

// cutInsideTransaction cuts the AOF in the middle of the last purchase's
// MULTI ... EXEC block; cutInsideHistory in the middle of the history write
// after it; cutOneByte removes the last byte.
func cutInsideTransaction(data []byte) int {
	m := bytes.LastIndex(data, aofMulti)
	return m + bytes.Index(data[m:], aofExec)/2
}

func cutInsideHistory(data []byte) int {
	x := bytes.LastIndex(data, aofExec) + len(aofExec)
	return x + (len(data)-x)/2
}

func cutOneByte(data []byte) int { return len(data) - 1 }

// tornAOF is a Redis with an activity whose AOF was cut by cut after 20
// acknowledged purchases, killed and not restarted yet.
type tornAOF struct {
	srv   *redistest.Server
	store *redislib.Store
	act   string
	users []string
	won   map[string]string
}

func newTornAOF(t *testing.T, cut func([]byte) int, redisArgs ...string) *tornAOF {
	t.Helper()
	srv := redistest.Start(t, redisArgs...)
	store := twoWriteStore(t, srv)
	a := redistest.MustActivity(t, store, 30)
	users := usersN("u", 20)
	won := buyAll(t, store, a.ID, users...)
	srv.Kill()
	aof := lastIncrAOF(t, srv)
	data, err := os.ReadFile(aof)
	if err != nil {
		t.Fatal(err)
	}
	at := cut(data)
	removed := truncateAt(t, aof, at)
	t.Logf("cut %d bytes at offset %d of %s", removed, at, filepath.Base(aof))
	return &tornAOF{srv: srv, store: store, act: a.ID, users: users, won: won}
}

// twoWriteStore returns a store on srv that writes a winner's history after
// the purchase script, as it does on a cluster: its client is not a
// *redis.Client, so the store does not take it for a single server.
func twoWriteStore(t *testing.T, srv *redistest.Server) *redislib.Store {
	return redislib.NewStore(clusterLike{srv.Client(t)})
}

type clusterLike struct{ *redis.Client }

// mustHold checks the invariants and that every user in want holds that
// order and nobody else holds one.
func (ta *tornAOF) mustHold(t *testing.T, want map[string]string) {
	t.Helper()
	holds := holdings(t, ta.srv.Client(t), ta.act)
	for u, order := range want {
		if holds[u] != order {
			t.Errorf("%s: holds %q, want %s", u, holds[u], order)
		}
	}
	if len(holds) != len(want) {
		t.Errorf("%d holders, want %d", len(holds), len(want))
	}
}

// restart restarts Redis and returns what it logged.
func (ta *tornAOF) restart(t *testing.T) string {
	t.Helper()
	before := len(ta.srv.Log())
	ta.srv.Restart()
	return ta.srv.Log()[before:]
}

// endsInsideMulti reports whether the AOF's newest file ends inside a
// MULTI without its EXEC.
func (ta *tornAOF) endsInsideMulti(t *testing.T) bool {
	data, err := os.ReadFile(lastIncrAOF(t, ta.srv))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.LastIndex(data, aofMulti) > bytes.LastIndex(data, aofExec)
}

// TestTruncatedAOF cuts the AOF inside the last record (a write nobody was
// answered for yet) and restarts Redis with its default aof-load-truncated
// yes: Redis loads every complete command, trims the file and starts. Torn
// outside a transaction, the last purchase is wholly there (only its history
// write is lost) and later writes and restarts are clean.
func TestTruncatedAOF(t *testing.T) {
	for _, tt := range []struct {
		name string
		cut  func([]byte) int
	}{{"inside the history write", cutInsideHistory}, {"one byte short", cutOneByte}} {
		t.Run(tt.name, func(t *testing.T) {
			ta := newTornAOF(t, tt.cut)
			log := ta.restart(t)
			if !strings.Contains(log, "loaded anyway because aof-load-truncated is enabled") {
				t.Fatalf("Redis did not report loading a truncated AOF:\n%s", log)
			}
			t.Logf("Redis said:\n%s", grepLines(log, "AOF", "truncat", "MULTI"))
			ta.mustHold(t, ta.won)
			last := ta.users[len(ta.users)-1]
			if n := ta.srv.Client(t).Exists(context.Background(), redistest.UserOrdersKey(last)).Val(); n != 0 {
				t.Errorf("the torn history write of %s survived", last)
			}
			for u, o := range buyAll(t, ta.store, ta.act, usersN("v", 5)...) {
				ta.won[u] = o
			}
			if log := ta.restart(t); strings.Contains(log, "truncated") || strings.Contains(log, "Bad file format") {
				t.Fatalf("the AOF was still damaged at the next restart:\n%s", log)
			}
			ta.mustHold(t, ta.won)
		})
	}
}

// TestTruncatedAOFInsideTransaction cuts the AOF inside the last purchase's
// MULTI ... EXEC (how Redis logs a script's effects). With aof-load-truncated
// yes the first restart is right: the torn purchase is wholly absent and the
// invariants hold. But redis-server 7.0 trims the file only to the last
// complete command, leaving a MULTI without EXEC at its end; the next write
// is appended inside that transaction, and at the restart after, that write
// is lost or the torn purchase's partial effects are applied. This test
// shows it on the installed server (it skips where the server trims before
// the MULTI, as fixed versions do): hence the advice to run Redis with
// aof-load-truncated no and repair with redis-check-aof --fix, tested in
// TestTruncatedAOFRefused.
func TestTruncatedAOFInsideTransaction(t *testing.T) {
	ta := newTornAOF(t, cutInsideTransaction)
	log := ta.restart(t)
	if !strings.Contains(log, "loaded anyway because aof-load-truncated is enabled") {
		t.Fatalf("Redis did not report loading a truncated AOF:\n%s", log)
	}
	t.Logf("Redis said:\n%s", grepLines(log, "AOF", "truncat", "MULTI"))
	last := ta.users[len(ta.users)-1]
	want := map[string]string{}
	for _, u := range ta.users[:len(ta.users)-1] {
		want[u] = ta.won[u]
	}
	ta.mustHold(t, want)
	if !ta.endsInsideMulti(t) {
		t.Skip("this redis-server trims a torn transaction whole: nothing more to show")
	}
	// Acknowledged writes after the first restart, then another restart.
	after := buyAll(t, ta.store, ta.act, last, "late")
	ta.restart(t)
	holds, err := checkHoldings(ta.srv.Client(t), ta.act)
	lost := []string{}
	for u, o := range after {
		if err == nil && holds[u] != o {
			lost = append(lost, u)
		}
	}
	if err == nil && len(lost) == 0 {
		t.Fatal("the AOF ended inside a MULTI, yet the next restart kept every write: update the reliability notes")
	}
	t.Logf("known redis-server defect shown: after the second restart, invariants: %v; acknowledged purchases lost: %v", err, lost)
}

// TestTruncatedAOFRefused: with aof-load-truncated no, Redis refuses to start
// on a torn AOF, so nothing is served from an unchecked state; redis-check-aof
// --fix trims the torn record together with its unfinished transaction, after
// which Redis starts, the torn purchase is wholly absent, the invariants hold,
// and later writes survive later restarts.
func TestTruncatedAOFRefused(t *testing.T) {
	if _, err := exec.LookPath("redis-check-aof"); err != nil {
		t.Fatal("redis-check-aof not found: it comes with the redis-server package")
	}
	for _, tt := range []struct {
		name      string
		cut       func([]byte) int
		lastStays bool
	}{{"inside the transaction", cutInsideTransaction, false}, {"inside the history write", cutInsideHistory, true}} {
		t.Run(tt.name, func(t *testing.T) {
			ta := newTornAOF(t, tt.cut, "--aof-load-truncated", "no")
			err := ta.srv.TryRestart()
			if err == nil || !strings.Contains(err.Error(), "Unexpected end of file") && !strings.Contains(err.Error(), "Bad file format") {
				t.Fatalf("Redis started on a torn AOF with aof-load-truncated no, or failed otherwise: %v", err)
			}
			fix := exec.Command("redis-check-aof", "--fix", filepath.Join(ta.srv.Dir, "appendonlydir", "appendonly.aof.manifest"))
			fix.Stdin = strings.NewReader("y\n")
			out, err := fix.CombinedOutput()
			if err != nil {
				t.Fatalf("redis-check-aof --fix: %v\n%s", err, out)
			}
			t.Logf("redis-check-aof --fix:\n%s", grepLines(string(out), "EOF", "shrink", "truncated", "valid", "Expected"))
			if err := ta.srv.TryRestart(); err != nil {
				t.Fatalf("after the fix: %v", err)
			}
			want := map[string]string{}
			for u, o := range ta.won {
				want[u] = o
			}
			last := ta.users[len(ta.users)-1]
			if !tt.lastStays {
				delete(want, last)
			}
			ta.mustHold(t, want)
			for u, o := range buyAll(t, ta.store, ta.act, usersN("v", 5)...) {
				want[u] = o
			}
			if !tt.lastStays {
				want[last] = buyAll(t, ta.store, ta.act, last)[last]
			}
			if err := ta.srv.TryRestart(); err != nil {
				t.Fatalf("restart after later writes: %v", err)
			}
			ta.mustHold(t, want)
		})
	}
}

func grepLines(log string, words ...string) string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		for _, w := range words {
			if strings.Contains(line, w) {
				out = append(out, line)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
