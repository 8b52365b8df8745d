package all_test

import (
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"seckill/functions/server/servertest"
	"seckill/redislib"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

const (
	redisPassword = "s3cret-redis-PASSWORD-value"
	jwtSecretAll  = "s3cret-jwt-SIGNING-key-of-at-least-32-bytes"
)

// stopProcess sends SIGTERM and waits for the process to exit.
func stopProcess(t *testing.T, p *process) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("server did not stop on SIGTERM:\n%s", p.logs.String())
	}
}

// mustNotLeak fails when text contains any of the secrets.
func mustNotLeak(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s contains the secret %.12s...:\n%s", what, s, text)
		}
	}
}

func userJWT(t *testing.T, sub string) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": sub, "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte(jwtSecretAll))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRedisACLUserAndSecrets runs the real binary as the functions' Redis
// user with the shipped ACL (deploy/redis-functions.acl, as every redistest
// server has it) and the default user off, as deployed, with user tokens on
// and debug logging: everything works, the default user cannot get in, and
// no secret (Redis password, admin token, JWT secret, a user's token)
// appears in the log or in --help.
func TestRedisACLUserAndSecrets(t *testing.T) {
	bin := mustBuild(t, "./cmd")
	srv := redistest.Start(t, "--user", "default", "off")
	redisPassword := redistest.FunctionsPassword
	env := []string{"REDIS_USERNAME=" + redistest.FunctionsUser, "REDIS_PASSWORD=" + redisPassword, "USER_AUTH=on", "USER_JWT_SECRET=" + jwtSecretAll, "LOG_LEVEL=debug"}
	p := startServer(t, bin, srv, env...)
	c := newClient(p.base, 4)
	a := c.mustActivity(t, 5)
	alice := userJWT(t, "alice")

	var res sale.PurchaseResult
	st, err := c.doAuth("POST", "/activities/"+a.ID+"/purchase", map[string]string{"user_id": "alice"}, "Bearer "+alice, &res)
	if err != nil || st != 200 || res.Outcome != sale.OutcomeWon {
		t.Fatalf("purchase as the ACL user: %d %v %+v\n%s", st, err, res, p.logs.String())
	}
	for _, tt := range []struct {
		name   string
		header string
		want   int
	}{
		{"no token", "", 401}, {"bad token", "Bearer " + alice[:len(alice)-2], 401}, {"admin token as user", "Bearer " + servertest.AdminToken, 401},
	} {
		if st, _ := c.doAuth("POST", "/activities/"+a.ID+"/purchase", map[string]string{"user_id": "alice"}, tt.header, nil); st != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, st, tt.want)
		}
	}
	if st, _ := c.doAuth("POST", "/products", map[string]any{"name": "x", "price": 1}, "Bearer wrong-"+servertest.AdminToken, nil); st != 401 {
		t.Errorf("wrong admin token: %d", st)
	}
	var result struct{ Won bool }
	if st, err := c.doAuth("GET", "/activities/"+a.ID+"/purchases/alice", nil, "Bearer "+alice, &result); err != nil || st != 200 || !result.Won {
		t.Errorf("purchase result with a token: %d %v %+v", st, err, result)
	}
	// The default user is off: without credentials nothing gets in.
	rdb, _ := redislib.NewClient(redislib.Config{Addr: srv.Addr, Timeout: 2 * time.Second})
	defer rdb.Close()
	if err := rdb.Ping(t.Context()).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("PING without credentials: %v, want NOAUTH", err)
	}
	stopProcess(t, p)
	logs := p.logs.String()
	if !strings.Contains(logs, `"msg":"request"`) || !strings.Contains(logs, "redis is durable") {
		t.Fatalf("the log does not look complete:\n%s", logs)
	}
	mustNotLeak(t, "the log", logs, redisPassword, jwtSecretAll, servertest.AdminToken, alice)

	help := exec.Command(bin, "--help")
	help.Env = append(help.Environ(), env...)
	out, _ := help.CombinedOutput()
	mustNotLeak(t, "--help", string(out), redisPassword, jwtSecretAll)
}

// TestRedisWrongPassword: a wrong password is a 503 and a log line that says
// why, without the password.
func TestRedisWrongPassword(t *testing.T) {
	bin := mustBuild(t, "./cmd")
	srv := redistest.Start(t, "--requirepass", redisPassword)
	wrong := "wrong-" + redisPassword
	p := startProcess(t, bin, srv, "REDIS_USERNAME=", "REDIS_PASSWORD="+wrong, "LOG_LEVEL=debug")
	c := newClient(p.base, 2)
	mustPoll(t, func() bool {
		st, err := c.do("POST", "/activities/x/purchase", map[string]string{"user_id": "u"}, false, nil)
		return err == nil && st == http.StatusServiceUnavailable
	}, "purchase answers 503")
	mustPoll(t, func() bool { return strings.Contains(p.logs.String(), "WRONGPASS") }, "the log says the password is wrong")
	stopProcess(t, p)
	mustNotLeak(t, "the log", p.logs.String(), wrong, redisPassword)

	// With the right password (requirepass, default user) it serves.
	ok := startServer(t, bin, srv, "REDIS_USERNAME=", "REDIS_PASSWORD="+redisPassword)
	c = newClient(ok.base, 2)
	c.mustActivity(t, 1)
}

// TestRedisTLS runs the real binary against a TLS-only Redis: it serves with
// the right CA, survives a Redis restart, and refuses (503) a server it cannot
// verify or a plain-text configuration.
func TestRedisTLS(t *testing.T) {
	bin := mustBuild(t, "./cmd")
	srv := redistest.StartTLS(t)
	p := startServer(t, bin, srv, "REDIS_TLS=true", "REDIS_TLS_CA_FILE="+srv.TLSCAFile)
	c := newClient(p.base, 4)
	a := c.mustActivity(t, 5)
	var res sale.PurchaseResult
	if st, err := c.do("POST", "/activities/"+a.ID+"/purchase", map[string]string{"user_id": "alice"}, false, &res); err != nil || st != 200 || res.Outcome != sale.OutcomeWon {
		t.Fatalf("purchase over TLS: %d %v %+v", st, err, res)
	}
	srv.Restart()
	mustPoll(t, func() bool {
		var r sale.PurchaseResult
		st, err := c.do("POST", "/activities/"+a.ID+"/purchase", map[string]string{"user_id": "bob"}, false, &r)
		return err == nil && st == 200 && r.Outcome == sale.OutcomeWon
	}, "purchases over TLS after a Redis restart")

	other := redistest.StartTLS(t) // a CA that did not sign srv's certificate
	for _, env := range [][]string{
		{"REDIS_TLS=true", "REDIS_TLS_CA_FILE=" + other.TLSCAFile},
		{"REDIS_TLS=false"},
	} {
		bad := startProcess(t, bin, srv, env...)
		bc := newClient(bad.base, 1)
		mustPoll(t, func() bool {
			st, err := bc.do("GET", "/readyz", nil, false, nil)
			return err == nil && st == http.StatusServiceUnavailable
		}, strings.Join(env, " ")+": /readyz answers 503")
		if st, _ := bc.do("GET", "/activities/"+a.ID, nil, false, nil); st != http.StatusServiceUnavailable {
			t.Errorf("%v: GET activity = %d, want 503", env, st)
		}
	}
}
