package all_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seckill/functions/all"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// queueAnswer is the waiting room's answer.
type queueAnswer struct {
	Status         string `json:"status"`
	Position       int64  `json:"position"`
	AdmissionToken string `json:"admission_token"`
}

// TestWaitingRoomBotsGainNothing is the black-box simulation of the waiting
// room, over HTTP against every function: 5,000 people join at human speed
// before the start, 50 bots join in the first millisecond and hammer the
// queue and the purchase. The bots' places are no better than the people's
// (Mann-Whitney U on the places, |z| < 4, and the bots' mean percentile);
// after the start the queue admits at its rate, admitted users buy with
// their token: winners equal the stock, nobody wins twice, and no purchase
// without a token is accepted.
func TestWaitingRoomBotsGainNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation of 5,050 shoppers")
	}
	const people, bots, stock = 5000, 50, 100
	srv := redistest.Start(t)
	cfg := server.TestConfig(servertest.AdminToken)
	// People poll about every 100 ms; the bots meet the limits as they would.
	cfg.RateLimitReadRPS, cfg.RateLimitReadBurst = 20, 40
	d := server.Deps{Store: srv.Store(t), Log: servertest.Logger(), Config: cfg}
	base := servertest.Listen(t, d, all.Functions...)
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	server.StartBackground(ctx, d, all.Functions...)
	c := newClient(base, 128)

	p := redistest.MustProduct(t, d.Store)
	var act sale.Activity
	now := time.Now().UTC()
	if st, err := c.do("POST", "/activities", map[string]any{"product_id": p.ID, "stock": stock, "price": 100,
		"starts_at": now.Add(time.Hour).Format(time.RFC3339), "ends_at": now.Add(2 * time.Hour).Format(time.RFC3339),
		"admission": "queue", "queue_opens_at": now.Add(-time.Second).Format(time.RFC3339), "admit_rate": 500,
		"admission_ttl": 60}, true, &act); st != 201 || err != nil {
		t.Fatalf("create: %d %v", st, err)
	}
	join := func(user string) (int, queueAnswer) {
		var a queueAnswer
		st, err := c.do("POST", "/activities/"+act.ID+"/queue", map[string]string{"user_id": user}, false, &a)
		if err != nil {
			t.Errorf("join %s: %v", user, err)
		}
		return st, a
	}
	buy := func(user, token string) (int, string) {
		body := map[string]string{"user_id": user}
		if token != "" {
			body["admission_token"] = token
		}
		var res struct {
			Outcome string `json:"outcome"`
		}
		st, err := c.do("POST", "/activities/"+act.ID+"/purchase", body, false, &res)
		if err != nil {
			t.Errorf("buy %s: %v", user, err)
		}
		return st, res.Outcome
	}

	// The bots: each joins at once, then hammers the join and the purchase.
	var wg sync.WaitGroup
	var botBought atomic.Int64
	for b := range bots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("bot%02d", b)
			for i := range 20 {
				join(user)
				// Before the start: not_started, 403 or 429, never a win.
				if _, outcome := buy(user, ""); outcome == string(sale.OutcomeWon) {
					botBought.Add(1)
				}
				if i%5 == 4 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	// The people: each joins once, at a random moment of three seconds.
	for i := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(rand.Int64N(int64(3 * time.Second))))
			if st, a := join(fmt.Sprintf("person%04d", i)); st != 200 || a.Status != sale.QueueWaiting {
				t.Errorf("person %d joined: %d %+v", i, st, a)
			}
		}()
	}
	wg.Wait()
	if n := botBought.Load(); n != 0 {
		t.Fatalf("%d purchases without a token won", n)
	}

	// Every place is final once nobody joins before the start: the rank
	// sum of the bots' places against the people's.
	users := make([]string, 0, people+bots)
	for b := range bots {
		users = append(users, fmt.Sprintf("bot%02d", b))
	}
	for i := range people {
		users = append(users, fmt.Sprintf("person%04d", i))
	}
	places := make([]int64, len(users))
	forEach(users, func(i int, u string) {
		var a queueAnswer
		if st, err := c.do("GET", "/activities/"+act.ID+"/queue/"+u, nil, false, &a); st != 200 || err != nil || a.Status != sale.QueueWaiting {
			t.Errorf("status of %s: %d %v %+v", u, st, err, a)
		}
		places[i] = a.Position
	})
	seen := map[int64]bool{}
	var botRanks float64
	for i, pl := range places {
		if pl < 1 || pl > int64(len(users)) || seen[pl] {
			t.Fatalf("place %d of %s: places must be 1..%d, each once", pl, users[i], len(users))
		}
		seen[pl] = true
		if i < bots {
			botRanks += float64(pl)
		}
	}
	n1, n2 := float64(bots), float64(people)
	u := botRanks - n1*(n1+1)/2
	z := (u - n1*n2/2) / math.Sqrt(n1*n2*(n1+n2+1)/12)
	meanPct := (botRanks/n1 - 0.5) / (n1 + n2)
	t.Logf("bots' places: Mann-Whitney z = %.2f, mean percentile %.3f (people's expected 0.5)", z, meanPct)
	if math.Abs(z) >= 4 || meanPct < 0.3 {
		t.Fatalf("bots placed better than people: z = %.2f, mean percentile %.3f", z, meanPct)
	}

	// The start: admissions at the rate, purchases with the token.
	starts := time.Now().Add(time.Second).UTC()
	if st, err := c.do("PATCH", "/activities/"+act.ID, map[string]string{"starts_at": starts.Format(time.RFC3339Nano)}, true, nil); st != 200 || err != nil {
		t.Fatalf("move the start: %d %v", st, err)
	}
	redistest.WaitRedisTime(t, d.Store, starts)
	var mu sync.Mutex
	won := map[string]int{}
	waiting := users
	deadline := time.Now().Add(60 * time.Second)
	for len(waiting) > 0 && time.Now().Before(deadline) {
		var next []string
		forEach(waiting, func(_ int, u string) {
			var a queueAnswer
			st, err := c.do("GET", "/activities/"+act.ID+"/queue/"+u, nil, false, &a)
			if err != nil || st == http.StatusTooManyRequests {
				mu.Lock()
				next = append(next, u)
				mu.Unlock()
				return
			}
			switch a.Status {
			case sale.QueueWaiting:
				mu.Lock()
				next = append(next, u)
				mu.Unlock()
			case sale.QueueAdmitted:
				// Without the token: 403, 429, or sold_out once no unit is
				// left (answered from the sold-out lease); never a win.
				if st, outcome := buy(u, ""); st != http.StatusForbidden && st != http.StatusTooManyRequests &&
					(st != http.StatusOK || outcome != string(sale.OutcomeSoldOut)) {
					t.Errorf("%s without the token: %d %s", u, st, outcome)
				}
				st, outcome := buy(u, a.AdmissionToken)
				switch {
				case st == http.StatusTooManyRequests:
					mu.Lock()
					next = append(next, u)
					mu.Unlock()
				case outcome == string(sale.OutcomeWon):
					mu.Lock()
					won[u]++
					mu.Unlock()
				case outcome != string(sale.OutcomeSoldOut):
					t.Errorf("%s admitted: %d %s", u, st, outcome)
				}
			case sale.QueueSoldOut:
			default:
				t.Errorf("%s: status %d %+v", u, st, a)
			}
		})
		waiting = next
		time.Sleep(100 * time.Millisecond)
	}
	if len(waiting) > 0 {
		t.Fatalf("%d users still waiting after 60 s", len(waiting))
	}
	wins := 0
	for u, n := range won {
		if n != 1 {
			t.Errorf("%s won %d times", u, n)
		}
		wins += n
	}
	var stats struct {
		Remaining  int64 `json:"remaining"`
		Consistent bool  `json:"consistent"`
	}
	if st, err := c.do("GET", "/activities/"+act.ID+"/stats", nil, true, &stats); st != 200 || err != nil || !stats.Consistent || stats.Remaining != 0 {
		t.Fatalf("stats: %d %v %+v", st, err, stats)
	}
	if wins != stock {
		t.Fatalf("%d winners, want the stock, %d", wins, stock)
	}
	botWins := 0
	for b := range bots {
		botWins += won[fmt.Sprintf("bot%02d", b)]
	}
	t.Logf("winners: %d (bots %d of %d, people %d of %d)", wins, botWins, bots, wins-botWins, people)
}

// forEach runs fn on every item from 64 goroutines.
func forEach(items []string, fn func(i int, s string)) {
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(items) {
					return
				}
				fn(i, items[i])
			}
		}()
	}
	wg.Wait()
}
