package enterdraw_test

import (
	"context"
	"testing"
	"time"

	"seckill/functions/enterdraw"
	"seckill/functions/server/servertest"
	"seckill/redislib"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

func TestEnterDraw(t *testing.T) {
	env := servertest.New(t, enterdraw.Function)
	admin := env.Redis.AdminClient(t)
	d := redistest.MustDrawActivity(t, env.Store, admin, 2)
	open := servertest.MustActivity(t, env.Store, 1)
	closed := redistest.MustDrawActivity(t, env.Store, admin, 2)
	redistest.CloseRegistration(t, admin, closed.ID)
	notYet := redistest.MustDrawActivity(t, env.Store, admin, 2)
	admin.HSet(context.Background(), redistest.ActivityKey(notYet.ID), "registration_opens_at", time.Now().Add(time.Hour).UnixMilli())
	entry := func(id string) string { return "/activities/" + id + "/entries" }
	tests := []struct {
		name        string
		path        string
		body        any
		wantStatus  int
		wantCode    string
		wantAlready bool
	}{
		{"enters", entry(d.ID), map[string]string{"user_id": "alice"}, 200, "", false},
		{"repeat", entry(d.ID), map[string]string{"user_id": "alice"}, 200, "", true},
		{"another", entry(d.ID), `{"user_id":"bob"}`, 200, "", false},
		{"open activity", entry(open.ID), `{"user_id":"carol"}`, 409, "not_draw", false},
		{"after draw_at", entry(closed.ID), `{"user_id":"carol"}`, 409, "registration_closed", false},
		{"before registration", entry(notYet.ID), `{"user_id":"carol"}`, 409, "registration_not_open", false},
		{"unknown activity", entry("0123456789abcdef"), `{"user_id":"carol"}`, 404, "activity_not_found", false},
		{"bad activity id", entry("a.b"), `{"user_id":"carol"}`, 400, "invalid_id", false},
		{"bad user", entry(d.ID), `{"user_id":"a b"}`, 400, "invalid_user_id", false},
		{"no user", entry(d.ID), `{}`, 400, "missing_field", false},
		{"unknown field", entry(d.ID), `{"user_id":"carol","n":2}`, 400, "unknown_field", false},
		{"malformed", entry(d.ID), `{"user_id":`, 400, "malformed_json", false},
		{"empty", entry(d.ID), ``, 400, "empty_body", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, servertest.Request{Method: "POST", Path: tt.path, Body: tt.body})
			if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("got %d %s, want %d %q", resp.Status, resp.Body, tt.wantStatus, tt.wantCode)
			}
			if tt.wantStatus != 200 {
				return
			}
			var got redislib.EntryResult
			resp.Decode(t, &got)
			if !got.Entered || got.Already != tt.wantAlready {
				t.Fatalf("got %+v, want already=%v", got, tt.wantAlready)
			}
		})
	}
	for _, a := range []string{open.ID, closed.ID, notYet.ID} {
		if n := admin.Exists(context.Background(), "sk:{act:"+a+"}:entries").Val(); n != 0 {
			t.Fatalf("a refused entry wrote the entries of %s", a)
		}
	}
	if n := admin.SCard(context.Background(), "sk:{act:"+d.ID+"}:entries").Val(); n != 2 {
		t.Fatalf("entries %d, want 2", n)
	}
}

// The job the function runs in the background draws a due activity.
func TestRunJob(t *testing.T) {
	env := servertest.New(t)
	admin := env.Redis.AdminClient(t)
	d := redistest.MustDrawActivity(t, env.Store, admin, 1)
	for _, u := range []string{"alice", "bob", "carol"} {
		if _, err := env.Store.EnterDraw(context.Background(), d.ID, u); err != nil {
			t.Fatal(err)
		}
	}
	redistest.CloseRegistration(t, admin, d.ID)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		enterdraw.RunJob(ctx, env.Store, func(msg string, args ...any) { t.Errorf("%s %v", msg, args) })
	}()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := env.Store.Draw(context.Background(), d.ID, sale.PageQuery{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if p.Status == sale.DrawDone && len(p.Winners) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the draw is not done: %+v", p)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
