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

	"seckill/redislib"
	"seckill/redislib/draworder"
	"seckill/redislib/redistest"
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
		buyers, _ := admin.HLen(ctx, redislib.BuyersKey(d.ID)).Result()
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
		status, err := admin.HGet(ctx, redislib.ActivityKey(d.ID), "draw_status").Result()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		if status == redislib.DrawDone {
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
	held := holdings(t, store.Client(), d.ID)
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
