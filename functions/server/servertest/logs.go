package servertest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"sync"
	"testing"
)

// Logs collects what a server writes, for the test to read while the server
// goroutine or process keeps writing.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything written so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Lines returns every JSON log line written so far.
func (l *Logs) Lines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader([]byte(l.String())))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// MustLine returns the only log line with the given msg whose fields include
// every pair of match, failing if there is not exactly one.
func (l *Logs) MustLine(t testing.TB, msg string, match map[string]any) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, line := range l.Lines(t) {
		if line["msg"] != msg {
			continue
		}
		ok := true
		for k, v := range match {
			if line[k] != v {
				ok = false
			}
		}
		if ok {
			found = append(found, line)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly 1 %q log line matching %v, got %d in:\n%s", msg, match, len(found), l.String())
	}
	return found[0]
}
