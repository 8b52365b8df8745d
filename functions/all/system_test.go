package all_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"seckill/functions/all"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// client talks to a server over real HTTP with keep-alive connections.
type client struct {
	base  string
	token string
	http  *http.Client
}

func newClient(base string, conns int) *client {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	return &client{base: base, token: servertest.AdminToken, http: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// do sends a JSON request and decodes a JSON answer into out.
func (c *client) do(method, path string, body any, admin bool, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if admin {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %q: %w", b, err)
		}
	}
	return resp.StatusCode, nil
}

func (c *client) mustActivity(t *testing.T, stock int) sale.Activity {
	t.Helper()
	var p sale.Product
	if st, err := c.do("POST", "/products", map[string]any{"name": "Phone", "price": 19900}, true, &p); err != nil || st != 201 {
		t.Fatalf("create product: %d %v", st, err)
	}
	var a sale.Activity
	body := map[string]any{"product_id": p.ID, "stock": stock, "price": 9900,
		"starts_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
		"ends_at":   time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}
	if st, err := c.do("POST", "/activities", body, true, &a); err != nil || st != 201 {
		t.Fatalf("create activity: %d %v", st, err)
	}
	return a
}

// serve runs every function on a free port over real HTTP.
func serve(t *testing.T, srv *redistest.Server) string {
	t.Helper()
	env := servertest.NewOn(t, srv, all.Functions...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = env.App.Listener(ln) }()
	t.Cleanup(func() { _ = env.App.Shutdown() })
	return "http://" + ln.Addr().String()
}

// TestOriginalRequirements is the original requirements over real HTTP: stock
// S, 100*S distinct users, every user sends two purchase requests at once;
// exactly S users win, each exactly one order, nothing remains, and every
// user's result query agrees with what they were answered.
func TestOriginalRequirements(t *testing.T) {
	const stock, users, conns = 100, 100 * 100, 64
	srv := redistest.Start(t)
	c := newClient(serve(t, srv), conns)
	a := c.mustActivity(t, stock)

	answers := make([][2]sale.PurchaseResult, users)
	type job struct{ user, try int }
	jobs := make(chan job)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				var res sale.PurchaseResult
				st, err := c.do("POST", "/activities/"+a.ID+"/purchase", map[string]string{"user_id": "user-" + strconv.Itoa(j.user)}, false, &res)
				if err != nil || st != 200 {
					t.Errorf("purchase for user %d: %d %v", j.user, st, err)
				}
				answers[j.user][j.try] = res
			}
		}()
	}
	// Both requests of a user are in flight at the same time: they are queued
	// next to each other and taken by different workers.
	for u := 0; u < users; u++ {
		jobs <- job{u, 0}
		jobs <- job{u, 1}
	}
	close(jobs)
	wg.Wait()
	t.Logf("S=%d U=%d requests=%d conns=%d took %v", stock, users, 2*users, conns, time.Since(start))

	winners := map[int]string{}
	for u, pair := range answers {
		var order string
		wins := 0
		for _, res := range pair {
			switch res.Outcome {
			case sale.OutcomeWon:
				wins++
				fallthrough
			case sale.OutcomeAlreadyWon:
				if order != "" && order != res.OrderID {
					t.Fatalf("user %d answered two orders: %s and %s", u, order, res.OrderID)
				}
				order = res.OrderID
			case sale.OutcomeSoldOut:
			default:
				t.Fatalf("user %d: unexpected outcome %q", u, res.Outcome)
			}
		}
		if wins > 1 {
			t.Fatalf("user %d won twice", u)
		}
		if order != "" {
			if wins != 1 {
				t.Fatalf("user %d holds order %s without a won answer", u, order)
			}
			winners[u] = order
		}
	}
	if len(winners) != stock {
		t.Fatalf("%d winners, want exactly %d", len(winners), stock)
	}
	var got sale.Activity
	if st, err := c.do("GET", "/activities/"+a.ID, nil, false, &got); err != nil || st != 200 || got.Remaining != 0 || got.Sold != stock {
		t.Fatalf("activity after the sale: %d %v %+v; want remaining 0, sold %d", st, err, got, stock)
	}
	for u := 0; u < users; u++ {
		var res struct {
			Won     bool   `json:"won"`
			OrderID string `json:"order_id"`
		}
		if st, err := c.do("GET", fmt.Sprintf("/activities/%s/purchases/user-%d", a.ID, u), nil, false, &res); err != nil || st != 200 {
			t.Fatalf("result for user %d: %d %v", u, st, err)
		}
		if want, won := winners[u]; res.Won != won || res.OrderID != want {
			t.Fatalf("result for user %d = %+v, want won=%v order=%q", u, res, won, want)
		}
	}
}

