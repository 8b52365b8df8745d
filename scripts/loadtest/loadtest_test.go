package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"seckill/functions/all"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
)

// TestAgainstTheRealServer runs both scenarios, and the original with the
// stock in four buckets, against every function served on a private durable
// Redis, checking all verification passes.
func TestAgainstTheRealServer(t *testing.T) {
	env := servertest.New(t, all.Functions...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = env.App.Listener(ln) }()
	t.Cleanup(func() { _ = env.App.Shutdown() })
	url := "http://" + ln.Addr().String()

	for _, args := range [][]string{
		{"--stock", "20"},
		{"--stock", "20", "--client", "nethttp", "--verify-losers", "all"},
		{"--stock", "20", "--shards", "4", "--verify-losers", "all"},
		{"--scenario", "writes-only", "--users", "300"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			sum, code, out := mustRun(t, append([]string{"--url", url, "--admin-token", servertest.AdminToken, "-c", "16"}, args...)...)
			if code != 0 || !sum.OK {
				t.Fatalf("exit %d, ok %v:\n%s", code, sum.OK, out)
			}
			if sum.HTTPErrors != 0 || sum.Winners != sum.ExpectedWinners || sum.Answered != int64(sum.Requests) {
				t.Fatalf("summary %+v", sum)
			}
			if sum.Scenario == scenarioOriginal && (sum.Users != 2000 || sum.Requests != 4000 || sum.Outcomes["won"] != 20) {
				t.Fatalf("original scenario: %d users, %d requests, %d won; want 2000, 4000, 20", sum.Users, sum.Requests, sum.Outcomes["won"])
			}
		})
	}
}

// TestChecksCatchABrokenServer points the load tester at servers that break
// one promise each and checks the run fails on the matching check.
func TestChecksCatchABrokenServer(t *testing.T) {
	tests := []struct {
		name      string
		bug       string
		wantCheck string
	}{
		{"everyone wins", "all-win", "winners"},
		{"winner told they lost by the result query", "query-lies", "result_query"},
		{"second order for a winner", "two-orders", "one_order_per_user"},
		{"stock left over", "stock-left", "remaining"},
		{"server errors", "errors", "http_errors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(fakeServer(5, tt.bug))
			t.Cleanup(srv.Close)
			sum, code, out := mustRun(t, "--url", srv.URL, "--admin-token", "x", "--stock", "5", "-c", "8", "--verify-losers", "all")
			if code != 1 || sum.OK {
				t.Fatalf("exit %d, ok %v; want a failed run:\n%s", code, sum.OK, out)
			}
			for _, c := range sum.Checks {
				if c.Name == tt.wantCheck && !c.OK {
					return
				}
			}
			t.Fatalf("check %s did not fail:\n%s", tt.wantCheck, out)
		})
	}
	t.Run("correct fake passes", func(t *testing.T) {
		srv := httptest.NewServer(fakeServer(5, ""))
		t.Cleanup(srv.Close)
		if sum, code, out := mustRun(t, "--url", srv.URL, "--admin-token", "x", "--stock", "5", "-c", "8"); code != 0 || !sum.OK {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
}

func mustRun(t *testing.T, args ...string) (summary, int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append(args, "--json", "--quiet"), &stdout, &stderr)
	var sum summary
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("exit %d, no JSON summary: %v\n%s%s", code, err, stdout.String(), stderr.String())
	}
	return sum, code, stderr.String()
}

// fakeServer imitates the API with stock units; bug names one promise it breaks.
func fakeServer(stock int, bug string) http.Handler {
	var mu sync.Mutex
	orders := map[string]string{}
	firstWinner := ""
	remaining := stock
	reply := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == "POST" && r.URL.Path == "/products":
			reply(w, 201, map[string]any{"id": "p1"})
		case r.Method == "POST" && r.URL.Path == "/activities":
			reply(w, 201, map[string]any{"id": "a1", "status": "running"})
		case r.Method == "POST" && r.URL.Path == "/activities/a1/purchase":
			var req struct {
				UserID string `json:"user_id"`
			}
			_ = json.NewDecoder(r.Body).Decode(&req)
			if bug == "errors" && req.UserID == "lt-7" {
				reply(w, 503, map[string]any{"error": map[string]any{"code": "store_unavailable", "message": "x"}})
				return
			}
			if id, ok := orders[req.UserID]; ok {
				if bug == "two-orders" {
					reply(w, 200, map[string]any{"outcome": "won", "order_id": id + "-again"})
					return
				}
				reply(w, 200, map[string]any{"outcome": "already_won", "order_id": id})
				return
			}
			if remaining == 0 && bug != "all-win" {
				reply(w, 200, map[string]any{"outcome": "sold_out"})
				return
			}
			remaining--
			orders[req.UserID] = "a1-" + req.UserID
			if firstWinner == "" {
				firstWinner = req.UserID
			}
			reply(w, 200, map[string]any{"outcome": "won", "order_id": orders[req.UserID]})
		case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/activities/a1/purchases/"):
			user := strings.TrimPrefix(r.URL.Path, "/activities/a1/purchases/")
			id, ok := orders[user]
			if bug == "query-lies" && user == firstWinner {
				ok = false
			}
			reply(w, 200, map[string]any{"won": ok, "order_id": id})
		case r.Method == "GET" && r.URL.Path == "/activities/a1":
			left, sold := 0, len(orders)
			if bug == "stock-left" {
				left = 1
			}
			reply(w, 200, map[string]any{"stock": stock, "remaining": left, "sold": sold, "status": "sold_out"})
		default:
			reply(w, 404, map[string]any{"error": map[string]any{"code": "not_found", "message": fmt.Sprint(r.URL)}})
		}
	})
}

