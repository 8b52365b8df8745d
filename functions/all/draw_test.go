package all_test

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib/draworder"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// The all-in-one binary runs a draw of 60,000 entries for 5,000 units; the
// server binary and Redis are SIGKILLed together once while it ranks the
// entries and once while it awards units (after the first purchases, before
// they are all recorded), and restarted from the same data directory. The
// draw ends with exactly the stock awarded, to the first entrants of the
// order recomputed from the seed, one order each; verifydraw, run against
// the restarted server, reproduces the published order.
func TestDrawSurvivesCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and crashes the binary")
	}
	const entrants, stock = 60000, 5000
	bin := mustBuild(t, "./cmd")
	verify := mustBuild(t, "../../scripts/verifydraw")
	srv := redistest.Start(t)
	admin := srv.AdminClient(t)
	store := srv.Store(t)
	ctx := context.Background()
	d := redistest.MustDrawActivity(t, store, admin, stock)
	users := make([]string, entrants)
	for i := range users {
		users[i] = "entrant-" + strconv.Itoa(i)
	}
	for i := 0; i < entrants; i += 1000 {
		members := make([]any, 0, 1000)
		for _, u := range users[i:min(i+1000, entrants)] {
			members = append(members, u)
		}
		if err := admin.SAdd(ctx, "sk:{act:"+d.ID+"}:entries", members...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	redistest.CloseRegistration(t, admin, d.ID)

	state := func() (map[string]string, int64) {
		st, _ := admin.HGetAll(ctx, "sk:{act:"+d.ID+"}:draw:state").Result()
		buyers, _ := admin.HLen(ctx, redistest.BuyersKey(d.ID)).Result()
		return st, buyers
	}
	// crashWhen starts the server, waits until cond holds of the draw's
	// state, and SIGKILLs the server and Redis.
	crashWhen := func(what string, cond func(st map[string]string, buyers int64) bool) {
		t.Helper()
		server := startServer(t, bin, srv)
		deadline := time.Now().Add(60 * time.Second)
		for {
			st, buyers := state()
			if cond(st, buyers) {
				server.kill()
				srv.Kill()
				t.Logf("killed %s: state %v, %d buyers", what, st, buyers)
				srv.Restart()
				return
			}
			if st["phase"] == "awarding" && st["award_cursor"] == strconv.Itoa(stock) || time.Now().After(deadline) {
				t.Fatalf("missed the moment to crash %s: state %v, %d buyers", what, st, buyers)
			}
			time.Sleep(time.Millisecond)
		}
	}
	crashWhen("while ranking", func(st map[string]string, _ int64) bool {
		return st["phase"] == "hashing" && st["scan_cursor"] != "" && st["scan_cursor"] != "0"
	})
	crashWhen("while awarding", func(st map[string]string, buyers int64) bool {
		return st["phase"] == "awarding" && buyers > 0 && buyers < stock
	})

	server := startServer(t, bin, srv)
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, err := admin.HGet(ctx, redistest.ActivityKey(d.ID), "draw_status").Result()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		if status == sale.DrawDone {
			break
		}
		if time.Now().After(deadline) {
			st, buyers := state()
			t.Fatalf("the draw is not done after the crashes: %v, %d buyers", st, buyers)
		}
		time.Sleep(20 * time.Millisecond)
	}

	order := draworder.Order(d.Seed, users)
	winners, err := admin.ZRangeWithScores(ctx, "sk:{act:"+d.ID+"}:draw:winners", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(winners) != stock {
		t.Fatalf("%d winners, want %d", len(winners), stock)
	}
	for i, w := range winners {
		if int(w.Score) != i || w.Member != order[i] {
			t.Fatalf("winner %d: %v at %v, want %s", i, w.Member, w.Score, order[i])
		}
	}
	held := holdings(t, admin, d.ID)
	if len(held) != stock {
		t.Fatalf("%d users hold an order, want %d", len(held), stock)
	}
	for _, u := range order[:stock] {
		if held[u] == "" {
			t.Fatalf("winner %s holds no order", u)
		}
	}
	if slices.ContainsFunc(order[stock:], func(u string) bool { return held[u] != "" }) {
		t.Fatal("an entrant past the stock holds an order")
	}
	out, err := exec.Command(verify, "-url", server.base, "-activity", d.ID).CombinedOutput()
	if err != nil {
		t.Fatalf("verifydraw: %v\n%s", err, out)
	}
	t.Logf("verifydraw: %s", out)
	if want := fmt.Sprintf("the %d winners", stock); !strings.Contains(string(out), want) {
		t.Fatalf("verifydraw said %q, want it to count %s", out, want)
	}
}

// Bad input to the draw routes over real HTTP: each is a 4xx with its code
// and the whole dataset is unchanged (rate-limit buckets aside, which are
// not business data and not persisted).
func TestDrawBadInputWritesNothing(t *testing.T) {
	srv := redistest.Start(t)
	e := serveWith(t, srv, srv.Config(), nil)
	c := newClient(e.base, 4)
	open := redistest.MustActivity(t, e.store, 10)
	d := redistest.MustDrawActivity(t, e.store, e.admin, 10)
	closed := redistest.MustDrawActivity(t, e.store, e.admin, 10)
	redistest.CloseRegistration(t, e.admin, closed.ID)
	notYet := redistest.MustDrawActivity(t, e.store, e.admin, 10)
	if err := e.admin.HSet(context.Background(), redistest.ActivityKey(notYet.ID), "registration_opens_at", time.Now().Add(time.Hour).UnixMilli()).Err(); err != nil {
		t.Fatal(err)
	}
	cancelled := redistest.MustDrawActivity(t, e.store, e.admin, 10)
	if _, err := e.store.CancelActivity(context.Background(), cancelled.ID); err != nil {
		t.Fatal(err)
	}
	enter := func(id, body string) rawRequest {
		return rawRequest{method: "POST", path: "/activities/" + id + "/entries", body: []byte(body)}
	}
	for _, tt := range []struct {
		name       string
		req        rawRequest
		wantStatus int
		wantCode   string
	}{
		{"enter an open-admission activity", enter(open.ID, `{"user_id":"u"}`), 409, "not_draw"},
		{"enter after draw_at", enter(closed.ID, `{"user_id":"u"}`), 409, "registration_closed"},
		{"enter before registration opens", enter(notYet.ID, `{"user_id":"u"}`), 409, "registration_not_open"},
		{"enter a cancelled draw", enter(cancelled.ID, `{"user_id":"u"}`), 409, "activity_cancelled"},
		{"enter an unknown activity", enter("0123456789abcdef", `{"user_id":"u"}`), 404, "activity_not_found"},
		{"enter with a bad user", enter(d.ID, `{"user_id":"{act:x}"}`), 400, "invalid_user_id"},
		{"enter with an extra field", enter(d.ID, `{"user_id":"u","times":2}`), 400, "unknown_field"},
		{"enter with a number", enter(d.ID, `{"user_id":7}`), 400, "invalid_field_type"},
		{"enter without a body", enter(d.ID, ``), 400, "empty_body"},
		{"enter truncated", enter(d.ID, `{"user_id":"u"`), 400, "malformed_json"},
		{"entry of a bad user", rawRequest{method: "GET", path: "/activities/" + d.ID + "/entries/a%20b"}, 400, "invalid_user_id"},
		{"the draw of an open activity", rawRequest{method: "GET", path: "/activities/" + open.ID + "/draw"}, 409, "not_draw"},
		{"entrants before the draw", rawRequest{method: "GET", path: "/activities/" + d.ID + "/draw/entrants"}, 409, "draw_not_done"},
		{"the draw with a forged cursor", rawRequest{method: "GET", path: "/activities/" + d.ID + "/draw?cursor=forged"}, 400, "invalid_cursor"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := keyDump(t, e.admin)
			status, eb, raw := c.send(t, tt.req)
			if status != tt.wantStatus || eb.Error.Code != tt.wantCode || eb.Error.Message == "" {
				t.Fatalf("got %d %.300s, want %d %s", status, raw, tt.wantStatus, tt.wantCode)
			}
			after := keyDump(t, e.admin)
			for _, dump := range []map[string]string{before, after} {
				for k := range dump {
					if strings.HasPrefix(k, "sk:{rl:") {
						delete(dump, k)
					}
				}
			}
			mustSameDump(t, before, after)
		})
	}
}