// TestAcknowledgedWinsSurviveCrash runs the real server binary, SIGKILLs it
// and Redis after acknowledged wins, restarts both from the same data
// directory and checks every acknowledged winner is still a winner.
func TestAcknowledgedWinsSurviveCrash(t *testing.T) {
	bin := mustBuild(t, "./cmd")
	srv := redistest.Start(t)
	server := startServer(t, bin, srv)
	c := newClient(server.base, 16)
	a := c.mustActivity(t, 50)

	won := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				user := fmt.Sprintf("u%d-%d", w, i)
				var res sale.PurchaseResult
				if st, err := c.do("POST", "/activities/"+a.ID+"/purchase", map[string]string{"user_id": user}, false, &res); err == nil && st == 200 && res.Outcome == sale.OutcomeWon {
					mu.Lock()
					won[user] = res.OrderID
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	if len(won) != 50 {
		t.Fatalf("%d acknowledged wins before the crash, want 50", len(won))
	}
	server.kill()
	srv.Kill()

	srv.Restart()
	server = startServer(t, bin, srv)
	c = newClient(server.base, 4)
	for user, order := range won {
		var res struct {
			Won     bool   `json:"won"`
			OrderID string `json:"order_id"`
		}
		if st, err := c.do("GET", "/activities/"+a.ID+"/purchases/"+user, nil, false, &res); err != nil || st != 200 || !res.Won || res.OrderID != order {
			t.Errorf("after the crash, %s: %d %v %+v; want won with %s", user, st, err, res, order)
		}
	}
	var got sale.Activity
	if st, err := c.do("GET", "/activities/"+a.ID, nil, false, &got); err != nil || st != 200 || got.Remaining != 0 || got.Sold != 50 {
		t.Fatalf("activity after the crash: %d %v %+v; want remaining 0, sold 50", st, err, got)
	}
}

type process struct {
	base string
	cmd  *exec.Cmd
	done chan struct{}
	logs *servertest.Logs
}

func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// mustBuild builds a package of this module into a temporary directory.
func mustBuild(t *testing.T, pkg string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// startServer starts bin on a free port against srv and waits until /readyz
// answers 200.
func startServer(t *testing.T, bin string, srv *redistest.Server, env ...string) *process {
	t.Helper()
	return waitServing(t, startProcess(t, bin, srv, env...))
}

// waitServing waits until the process answers 200 on /readyz.
func waitServing(t *testing.T, p *process) *process {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", p.base+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("server exited: %s", p.logs.String())
		case <-ctx.Done():
			t.Fatalf("server not ready within 10s: %s", p.logs.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// startProcess starts bin on a free port against srv, killed when the test ends.
func startProcess(t *testing.T, bin string, srv *redistest.Server, env ...string) *process {
	t.Helper()
	return startProcessOn(t, bin, srv.Addr, env...)
}

// startProcessOn starts bin on a free port with REDIS_ADDR=redisAddr, as the
// functions' Redis user of redistest (the shipped ACL), killed when the test
// ends.
func startProcessOn(t *testing.T, bin, redisAddr string, env ...string) *process {
	t.Helper()
	port := redistest.FreePort(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "REDIS_ADDR="+redisAddr,
		"REDIS_USERNAME="+redistest.FunctionsUser, "REDIS_PASSWORD="+redistest.FunctionsPassword,
		"ADMIN_TOKEN="+servertest.AdminToken, "PAYMENT_WEBHOOK_SECRET="+server.TestWebhookSecret, "ADMISSION_SECRET="+server.TestAdmissionSecret, "LOG_LEVEL=warn", "USER_AUTH=off")
	cmd.Env = append(cmd.Env, env...)
	p := &process{base: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, done: make(chan struct{}), logs: &servertest.Logs{}}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	})
	return p
}
