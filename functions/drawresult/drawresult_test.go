package drawresult_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"

	"seckill/functions/drawresult"
	"seckill/functions/server/servertest"
	"seckill/redislib"
	"seckill/redislib/draworder"
	"seckill/redislib/redistest"
)

type page struct {
	redislib.DrawSummary
	Winners    []redislib.DrawWinner `json:"winners"`
	NextCursor *string               `json:"next_cursor"`
}

func TestDrawResult(t *testing.T) {
	ctx := context.Background()
	env := servertest.New(t, drawresult.Function)
	admin := env.Redis.AdminClient(t)
	d := redistest.MustDrawActivity(t, env.Store, admin, 3)
	open := servertest.MustActivity(t, env.Store, 1)
	var users []string
	for i := range 7 {
		u := fmt.Sprintf("user%d", i)
		users = append(users, u)
		if _, err := env.Store.EnterDraw(ctx, d.ID, u); err != nil {
			t.Fatal(err)
		}
	}
	base := "/activities/" + d.ID + "/draw"

	// Before the draw: the commitment, no seed, no entrants.
	var before page
	resp := env.Do(t, servertest.Request{Method: "GET", Path: base})
	resp.Decode(t, &before)
	if resp.Status != 200 || before.Status != "pending" || before.Seed != "" ||
		before.SeedHash != draworder.SeedHash(d.Seed) || before.Entries != 7 || len(before.Winners) != 0 {
		t.Fatalf("before the draw: %d %s", resp.Status, resp.Body)
	}
	if resp := env.Do(t, servertest.Request{Method: "GET", Path: base + "/entrants"}); resp.Status != 409 || resp.ErrorCode() != "draw_not_done" {
		t.Fatalf("entrants before the draw: %d %s", resp.Status, resp.Body)
	}

	redistest.CloseRegistration(t, admin, d.ID)
	for {
		p, err := env.Store.RunDraw(ctx, d.ID, redislib.DrawOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Done {
			break
		}
	}
	order := draworder.Order(d.Seed, users)
	var winners []string
	cursor := ""
	for {
		var p page
		resp := env.Do(t, servertest.Request{Method: "GET", Path: base + "?limit=2&cursor=" + cursor})
		resp.Decode(t, &p)
		if resp.Status != 200 || p.Status != "done" || p.Seed != hex.EncodeToString(d.Seed) || p.Awarded != 3 {
			t.Fatalf("after the draw: %d %s", resp.Status, resp.Body)
		}
		for _, w := range p.Winners {
			winners = append(winners, w.UserID)
		}
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	if !slices.Equal(winners, order[:3]) {
		t.Fatalf("winners %v, want %v", winners, order[:3])
	}
	var entrants struct {
		Items []string `json:"items"`
	}
	resp = env.Do(t, servertest.Request{Method: "GET", Path: base + "/entrants?limit=100"})
	resp.Decode(t, &entrants)
	if resp.Status != 200 || !slices.Equal(entrants.Items, order) {
		t.Fatalf("entrants: %d %s", resp.Status, resp.Body)
	}

	for _, c := range []struct {
		path, code string
		status     int
	}{
		{"/activities/" + open.ID + "/draw", "not_draw", 409},
		{"/activities/0123456789abcdef/draw", "activity_not_found", 404},
		{"/activities/a.b/draw", "invalid_id", 400},
		{base + "?limit=0", "invalid_limit", 400},
		{base + "?cursor=%21%21", "invalid_cursor", 400},
		{base + "/entrants?limit=101", "invalid_limit", 400},
	} {
		if resp := env.Do(t, servertest.Request{Method: "GET", Path: c.path}); resp.Status != c.status || resp.ErrorCode() != c.code {
			t.Fatalf("%s: %d %s, want %d %s", c.path, resp.Status, resp.Body, c.status, c.code)
		}
	}
}
