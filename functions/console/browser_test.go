package console_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"seckill/functions/all"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/functions/storefront/headless"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

var screenshotDir = flag.String("screenshots", "", "directory for the browser test's screenshots (default: a temporary directory)")

// tab is one browser tab with the console open.
type tab struct {
	ctx  context.Context
	mu   sync.Mutex
	errs []string // uncaught exceptions on the page
}

func openTab(t *testing.T) *tab {
	t.Helper()
	chrome, err := headless.Find("")
	if err != nil {
		t.Fatal(err)
	}
	browser, cancel, err := headless.Start(context.Background(), chrome, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	ctx, cancelTab := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelTab)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	tb := &tab{ctx: ctx}
	tb.do(t, chromedp.EmulateViewport(1100, 1000))
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() {
				tb.mu.Lock()
				tb.errs = append(tb.errs, m.String())
				tb.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, e := range tb.errs {
			t.Errorf("the console threw: %s", e)
		}
	})
	return tb
}

// stepTimeout bounds each browser step. The console reads pending orders and
// the audit trail every ten seconds, so a wait for them may take that long.
const stepTimeout = 25 * time.Second

func (tb *tab) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%v\npage: %s", err, tb.text())
	}
}

func (tb *tab) eval(t *testing.T, expr string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// navigated matches the errors of a poll whose page went away under it.
var navigated = regexp.MustCompile(`Cannot find context with specified id|Execution context was destroyed|Inspected target navigated`)

// wait polls a JavaScript expression until it is truthy and returns its
// value as a string, starting again on a new page after a navigation.
func (tb *tab) wait(t *testing.T, what, expr string) string {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	var v json.RawMessage
	var err error
	for {
		ctx, cancel := context.WithDeadline(tb.ctx, deadline.Add(time.Second))
		v, err = chromedp.Run(ctx, chromedp.Poll[json.RawMessage](expr,
			chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(time.Until(deadline))))
		cancel()
		if err == nil || !navigated.MatchString(err.Error()) || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("waiting for %s: %v\npage: %s", what, err, tb.text())
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		s = string(v)
	}
	return s
}

// text is the page's visible text, for failure messages.
func (tb *tab) text() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return strings.Join(strings.Fields(s), " ")
}

