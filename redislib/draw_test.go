package redislib_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/draworder"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// drawFixture is a draw activity of a test and its seed.
type drawFixture struct {
	srv  backend
	id   string
	seed []byte
}

// mustDrawActivity creates a running activity with the given stock that
// sells by draw, registration open and draw_at an hour away.
func mustDrawActivity(t *testing.T, srv backend, s *redislib.Store, stock int64) drawFixture {
	t.Helper()
	a := redistest.MustDrawActivity(t, s, srv.AdminClient(t), stock)
	return drawFixture{srv: srv, id: a.ID, seed: a.Seed}
}

// closeRegistration moves draw_at to the past: the draw is due.
func (f drawFixture) closeRegistration(t *testing.T) {
	t.Helper()
	redistest.CloseRegistration(t, f.srv.AdminClient(t), f.id)
}

func mustEnter(t *testing.T, s *redislib.Store, id string, users []string) {
	t.Helper()
	for _, u := range users {
		if r, err := s.EnterDraw(ctx, id, u); err != nil || !r.Entered {
			t.Fatalf("enter %s: %+v, %v", u, r, err)
		}
	}
}

func users(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// allWinners reads every page of the draw's winners.
func allWinners(t *testing.T, s *redislib.Store, id string) (redislib.DrawSummary, []redislib.DrawWinner) {
	t.Helper()
	var out []redislib.DrawWinner
	var sum redislib.DrawSummary
	cursor := ""
	for {
		q, err := pageQuery(cursor, 7)
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.Draw(ctx, id, q)
		if err != nil {
			t.Fatalf("draw: %v", err)
		}
		sum = p.DrawSummary
		out = append(out, p.Winners...)
		if p.NextCursor == nil {
			return sum, out
		}
		cursor = *p.NextCursor
	}
}

// mustDrawDone runs the draw until its first pass is done.
func mustDrawDone(t *testing.T, s *redislib.Store, id string, opts redislib.DrawOptions) {
	t.Helper()
	for range 100 {
		p, err := s.RunDraw(ctx, id, opts)
		if err != nil {
			t.Fatalf("run draw: %v", err)
		}
		if p.Done {
			return
		}
	}
	t.Fatal("the draw is not done after 100 runs")
}

// checkDraw checks that the winners are the first positions of the order
// recomputed from the seed, each holding an order, and that the stock adds up.
func checkDraw(t *testing.T, s *redislib.Store, f drawFixture, entrants []string, want int) {
	t.Helper()
	order := draworder.Order(f.seed, entrants)
	sum, winners := allWinners(t, s, f.id)
	if sum.Status != sale.DrawDone || sum.Seed != hex.EncodeToString(f.seed) || sum.SeedHash != draworder.SeedHash(f.seed) {
		t.Fatalf("summary %+v", sum)
	}
	if int(sum.Entries) != len(order) || int(sum.Awarded) != want || len(winners) != want {
		t.Fatalf("entries %d awarded %d winners %d; want %d, %d", sum.Entries, sum.Awarded, len(winners), len(order), want)
	}
	for i, w := range winners {
		if w.Position != int64(i) || w.UserID != order[i] {
			t.Fatalf("winner %d: %+v, want position %d %s", i, w, i, order[i])
		}
		if held, err := s.OrderOf(ctx, f.id, w.UserID); err != nil || held == "" {
			t.Fatalf("winner %s holds no order: %q, %v", w.UserID, held, err)
		}
	}
	for _, u := range order[want:] {
		if held, err := s.OrderOf(ctx, f.id, u); err != nil || held != "" {
			t.Fatalf("loser %s holds %q, %v", u, held, err)
		}
	}
	var got []string
	cursor := ""
	for {
		q, _ := pageQuery(cursor, 13)
		p, err := s.DrawEntrants(ctx, f.id, q)
		if err != nil {
			t.Fatalf("entrants: %v", err)
		}
		got = append(got, p.Items...)
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	if !slices.Equal(got, order) {
		t.Fatalf("entrants %v, want %v", got, order)
	}
	mustConsistent(t, s, f.id)
}

// Entering: the window, idempotence, the refusals, and the read.
func TestEnterDraw(t *testing.T) {
	srv := start(t)
	s := srv.Store(t)
	f := mustDrawActivity(t, srv, s, 5)
	if r, err := s.EnterDraw(ctx, f.id, "alice"); err != nil || !r.Entered || r.Already {
		t.Fatalf("enter: %+v, %v", r, err)
	}
	if r, err := s.EnterDraw(ctx, f.id, "alice"); err != nil || !r.Entered || !r.Already {
		t.Fatalf("enter again: %+v, %v", r, err)
	}
	if in, err := s.Entered(ctx, f.id, "alice"); err != nil || !in {
		t.Fatalf("entered alice: %v, %v", in, err)
	}
	if in, err := s.Entered(ctx, f.id, "bob"); err != nil || in {
		t.Fatalf("entered bob: %v, %v", in, err)
	}
	open := redistest.MustActivity(t, s, 5)
	admin := srv.AdminClient(t)
	for _, c := range []struct {
		name, id, code string
		before         func()
	}{
		{"unknown activity", "0123456789abcdef", sale.CodeActivityNotFound, nil},
		{"open activity", open.ID, sale.CodeNotDraw, nil},
		{"not open yet", f.id, sale.CodeRegistrationNotOpen, func() {
			admin.HSet(ctx, redistest.ActivityKey(f.id), "registration_opens_at", time.Now().Add(time.Hour).UnixMilli())
		}},
		{"closed", f.id, sale.CodeRegistrationClosed, func() {
			admin.HSet(ctx, redistest.ActivityKey(f.id), "registration_opens_at", 0, "draw_at", time.Now().Add(-time.Millisecond).UnixMilli())
		}},
		{"cancelled", f.id, sale.CodeActivityCancelled, func() {
			if _, err := s.CancelActivity(ctx, f.id); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		if c.before != nil {
			c.before()
		}
		if _, err := s.EnterDraw(ctx, c.id, "carol"); sale.ErrorCode(err) != c.code {
			t.Fatalf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	// An entered user's repeat is answered at any time.
	if r, err := s.EnterDraw(ctx, f.id, "alice"); err != nil || !r.Already {
		t.Fatalf("alice after the window: %+v, %v", r, err)
	}
	if n, err := srv.Client(t).SCard(ctx, "sk:{act:"+f.id+"}:entries").Result(); err != nil || n != 1 {
		t.Fatalf("entries %d, %v; want 1", n, err)
	}
	if _, err := s.Entered(ctx, open.ID, "alice"); sale.ErrorCode(err) != sale.CodeNotDraw {
		t.Fatalf("entered on an open activity: %v", err)
	}
	if _, err := s.DrawEntrants(ctx, f.id, sale.PageQuery{Limit: 10}); sale.ErrorCode(err) != sale.CodeDrawNotDone {
		t.Fatalf("entrants before the draw: %v", err)
	}
}

// 64 goroutines enter 200 users, each user from four of them at once:
// every user is in once, and exactly one of the four calls of each user
// answered "entered" and the others "already".
func TestEnterDrawRace(t *testing.T) {
	srv := start(t)
	s := srv.Store(t)
	f := mustDrawActivity(t, srv, s, 5)
	us := users("u", 200)
	var mu sync.Mutex
	first := map[string]int{}
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g % 16; i < len(us)*4; i += 16 {
				if i/len(us) != g/16 {
					continue
				}
				u := us[i%len(us)]
				r, err := s.EnterDraw(ctx, f.id, u)
				if err != nil {
					t.Errorf("enter %s: %v", u, err)
					return
				}
				mu.Lock()
				if !r.Already {
					first[u]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(first) != len(us) {
		t.Fatalf("%d users answered entered first, want %d", len(first), len(us))
	}
	for u, n := range first {
		if n != 1 {
			t.Fatalf("%s answered entered %d times", u, n)
		}
	}
	sum, _ := allWinners(t, s, f.id)
	if sum.Entries != int64(len(us)) {
		t.Fatalf("entries %d, want %d", sum.Entries, len(us))
	}
}

// The draw awards exactly the stock, to the first entrants of the documented
// order, and publishes the seed, the entrants and the winners.
func TestDrawAwardsFirstInOrder(t *testing.T) {
	for _, c := range []struct {
		stock   int64
		entries int
		shards  int
	}{{10, 250, 1}, {300, 40, 1}, {5, 0, 1}} {
		t.Run(fmt.Sprintf("stock=%d,entries=%d", c.stock, c.entries), func(t *testing.T) {
			srv := start(t)
			s := srv.Store(t)
			f := mustDrawActivity(t, srv, s, c.stock)
			us := users("e", c.entries)
			mustEnter(t, s, f.id, us)
			if p, err := s.RunDraw(ctx, f.id, redislib.DrawOptions{}); err != nil || p.Phase != "" {
				t.Fatalf("run before draw_at: %+v, %v", p, err)
			}
			if sum, _ := allWinners(t, s, f.id); sum.Seed != "" || sum.Status != sale.DrawPending {
				t.Fatalf("before the draw: %+v", sum)
			}
			f.closeRegistration(t)
			mustDrawDone(t, s, f.id, redislib.DrawOptions{Chunk: 16})
			checkDraw(t, s, f, us, min(int(c.stock), c.entries))
		})
	}
}

// Many processes run the draw at once, each in short runs cut at random
// points (between a purchase and its record, in the middle of hashing):
// the result is the same as one uninterrupted draw.
func TestDrawResumesAndRunsOnce(t *testing.T) {
	srv := start(t)
	s := srv.Store(t)
	f := mustDrawActivity(t, srv, s, 60)
	us := users("r", 400)
	mustEnter(t, s, f.id, us)
	f.closeRegistration(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	runs, cut := 0, 0
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := srv.Store(t)
			opts := redislib.DrawOptions{Chunk: 9, LockTTL: 100 * time.Millisecond, Concurrency: 4}
			deadline := time.Now().Add(time.Minute)
			for i := 0; ; i++ {
				c, cancel := context.WithTimeout(ctx, time.Duration(2+(i*7+g)%30)*time.Millisecond)
				p, err := st.RunDraw(c, f.id, opts)
				cancel()
				mu.Lock()
				runs++
				if err != nil {
					cut++
				}
				mu.Unlock()
				if err != nil && !errors.Is(err, context.DeadlineExceeded) && sale.ErrorCode(err) != sale.CodeStoreUnavailable {
					t.Errorf("run: %v", err)
					return
				}
				if p.Done {
					return
				}
				if time.Now().After(deadline) {
					t.Errorf("not done after a minute, %d runs", i)
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d runs, %d cut short", runs, cut)
	if cut == 0 {
		t.Error("no run was cut short")
	}
	checkDraw(t, s, f, us, 60)
}

// The waitlist: a unit that comes back goes to the next entrant in draw
// order, once; runs without a unit back write nothing.
func TestDrawWaitlist(t *testing.T) {
	srv := start(t)
	s := srv.Store(t)
	f := mustDrawActivity(t, srv, s, 3)
	us := users("w", 8)
	mustEnter(t, s, f.id, us)
	f.closeRegistration(t)
	mustDrawDone(t, s, f.id, redislib.DrawOptions{})
	order := draworder.Order(f.seed, us)
	for next := 3; next < len(order); next++ {
		// The winner at next-3 gives up their order.
		held, err := s.OrderOf(ctx, f.id, order[next-3])
		if err != nil || held == "" {
			t.Fatalf("order of %s: %q, %v", order[next-3], held, err)
		}
		if _, err := s.CancelOrder(ctx, held, order[next-3], false); err != nil {
			t.Fatalf("cancel: %v", err)
		}
		for range 2 {
			if _, err := s.RunDraws(ctx, redislib.DrawOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		_, winners := allWinners(t, s, f.id)
		if len(winners) != next+1 || winners[next].UserID != order[next] {
			t.Fatalf("after a cancel: winners %+v, want %s at %d", winners, order[next], next)
		}
		if held, _ := s.OrderOf(ctx, f.id, order[next]); held == "" {
			t.Fatalf("%s has no order", order[next])
		}
		st := mustConsistent(t, s, f.id)
		if st.Pending+st.Paid != 3 {
			t.Fatalf("sold %d, want 3", st.Pending+st.Paid)
		}
	}
	// Everyone had their turn: the job finds nothing due.
	if res, err := s.RunDraws(ctx, redislib.DrawOptions{}); err != nil || res.Draws != 0 {
		t.Fatalf("runs after the waitlist is over: %+v, %v", res, err)
	}
}

// Over many draws of 10 entrants for 3 units, with a fresh seed each, every
// entrant wins in about 3/10 of them: each entrant's number of wins is
// within 4.5 standard deviations of the binomial mean, and a chi-square over
// the entrants stays below its 0.999 quantile.
func TestDrawIsFair(t *testing.T) {
	srv := start(t)
	s := srv.Store(t)
	const draws, entrants, stock = 150, 10, 3
	wins := make([]int, entrants)
	us := users("f", entrants)
	for range draws {
		f := mustDrawActivity(t, srv, s, stock)
		mustEnter(t, s, f.id, us)
		f.closeRegistration(t)
		mustDrawDone(t, s, f.id, redislib.DrawOptions{})
		_, winners := allWinners(t, s, f.id)
		if len(winners) != stock {
			t.Fatalf("winners %d", len(winners))
		}
		for _, w := range winners {
			i, _ := strconv.Atoi(w.UserID[1:])
			wins[i]++
		}
	}
	checkFair(t, wins, draws, float64(stock)/entrants)
}

// checkFair bounds each count of wins and their chi-square against
// draws x p.
func checkFair(t *testing.T, wins []int, draws int, p float64) {
	t.Helper()
	mean := float64(draws) * p
	sd := math.Sqrt(float64(draws) * p * (1 - p))
	chi := 0.0
	for i, w := range wins {
		if math.Abs(float64(w)-mean) > 4.5*sd {
			t.Errorf("entrant %d won %d of %d draws; expected %.1f ± %.1f", i, w, draws, mean, 4.5*sd)
		}
		chi += (float64(w) - mean) * (float64(w) - mean) / (mean * (1 - p))
	}
	// The counts sum to draws x stock, so k-1 degrees of freedom; the 0.999
	// quantile of chi-square with 9 degrees of freedom is 27.88.
	if len(wins) == 10 && chi > 27.88 {
		t.Errorf("chi-square %.2f over 9 degrees of freedom: wins %v", chi, wins)
	}
	t.Logf("wins %v of %d draws, chi-square %.2f", wins, draws, chi)
}

// pageQuery is the page of limit items after cursor ("" for the first).
func pageQuery(cursor string, limit int) (sale.PageQuery, error) {
	q := sale.PageQuery{Limit: limit}
	if cursor != "" {
		c, err := sale.ParseCursor(cursor)
		if err != nil {
			return q, err
		}
		q.After = &c
	}
	return q, nil
}
