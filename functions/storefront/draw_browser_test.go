package storefront_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"seckill/functions/server"
	"seckill/redislib"
	"seckill/redislib/draworder"
	"seckill/redislib/redistest"
)

// TestDrawInBrowser drives a sale by draw in headless Chromium: two shoppers
// enter while registration is open and are told they are in; the
// registration closes by the server's clock; the draw runs; the winner's
// page says so with the pending order and its payment buttons, the other's
// says not drawn; both pages show the seed.
func TestDrawInBrowser(t *testing.T) {
	shots := *screenshotDir
	if shots == "" {
		shots = t.TempDir()
	}
	srv := redistest.Start(t)
	s := serve(t, srv, func(cfg *server.Config) { cfg.PaymentDemo = true })
	ctx := context.Background()
	browser := startBrowser(t)
	admin := srv.AdminClient(t)
	d := redistest.MustDrawActivity(t, s.store, admin, 1)
	// Registration closes in four seconds.
	now, err := s.store.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	closes := now.Add(4 * time.Second)
	if err := admin.HSet(ctx, redistest.ActivityKey(d.ID), "draw_at", closes.UnixMilli()).Err(); err != nil {
		t.Fatal(err)
	}
	url := s.base + "/?activity=" + d.ID

	shoppers := map[string]*tab{}
	for _, name := range []string{"alice", "bob"} {
		tb := newShopper(t, browser, name, -10*time.Minute)
		tb.do(t, chromedp.Navigate(url))
		tb.wait(t, "the draw page, open", `document.documentElement.dataset.ready === 'true' &&
			document.getElementById('draw-phase').dataset.phase === 'open' && !!document.getElementById('draw-seed-hash')`)
		tb.signIn(t, name)
		tb.do(t, chromedp.WaitEnabled(chromedp.ID("enter")), chromedp.Click(chromedp.ID("enter")))
		tb.wait(t, "you are in", `document.getElementById('entry').dataset.entered === 'true' &&
			document.getElementById('entry').textContent === 'You are in the draw.' && document.getElementById('enter').disabled`)
		if hash := tb.eval(t, `document.getElementById('draw-seed-hash').textContent`); hash != draworder.SeedHash(d.Seed) {
			t.Fatalf("%s's page shows the commitment %q, want %s", name, hash, draworder.SeedHash(d.Seed))
		}
		shoppers[name] = tb
	}
	shoppers["alice"].screenshot(t, shots, "draw-entered.png")
	if in, err := s.store.Entered(ctx, d.ID, "bob"); err != nil || !in {
		t.Fatalf("bob entered on the page, the store says %v, %v", in, err)
	}

	// Registration closes by the server's clock (the devices are ten
	// minutes slow); the page says the lots are being drawn.
	shoppers["bob"].wait(t, "registration closed", `document.getElementById('draw-phase').dataset.phase === 'drawing'`)
	if at, err := s.store.Now(ctx); err != nil || at.Before(closes.Add(-time.Second)) {
		t.Fatalf("the page closed registration at %v, the server closes it at %v (%v)", at, closes, err)
	}
	for {
		p, err := s.store.RunDraw(ctx, d.ID, redislib.DrawOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Done {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	order := draworder.Order(d.Seed, []string{"alice", "bob"})
	winner, loser := shoppers[order[0]], shoppers[order[1]]
	held, err := s.store.OrderOf(ctx, d.ID, order[0])
	if err != nil || held == "" {
		t.Fatalf("the winner %s holds %q, %v", order[0], held, err)
	}
	winner.wait(t, "won, with the order", fmt.Sprintf(`(() => {
		const r = document.getElementById('draw-result');
		return r && r.dataset.result === 'won' && r.textContent.includes(%q) &&
			!!document.querySelector('#order-panel .order[data-order=%q][data-status="pending"] button.demo-pay') &&
			document.getElementById('draw-phase').dataset.phase === 'done' && !!document.getElementById('draw-seed');
	})()`, held, held))
	winner.screenshot(t, shots, "draw-won.png")
	loser.wait(t, "not drawn", `(r => r && r.dataset.result === 'lost')(document.getElementById('draw-result'))`)
	if seed := loser.eval(t, `document.getElementById('draw-seed').textContent`); !strings.EqualFold(seed, fmt.Sprintf("%x", d.Seed)) {
		t.Fatalf("the page shows the seed %q", seed)
	}
	loser.screenshot(t, shots, "draw-lost.png")
	t.Logf("screenshots in %s", shots)
}