func (tb *tab) screenshot(t *testing.T, dir, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// signIn types a token into the sign-in form.
func (tb *tab) signIn(t *testing.T, token string) {
	t.Helper()
	tb.wait(t, "the sign-in form", `!document.getElementById('signin').hidden`)
	tb.do(t, chromedp.SendKeys(chromedp.ID("token"), token), chromedp.Click(chromedp.CSS(`#signin button[type=submit]`)))
}

// figure is the text of one of the sale's figures (f-left, f-sold, ...).
func (tb *tab) figure(t *testing.T, id string) string {
	t.Helper()
	return tb.eval(t, fmt.Sprintf(`document.getElementById(%q).textContent`, id))
}

// buy posts one purchase and returns its outcome.
func buy(t *testing.T, base, activityID, user string) string {
	t.Helper()
	resp, err := http.Post(base+"/activities/"+activityID+"/purchase", "application/json",
		strings.NewReader(fmt.Sprintf(`{"user_id":%q}`, user)))
	if err != nil {
		t.Error(err)
		return ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		Outcome string `json:"outcome"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &r) != nil {
		t.Errorf("purchase by %s: %d %s", user, resp.StatusCode, body)
	}
	return r.Outcome
}

// TestConsoleInBrowser drives the sale console in headless Chromium against
// every function on a real Redis: a wrong admin token refused, the right one
// signed in; the list of sales; one sale whose sold and left, wins per second
// and attempts by outcome follow purchases made through the API while it is
// open, with its pending orders; pause from the page (purchases answer
// paused, the audit trail shows it), resume, a stock change, a new end time
// and cancel, each in the audit trail.
func TestConsoleInBrowser(t *testing.T) {
	shots := *screenshotDir
	if shots == "" {
		shots = t.TempDir()
	}
	srv := redistest.Start(t)
	store := srv.Store(t)
	cfg := server.TestConfig(servertest.AdminToken)
	base := servertest.Listen(t, server.Deps{Store: store, Log: servertest.Logger(), Config: cfg}, all.Functions...)
	ctx := context.Background()

	prod, err := store.CreateProduct(ctx, sale.NewProduct{Name: "Espresso machine", Description: "15 bar pump", Price: 24900})
	if err != nil {
		t.Fatal(err)
	}
	now, err := store.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const stock = 6
	act, err := store.CreateActivity(ctx, sale.NewActivity{ProductID: prod.ID, Stock: stock, Price: 9900,
		StartsAt: now.Add(-time.Minute), EndsAt: now.Add(time.Hour), PaymentWindow: 900})
	if err != nil {
		t.Fatal(err)
	}
	later, err := store.CreateActivity(ctx, sale.NewActivity{ProductID: prod.ID, Stock: 50, Price: 12900,
		StartsAt: now.Add(time.Hour), EndsAt: now.Add(2 * time.Hour), PaymentWindow: 900})
	if err != nil {
		t.Fatal(err)
	}

	tb := openTab(t)
	tb.do(t, chromedp.Navigate(base+"/console"))

	// A wrong token is refused and not kept.
	tb.signIn(t, "not-the-admin-token")
	msg := tb.wait(t, "the refusal", `(e => !e.hidden && e.textContent)(document.getElementById('signin-error'))`)
	if !strings.Contains(msg, "refused") {
		t.Fatalf("message for a wrong token: %q", msg)
	}
	if got := tb.eval(t, `sessionStorage.getItem('seckill.console.token') || ''`); got != "" {
		t.Fatalf("a refused token was kept: %q", got)
	}
	if tb.eval(t, `String(document.getElementById('sales').hidden)`) != "true" {
		t.Fatal("the list of sales is shown without a token")
	}

	// The admin token signs in and lists the sales.
	tb.signIn(t, servertest.AdminToken)
	tb.wait(t, "the list of sales", fmt.Sprintf(`document.body.dataset.ready === 'sales' &&
		!!document.querySelector('tr[data-activity=%q]') && !!document.querySelector('tr[data-activity=%q]')`, act.ID, later.ID))
	row := tb.eval(t, fmt.Sprintf(`document.querySelector('tr[data-activity=%q]').textContent`, later.ID))
	for _, want := range []string{later.ID, "scheduled", "50"} {
		if !strings.Contains(row, want) {
			t.Fatalf("row of the scheduled sale %q lacks %q", row, want)
		}
	}
	tb.screenshot(t, shots, "sales.png")

	// Open the running sale.
	tb.do(t, chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-activity=%q] a`, act.ID))))
	tb.wait(t, "the sale", `document.body.dataset.ready === 'sale'`)
	if left, sold := tb.figure(t, "f-left"), tb.figure(t, "f-sold"); left != fmt.Sprint(stock) || sold != "0" {
		t.Fatalf("before any purchase: left %s, sold %s; want %d, 0", left, sold, stock)
	}
	tb.wait(t, "no pending orders", `document.querySelector('#pending li.muted') !== null`)

	// Shoppers buy through the API while the console is open, one every
	// 150 ms, each once and then again (already_won), until the sale is sold
	// out and a few more are told so.
	outcomes := map[string]int{}
	for i := 0; i < stock+3; i++ {
		user := fmt.Sprintf("shopper-%d", i)
		outcomes[buy(t, base, act.ID, user)]++
		outcomes[buy(t, base, act.ID, user)]++
		time.Sleep(150 * time.Millisecond) // spread the purchases over the console's samples
	}
	if outcomes["won"] != stock || outcomes["already_won"] != stock || outcomes["sold_out"] != 6 {
		t.Fatalf("outcomes of the purchases: %v", outcomes)
	}
	tb.wait(t, "sold and left after the purchases", fmt.Sprintf(`document.getElementById('f-sold').textContent === '%d' &&
		document.getElementById('f-left').textContent === '0' && document.getElementById('f-status').textContent === 'sold_out'`, stock))
	// The wins plot rose above zero, and the attempts plot has a line for each outcome.
	tb.wait(t, "wins per second above zero", `document.getElementById('p-wins').querySelector('polyline').getAttribute('points')
		.split(' ').some(p => parseFloat(p.split(',')[1]) < 57)`)
	legend := tb.wait(t, "attempts by outcome", `(l => l.includes('won') && l.includes('already_won') && l.includes('sold_out') && l)(document.getElementById('outcome-legend').textContent)`)
	if n := tb.eval(t, `String(document.querySelectorAll('#p-attempts polyline').length)`); n != "3" {
		t.Fatalf("attempts plot has %s lines for outcomes %q, want 3", n, legend)
	}
	tb.wait(t, "the pending orders", fmt.Sprintf(`document.querySelectorAll('#pending li[data-order]').length === %d`, stock))
	if got := tb.figure(t, "f-pending"); got != fmt.Sprint(stock) {
		t.Fatalf("pending figure %s, want %d", got, stock)
	}
	tb.screenshot(t, shots, "sale-live.png")

	// Pause from the page: purchases answer paused, and the audit trail shows it.
	tb.do(t, chromedp.Click(chromedp.ID("pause")))
	tb.wait(t, "the sale paused", `document.getElementById('f-status').textContent === 'paused'`)
	if got := buy(t, base, act.ID, "after-pause"); got != "paused" {
		t.Fatalf("a purchase in the paused sale: %q, want paused", got)
	}
	audit := tb.wait(t, "the pause in the audit trail", fmt.Sprintf(`(e => e && e.textContent)(document.querySelector('#audit li[data-action="pause"]'))`))
	if !strings.Contains(audit, "admin") {
		t.Fatalf("audit entry of the pause %q does not name the admin", audit)
	}
	// The tick that sees the paused attempt also has its latency: one answer,
	// in a finite bucket.
	tb.wait(t, "paused attempts and their p99", `document.getElementById('outcome-legend').textContent.includes('paused') &&
		/^now ≤ [0-9.]+ ms$/.test(document.getElementById('f-p99').textContent)`)
	tb.screenshot(t, shots, "sale-paused.png")

	// Resume, then add stock: the sale sells again.
	tb.do(t, chromedp.Click(chromedp.ID("resume")))
	tb.wait(t, "the sale resumed", `document.getElementById('f-status').textContent !== 'paused' && !!document.querySelector('#audit li[data-action="resume"]')`)
	tb.do(t, chromedp.SetValue(chromedp.ID("delta"), "4"), chromedp.Click(chromedp.ID("stock")))
	tb.wait(t, "the stock change", `document.getElementById('f-left').textContent === '4' &&
		document.getElementById('f-status').textContent === 'running' && !!document.querySelector('#audit li[data-action="stock"]')`)
	if got := buy(t, base, act.ID, "after-resume"); got != "won" {
		t.Fatalf("a purchase after resume and restock: %q, want won", got)
	}
	if a, err := store.Activity(ctx, act.ID); err != nil || a.Remaining != 3 || a.PausedAt != nil {
		t.Fatalf("after resume, restock and one win: %+v, %v", a, err)
	}

	// A new end time, then cancel (confirmed).
	tb.do(t, chromedp.SetValue(chromedp.ID("ends"), "2099-01-02T03:04"), chromedp.Click(chromedp.ID("ends-apply")))
	tb.wait(t, "the new end time in the audit trail", `!!document.querySelector('#audit li[data-action="update"]')`)
	if a, err := store.Activity(ctx, act.ID); err != nil || a.EndsAt.Year() != 2099 {
		t.Fatalf("after setting the end time on the page: %+v, %v", a, err)
	}
	tb.do(t, chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`), chromedp.Click(chromedp.ID("cancel")))
	tb.wait(t, "the sale cancelled", `document.getElementById('f-status').textContent === 'cancelled' && !!document.querySelector('#audit li[data-action="cancel"]')`)
	if got := buy(t, base, act.ID, "after-cancel"); got != "cancelled" {
		t.Fatalf("a purchase in the cancelled sale: %q, want cancelled", got)
	}
	tb.screenshot(t, shots, "sale-actions.png")

	// Signing out forgets the token.
	tb.do(t, chromedp.Click(chromedp.ID("signout")))
	tb.wait(t, "the sign-in form", `!document.getElementById('signin').hidden && !sessionStorage.getItem('seckill.console.token')`)
	t.Logf("screenshots in %s", shots)
}