func TestParsePlainReplyAgreesWithJSON(t *testing.T) {
	for _, body := range []string{
		`{"outcome":"sold_out"}`,
		`{"outcome":"won","order_id":"abc-0123456789abcdef"}`,
		`{"outcome":"already_won","order_id":"x"}`,
		`{"outcome":"won","order_id":""}`,
		`{"outcome":"a\"b"}`,
		`{"outcome":"won","order_id":"a\\b"}`,
		`{"order_id":"x","outcome":"won"}`,
		`{"outcome": "won"}`,
		`{"outcome":"won"} `,
		`{"outcome":"won","extra":"x"}`,
		`{"outcome":"`,
		`{}`,
	} {
		var fo, fi string
		if !parsePlainReply([]byte(body), &fo, &fi) {
			continue
		}
		var want struct {
			Outcome string `json:"outcome"`
			OrderID string `json:"order_id"`
		}
		if err := json.Unmarshal([]byte(body), &want); err != nil || want.Outcome != fo || want.OrderID != fi {
			t.Errorf("%s: fast read %q %q, encoding/json %q %q (%v)", body, fo, fi, want.Outcome, want.OrderID, err)
		}
	}
}

// TestWithUserTokens runs the original scenario against a server with user
// authentication on, once with HS256 tokens and once with RS256 ones: every
// purchase and result query carries its user's token, and the sale adds up.
// Without tokens, every purchase is refused.
func TestWithUserTokens(t *testing.T) {
	const secret = "loadtest-user-secret-0123456789abcdef"
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "users.key")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}), 0o600); err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	srv := redistest.Start(t)
	for _, tc := range []struct {
		name string
		cfg  func(*server.Config)
		flag []string
	}{
		{"HS256", func(c *server.Config) { c.UserJWTSecret = secret }, []string{"--user-jwt-secret", secret}},
		{"RS256", func(c *server.Config) { c.UserJWTPublicKey = pubPEM }, []string{"--user-jwt-key", keyFile}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := server.Deps{Store: srv.Store(t), Log: servertest.Logger(), Config: server.TestConfig(servertest.AdminToken)}
			d.Config.UserAuth = "on"
			tc.cfg(&d.Config)
			url := servertest.Listen(t, d, all.Functions...)
			base := []string{"--url", url, "--admin-token", servertest.AdminToken, "-c", "8", "--stock", "5", "--verify-losers", "all"}
			sum, code, out := mustRun(t, append(base, tc.flag...)...)
			if code != 0 || !sum.OK || sum.Winners != 5 || sum.HTTPErrors != 0 {
				t.Fatalf("exit %d, ok %v, %d winners:\n%s", code, sum.OK, sum.Winners, out)
			}
			if sum, code, _ := mustRun(t, base...); code == 0 || sum.Winners != 0 {
				t.Fatalf("without tokens: exit %d, %d winners; want a failed run with none", code, sum.Winners)
			}
		})
	}
}

// TestQueueAgainstTheRealServer runs "loadtest queue" against every function
// served on a private durable Redis, with the admission job running: every
// join answers waiting, the queue holds them all, and every sampled user is
// admitted.
func TestQueueAgainstTheRealServer(t *testing.T) {
	srv := redistest.Start(t)
	d := server.Deps{Store: srv.Store(t), Log: servertest.Logger(), Config: server.TestConfig(servertest.AdminToken)}
	url := servertest.Listen(t, d, all.Functions...)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go d.Store.RunQueues(ctx, func(error) {})

	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := queueMain([]string{"--url", url, "--admin-token", servertest.AdminToken, "-c", "8", "--quiet",
		"--joins", "500", "--stock", "40", "--admit-rate", "100", "--sample", "10", "--start-delay", "500ms",
		"--json-file", filepath.Join(dir, "q.json")}, &stdout, &stderr)
	b, err := os.ReadFile(filepath.Join(dir, "q.json"))
	if err != nil {
		t.Fatalf("exit %d, no summary: %v\n%s%s", code, err, stdout.String(), stderr.String())
	}
	var sum queueSummary
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if code != 0 || !sum.OK || sum.JoinErrors != 0 || sum.Joined != 500 || sum.Sampled != 10 || sum.Admitted != 10 {
		t.Fatalf("exit %d, summary %+v:\n%s%s", code, sum, stdout.String(), stderr.String())
	}
}
