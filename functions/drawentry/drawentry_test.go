package drawentry_test

import (
	"context"
	"testing"

	"seckill/functions/drawentry"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
)

func TestDrawEntry(t *testing.T) {
	env := servertest.New(t, drawentry.Function)
	d := redistest.MustDrawActivity(t, env.Store, env.Redis.AdminClient(t), 2)
	open := servertest.MustActivity(t, env.Store, 1)
	if _, err := env.Store.EnterDraw(context.Background(), d.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		path        string
		wantStatus  int
		wantCode    string
		wantEntered bool
	}{
		{"entered", "/activities/" + d.ID + "/entries/alice", 200, "", true},
		{"not entered", "/activities/" + d.ID + "/entries/bob", 200, "", false},
		{"open activity", "/activities/" + open.ID + "/entries/alice", 409, "not_draw", false},
		{"unknown activity", "/activities/0123456789abcdef/entries/alice", 404, "activity_not_found", false},
		{"bad user", "/activities/" + d.ID + "/entries/a%20b", 400, "invalid_user_id", false},
		{"bad activity", "/activities/a.b/entries/alice", 400, "invalid_id", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, servertest.Request{Method: "GET", Path: tt.path})
			if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("got %d %s, want %d %q", resp.Status, resp.Body, tt.wantStatus, tt.wantCode)
			}
			if tt.wantStatus != 200 {
				return
			}
			var got drawentry.Result
			resp.Decode(t, &got)
			if got.Entered != tt.wantEntered {
				t.Fatalf("got %+v", got)
			}
		})
	}
}
