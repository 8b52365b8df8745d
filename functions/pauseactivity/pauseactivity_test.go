package pauseactivity_test

import (
	"net/http"
	"strings"
	"testing"

	"seckill/functions/activityaudit"
	"seckill/functions/auth"
	"seckill/functions/getactivity"
	"seckill/functions/httpapi"
	"seckill/functions/pauseactivity"
	"seckill/functions/purchase"
	"seckill/functions/server/servertest"
	"seckill/redislib/sale"
)

func TestPauseAndResume(t *testing.T) {
	env := servertest.New(t, pauseactivity.Function, getactivity.Function)
	running := func() sale.Activity { return servertest.MustActivity(t, env.Store, 10) }
	tests := []struct {
		name       string
		activity   func() sale.Activity
		path       string // "{id}" is the activity ID
		noAdmin    bool
		wantStatus int
		wantCode   string
		wantState  string
	}{
		{name: "pause running", activity: running, path: "/activities/{id}/pause", wantStatus: 200, wantState: sale.StatusPaused},
		{name: "resume running", activity: running, path: "/activities/{id}/resume", wantStatus: 200, wantState: sale.StatusRunning},
		{name: "pause scheduled", activity: func() sale.Activity { return servertest.MustScheduled(t, env.Store, 5) },
			path: "/activities/{id}/pause", wantStatus: 200, wantState: sale.StatusScheduled},
		{name: "pause ended", activity: func() sale.Activity { return servertest.MustEnded(t, env.Store, 5) },
			path: "/activities/{id}/pause", wantStatus: 409, wantCode: sale.CodeActivityEnded},
		{name: "bad id", activity: running, path: "/activities/a%20b/pause", wantStatus: 400, wantCode: sale.CodeInvalidID},
		{name: "unknown", activity: running, path: "/activities/nosuch/pause", wantStatus: 404, wantCode: sale.CodeActivityNotFound},
		{name: "no token", activity: running, path: "/activities/{id}/pause", noAdmin: true, wantStatus: 401, wantCode: httpapi.CodeUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.activity()
			get := servertest.Request{Method: http.MethodGet, Path: "/activities/" + a.ID}
			before := env.Do(t, get)
			resp := env.Do(t, servertest.Request{Method: http.MethodPost, Path: strings.ReplaceAll(tt.path, "{id}", a.ID), Admin: !tt.noAdmin})
			if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("status %d code %q, want %d %q: %s", resp.Status, resp.ErrorCode(), tt.wantStatus, tt.wantCode, resp.Body)
			}
			after := env.Do(t, get)
			if tt.wantStatus != 200 {
				if string(after.Body) != string(before.Body) {
					t.Fatalf("a refused pause wrote:\n%s\n%s", before.Body, after.Body)
				}
				return
			}
			if got := resp.JSON(t)["status"]; got != tt.wantState || string(after.Body) != string(resp.Body) {
				t.Fatalf("status %v, want %s; answer %s, stored %s", got, tt.wantState, resp.Body, after.Body)
			}
		})
	}
}

// A paused sale answers purchases "paused" and sells nothing; the audit trail
// names the admin token that paused it.
func TestPausedSaleAndItsAudit(t *testing.T) {
	env := servertest.New(t, pauseactivity.Function, purchase.Function, activityaudit.Function)
	a := servertest.MustActivity(t, env.Store, 10)
	buy := func(user string) map[string]any {
		t.Helper()
		r := env.Do(t, servertest.Request{Method: http.MethodPost, Path: "/activities/" + a.ID + "/purchase", Body: `{"user_id":"` + user + `"}`})
		if r.Status != 200 {
			t.Fatalf("purchase: %d %s", r.Status, r.Body)
		}
		return r.JSON(t)
	}
	if r := env.Do(t, servertest.Request{Method: http.MethodPost, Path: "/activities/" + a.ID + "/pause", Admin: true}); r.Status != 200 {
		t.Fatalf("pause: %d %s", r.Status, r.Body)
	}
	if got := buy("bob")["outcome"]; got != string(sale.OutcomePaused) {
		t.Fatalf("purchase while paused: %v", got)
	}
	if r := env.Do(t, servertest.Request{Method: http.MethodPost, Path: "/activities/" + a.ID + "/resume", Admin: true}); r.Status != 200 {
		t.Fatalf("resume: %d %s", r.Status, r.Body)
	}
	if got := buy("bob")["outcome"]; got != string(sale.OutcomeWon) {
		t.Fatalf("purchase after resume: %v", got)
	}

	trail := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/activities/" + a.ID + "/audit?limit=2", Admin: true})
	if trail.Status != 200 {
		t.Fatalf("audit: %d %s", trail.Status, trail.Body)
	}
	items, _ := trail.JSON(t)["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("audit: want the resume and the pause, got %s", trail.Body)
	}
	for i, want := range []string{sale.AuditResume, sale.AuditPause} {
		e := items[i].(map[string]any)
		if e["action"] != want || e["actor"] != auth.AdminActor(servertest.AdminToken) {
			t.Errorf("entry %d: %v by %v, want %s by %s", i, e["action"], e["actor"], want, auth.AdminActor(servertest.AdminToken))
		}
	}
	for _, tt := range []struct {
		name, path string
		admin      bool
		status     int
		code       string
	}{
		{"no token", "/activities/" + a.ID + "/audit", false, 401, httpapi.CodeUnauthorized},
		{"bad limit", "/activities/" + a.ID + "/audit?limit=0", true, 400, sale.CodeInvalidLimit},
		{"bad cursor", "/activities/" + a.ID + "/audit?cursor=xyz", true, 400, sale.CodeInvalidCursor},
		{"unknown activity", "/activities/nosuch/audit", true, 404, sale.CodeActivityNotFound},
		{"unknown product", "/products/nosuch/audit", true, 404, sale.CodeProductNotFound},
	} {
		r := env.Do(t, servertest.Request{Method: http.MethodGet, Path: tt.path, Admin: tt.admin})
		if r.Status != tt.status || r.ErrorCode() != tt.code {
			t.Errorf("%s: %d %q, want %d %q: %s", tt.name, r.Status, r.ErrorCode(), tt.status, tt.code, r.Body)
		}
	}
}
