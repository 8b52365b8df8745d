package all_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
)

// runToExit runs bin with env until it exits (at most 15 s) and returns its
// exit code and output.
func runToExit(t *testing.T, bin string, env ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), "PAYMENT_WEBHOOK_SECRET="+server.TestWebhookSecret, "ADMISSION_SECRET="+server.TestAdmissionSecret)
	cmd.Env = append(cmd.Env, env...)
	out, _ := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s did not exit: %s", bin, out)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

func TestStartupRefusals(t *testing.T) {
	bin := mustBuild(t, "./cmd")
	everysec := redistest.Start(t, "--appendfsync", "everysec")
	noConfig := redistest.Start(t, "--rename-command", "CONFIG", `""`)
	port := func() string { return "PORT=" + strconv.Itoa(redistest.FreePort(t)) }
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"admin routes without a token", []string{port(), "ADMIN_TOKEN=", "REDIS_ADDR=" + everysec.Addr},
			"ADMIN_TOKEN is not set"},
		{"redis without fsync on every write", []string{port(), "ADMIN_TOKEN=x", "USER_AUTH=off", "REDIS_ADDR=" + everysec.Addr},
			`appendfsync=\"everysec\"`},
		{"redis with CONFIG disabled", []string{port(), "ADMIN_TOKEN=x", "USER_AUTH=off", "REDIS_ADDR=" + noConfig.Addr},
			"CONFIG GET is disabled"},
		{"bad configuration", []string{port(), "ADMIN_TOKEN=x", "REQUEST_TIMEOUT=soon"}, "REQUEST_TIMEOUT"},
		// User authentication is on unless turned off: without keys, a
		// function with user routes names every way to fix it.
		{"user routes without user authentication", []string{port(), "ADMIN_TOKEN=x", "REDIS_ADDR=" + everysec.Addr, "USER_AUTH="},
			"set USER_JWKS_URL to your identity provider's JWKS URL (with USER_JWT_ISSUER and USER_JWT_AUDIENCE), or USER_JWT_PUBLIC_KEY, or USER_JWT_SECRET; or set USER_AUTH=off"},
		{"USER_AUTH=off with a key", []string{port(), "ADMIN_TOKEN=x", "USER_AUTH=off", "USER_JWT_SECRET=" + strings.Repeat("k", 32)},
			"USER_AUTH=off contradicts"},
		{"USER_AUTH neither on nor off", []string{port(), "ADMIN_TOKEN=x", "USER_AUTH=maybe"}, "USER_AUTH must be on or off"},
		{"JWKS over plain http", []string{port(), "ADMIN_TOKEN=x", "USER_JWKS_URL=http://id.example/jwks.json"}, "USER_JWKS_URL must be https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runToExit(t, bin, tt.env...)
			if code == 0 || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, output:\n%s\nwant a non-zero exit and %q", code, out, tt.want)
			}
		})
	}
}

func TestStartupAllowNonDurable(t *testing.T) {
	bin := mustBuild(t, "./cmd")
	srv := redistest.Start(t, "--appendonly", "no")
	p := startServer(t, bin, srv, "ALLOW_NON_DURABLE_REDIS=true")
	if !strings.Contains(p.logs.String(), "ALLOW_NON_DURABLE_REDIS is set") {
		t.Fatalf("no warning in the log:\n%s", p.logs.String())
	}
}

// TestStartupWithRedisDown starts a function while Redis is down: it serves
// 503 until Redis answers, then becomes ready without a restart.
func TestStartupWithRedisDown(t *testing.T) {
	bin := mustBuild(t, "./cmd")
	srv := redistest.Start(t)
	srv.Kill()
	p := startProcess(t, bin, srv)
	c := newClient(p.base, 2)
	mustPoll(t, func() bool {
		st, err := c.do("POST", "/activities/x/purchase", map[string]string{"user_id": "u"}, false, nil)
		return err == nil && st == http.StatusServiceUnavailable
	}, "purchase answers 503 while Redis is down")
	if st, _ := c.do("GET", "/readyz", nil, false, nil); st != http.StatusServiceUnavailable {
		t.Fatalf("/readyz = %d while Redis is down, want 503", st)
	}
	srv.Restart()
	mustPoll(t, func() bool {
		st, err := c.do("GET", "/readyz", nil, false, nil)
		return err == nil && st == http.StatusOK
	}, "/readyz answers 200 once Redis is back")
	c.token = servertest.AdminToken
	a := c.mustActivity(t, 1)
	var res struct{ Outcome string }
	if st, err := c.do("POST", "/activities/"+a.ID+"/purchase", map[string]string{"user_id": "u"}, false, &res); err != nil || st != 200 || res.Outcome != "won" {
		t.Fatalf("purchase after recovery: %d %v %+v", st, err, res)
	}
}

func TestHelp(t *testing.T) {
	bin := mustBuild(t, "./cmd")
	for _, arg := range []string{"-h", "--help"} {
		out, err := exec.Command(bin, arg).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		for _, want := range []string{"ADMIN_TOKEN", "REDIS_ADDR", "REQUEST_TIMEOUT", `POST\s+/activities/:id/purchase`} {
			if !regexp.MustCompile(want).Match(out) {
				t.Errorf("%s output lacks %q:\n%s", arg, want, out)
			}
		}
	}
}

func mustPoll(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
