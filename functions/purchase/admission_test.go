package purchase_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"seckill/functions/auth"
	"seckill/functions/purchase"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// TestPurchaseAdmission: a queue activity sells only with a valid admission
// token of that user and activity; every other token is 403
// admission_required and sells nothing; a draw activity sells nothing
// through this route; an open activity ignores the token.
func TestPurchaseAdmission(t *testing.T) {
	env := servertest.New(t, purchase.Function)
	queue := servertest.MustActivity(t, env.Store, 5, redistest.Queue(-2*time.Minute, 10))
	other := servertest.MustActivity(t, env.Store, 5, redistest.Queue(-2*time.Minute, 10))
	draw := servertest.MustActivity(t, env.Store, 5, servertest.Window(-time.Minute, time.Hour), redistest.Draw(-time.Hour, 0))
	open := servertest.MustActivity(t, env.Store, 5)
	adm, err := auth.NewAdmissions(auth.AdmissionConfig{AdmissionSecret: server.TestAdmissionSecret})
	if err != nil {
		t.Fatal(err)
	}
	forged, err := auth.NewAdmissions(auth.AdmissionConfig{AdmissionSecret: "another-secret-of-enough-length-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	token := func(a *auth.Admissions, user, activity string, ttl time.Duration) string {
		s, err := a.Issue(user, activity, time.Now().Add(ttl))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	body := func(user, tok string) string { return fmt.Sprintf(`{"user_id":%q,"admission_token":%q}`, user, tok) }
	path := func(id string) string { return "/activities/" + id + "/purchase" }
	tests := []struct {
		name        string
		path, body  string
		wantStatus  int
		wantCode    string
		wantOutcome string
	}{
		{"no token", path(queue.ID), `{"user_id":"alice"}`, 403, sale.CodeAdmissionRequired, ""},
		{"empty token", path(queue.ID), body("alice", ""), 403, sale.CodeAdmissionRequired, ""},
		{"garbage token", path(queue.ID), body("alice", "x.y.z"), 403, sale.CodeAdmissionRequired, ""},
		{"forged token", path(queue.ID), body("alice", token(forged, "alice", queue.ID, time.Minute)), 403, sale.CodeAdmissionRequired, ""},
		{"expired token", path(queue.ID), body("alice", token(adm, "alice", queue.ID, -time.Minute)), 403, sale.CodeAdmissionRequired, ""},
		{"another user's token", path(queue.ID), body("alice", token(adm, "bob", queue.ID, time.Minute)), 403, sale.CodeAdmissionRequired, ""},
		{"another activity's token", path(queue.ID), body("alice", token(adm, "alice", other.ID, time.Minute)), 403, sale.CodeAdmissionRequired, ""},
		{"admitted", path(queue.ID), body("alice", token(adm, "alice", queue.ID, time.Minute)), 200, "", "won"},
		{"admitted again", path(queue.ID), body("alice", token(adm, "alice", queue.ID, time.Minute)), 200, "", "already_won"},
		{"draw without its draw", path(draw.ID), body("alice", token(adm, "alice", draw.ID, time.Minute)), 403, sale.CodeAdmissionRequired, ""},
		{"open with a garbage token", path(open.ID), body("alice", "x.y.z"), 200, "", "won"},
		{"open without a token", path(open.ID), `{"user_id":"bob"}`, 200, "", "won"},
	}
	for _, tt := range tests {
		resp := env.Do(t, servertest.Request{Method: "POST", Path: tt.path, Body: tt.body})
		if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
			t.Fatalf("%s: got %d %s, want %d %q", tt.name, resp.Status, resp.Body, tt.wantStatus, tt.wantCode)
		}
		if tt.wantOutcome != "" {
			var res sale.PurchaseResult
			resp.Decode(t, &res)
			if string(res.Outcome) != tt.wantOutcome {
				t.Fatalf("%s: outcome %s, want %s", tt.name, res.Outcome, tt.wantOutcome)
			}
		}
	}
	for id, want := range map[string]int64{queue.ID: 1, other.ID: 0, draw.ID: 0} {
		if a, err := env.Store.Activity(t.Context(), id); err != nil || a.Sold != want {
			t.Fatalf("activity %s sold %d, %v; want %d", id, a.Sold, err, want)
		}
	}
}

// The function refuses to start without ADMISSION_SECRET, and with a short
// one; the secret is never shown.
func TestRunNeedsAdmissionSecret(t *testing.T) {
	t.Setenv("PORT", "0")
	t.Setenv("REDIS_ADDR", "127.0.0.1:1")
	t.Setenv("USER_AUTH", "off")
	t.Setenv("ADMISSION_SECRET", "")
	var out, errOut bytes.Buffer
	if code := server.Run(nil, &out, &errOut, purchase.Function); code != 1 || !strings.Contains(out.String(), "ADMISSION_SECRET is not set") {
		t.Fatalf("Run without a secret = %d, output %q %q", code, out.String(), errOut.String())
	}
	t.Setenv("ADMISSION_SECRET", "short-admission-secret")
	out.Reset()
	errOut.Reset()
	code := server.Run(nil, &out, &errOut, purchase.Function)
	all := out.String() + errOut.String()
	if code != 2 || !strings.Contains(all, "ADMISSION_SECRET must be at least 32 bytes") || strings.Contains(all, "short-admission-secret") {
		t.Fatalf("Run with a short secret = %d, output %q", code, all)
	}
}
