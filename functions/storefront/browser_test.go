package storefront_test

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
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"

	"seckill/functions/all"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/functions/storefront/headless"
	"seckill/redislib"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

var screenshotDir = flag.String("screenshots", "", "directory for the browser test's screenshots (default: a temporary directory)")

// site is every function served over real HTTP on a free port, the way the
// all-in-one server serves them.
type site struct {
	base  string
	store *redislib.Store
}

func serve(t *testing.T, srv *redistest.Server, configure func(*server.Config)) site {
	t.Helper()
	cfg := server.TestConfig(servertest.AdminToken)
	if configure != nil {
		configure(&cfg)
	}
	store := srv.Store(t)
	base := servertest.Listen(t, server.Deps{Store: store, Log: servertest.Logger(), Config: cfg}, all.Functions...)
	return site{base: base, store: store}
}

// startBrowser starts headless Chromium for the test. A missing browser
// fails the test: it is installed by .ci/run.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	chrome, err := headless.Find("")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel, err := headless.Start(context.Background(), chrome, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return ctx
}

// tab is one browser tab of a shopper, on a device whose clock is off by
// skew. The page must not care: it counts down by the server's clock.
type tab struct {
	name string
	ctx  context.Context
	mu   sync.Mutex
	errs []string // uncaught exceptions on the page
}

// newShopper opens a tab in a browser context of its own: its own storage,
// as another person's browser.
func newShopper(t *testing.T, browser context.Context, name string, skew time.Duration) *tab {
	t.Helper()
	return openTab(t, browser, name, skew, chromedp.WithNewBrowserContext())
}

// anotherTab opens a second tab of the same shopper (same storage).
func (tb *tab) anotherTab(t *testing.T, name string) *tab {
	t.Helper()
	return openTab(t, tb.ctx, name, 0)
}

func openTab(t *testing.T, parent context.Context, name string, skew time.Duration, opts ...chromedp.ContextOption) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent, opts...)
	t.Cleanup(cancel)
	// The first run opens the tab and binds it to the context it is given:
	// the tab's own, never a step's shorter one.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	tb := &tab{name: name, ctx: ctx}
	tb.do(t, chromedp.EmulateViewport(900, 760))
	shim := fmt.Sprintf(`(() => {
		const skew = %d, RealDate = Date;
		class SkewedDate extends RealDate {
			constructor(...a) { if (a.length === 0) super(RealDate.now() + skew); else super(...a); }
			static now() { return RealDate.now() + skew; }
		}
		globalThis.Date = SkewedDate;
	})();`, skew.Milliseconds())
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: shim}); err != nil {
		t.Fatal(err)
	}
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
			t.Errorf("%s's page threw: %s", name, e)
		}
	})
	return tb
}

// stepTimeout bounds each browser step, so that a page that never gets into
// the awaited state fails the test instead of hanging it.
const stepTimeout = 20 * time.Second

func (tb *tab) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v\npage: %s", tb.name, err, tb.text(t))
	}
}

func (tb *tab) eval(t *testing.T, expr string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("%s: %s: %v", tb.name, expr, err)
	}
	return v
}

// navigated matches the errors of a poll whose page went away under it.
var navigated = regexp.MustCompile(`Cannot find context with specified id|Execution context was destroyed|Inspected target navigated`)

// wait polls a JavaScript expression until it is truthy and returns its
// value as a string. A poll does not survive a navigation (a click on a
// link, a reload), so it starts again on the new page.
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
		t.Fatalf("%s: waiting for %s: %v\npage: %s", tb.name, what, err, tb.text(t))
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		s = string(v)
	}
	return s
}

// text is the page's visible text, for failure messages.
func (tb *tab) text(t *testing.T) string {
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
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("%s: screenshot: %v", tb.name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// signIn types the user ID into the page once, as a shopper does.
func (tb *tab) signIn(t *testing.T, user string) {
	t.Helper()
	tb.do(t, chromedp.SendKeys(chromedp.ID("user-input"), user), chromedp.Click(chromedp.ID("user-save")))
	tb.wait(t, "the user to be shown", fmt.Sprintf(`(document.getElementById('user-name') || {}).textContent === %q`, user))
}

// buy clicks the buy button and returns the outcome shown for it.
func (tb *tab) buy(t *testing.T) (kind, text string) {
	t.Helper()
	seq := tb.eval(t, `document.getElementById('outcome').dataset.seq || '0'`)
	tb.do(t, chromedp.Click(chromedp.ID("buy")))
	tb.wait(t, "the outcome of the click", fmt.Sprintf(`(document.getElementById('outcome').dataset.seq || '0') !== %q`, seq))
	return tb.eval(t, `document.getElementById('outcome').dataset.outcome`),
		tb.eval(t, `document.getElementById('outcome').textContent`)
}

// countdownSeconds reads a countdown ("mm:ss" or "hh:mm:ss") in seconds.
func countdownSeconds(t *testing.T, s string) int {
	t.Helper()
	total := 0
	for _, part := range strings.Split(s, ":") {
		n, err := strconv.Atoi(part)
		if err != nil {
			t.Fatalf("countdown %q is not [hh:]mm:ss", s)
		}
		total = total*60 + n
	}
	return total
}

// TestStorefrontInBrowser drives the storefront in headless Chromium against
// every function on a real Redis: a sale that starts in two seconds, counted
// down by the server's clock on a device whose clock is ten minutes slow; the
// button enabled at the start and not before; a win, still shown after a
// reload, and paid; a second shopper finding the sale on the home page and
// told it is sold out; a third one clicking in two tabs told to slow down;
// and, with Redis gone, "try again" on an open page and on a new one.
func TestStorefrontInBrowser(t *testing.T) {
	shots := *screenshotDir
	if shots == "" {
		shots = t.TempDir()
	}
	srv := redistest.Start(t)
	s := serve(t, srv, func(cfg *server.Config) {
		// One attempt at once, then one every 20 s: a second click within
		// the test is over the limit.
		cfg.RateLimitUserBurst, cfg.RateLimitUserRPS = 1, 0.05
		// The local trial's demo payment, as scripts/run.sh serves it.
		cfg.PaymentDemo = true
	})
	ctx := context.Background()
	browser := startBrowser(t)

	// Alice types her user ID once, on the home page.
	alice := newShopper(t, browser, "alice", -10*time.Minute)
	alice.do(t, chromedp.Navigate(s.base+"/"))
	alice.wait(t, "the home page", `document.documentElement.dataset.ready === 'true' && !!document.getElementById('sales')`)
	// A malformed ID is refused with the API's message, and not kept.
	alice.do(t, chromedp.SendKeys(chromedp.ID("user-input"), "alice smith"), chromedp.Click(chromedp.ID("user-save")))
	if msg := alice.wait(t, "the refusal", `document.getElementById('who-msg').textContent`); !strings.HasPrefix(msg, "user_id must be 1 to 128 characters") {
		t.Fatalf("message for a malformed user ID: %q", msg)
	}
	alice.do(t, chromedp.Evaluate[chromedp.Void](`document.getElementById('user-input').value = ''`))
	alice.signIn(t, "alice")
	if got := alice.eval(t, `localStorage.getItem('seckill.user')`); got != "alice" {
		t.Fatalf("the user ID is not kept: localStorage has %q", got)
	}

	// A sale of one unit that starts in two seconds (by Redis's clock).
	prod, err := s.store.CreateProduct(ctx, sale.NewProduct{Name: "Espresso machine", Description: "15 bar pump, 1.2 l tank", Price: 24900})
	if err != nil {
		t.Fatal(err)
	}
	redisNow, err := s.store.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	act, err := s.store.CreateActivity(ctx, sale.NewActivity{ProductID: prod.ID, Stock: 1, Price: 9900,
		StartsAt: redisNow.Add(2 * time.Second), EndsAt: redisNow.Add(time.Hour), PaymentWindow: 900})
	if err != nil {
		t.Fatal(err)
	}
	saleURL := s.base + "/?activity=" + act.ID

	// Before the start: the countdown runs by the server's clock (not the
	// device's, ten minutes behind) and the button is disabled.
	alice.do(t, chromedp.Navigate(saleURL))
	left := alice.wait(t, "the countdown before the start", `(() => {
		const phase = document.getElementById('phase'), buy = document.getElementById('buy');
		return phase && phase.dataset.phase === 'scheduled' && buy.disabled && phase.querySelector('.countdown').textContent;
	})()`)
	alice.screenshot(t, shots, "sale-before-start.png")
	if secs := countdownSeconds(t, left); secs < 0 || secs > 2 {
		t.Fatalf("countdown %q before a start 2 s away: not the server's clock", left)
	}
	if name := alice.eval(t, `document.getElementById('product-name').textContent`); name != prod.Name {
		t.Fatalf("product name %q, want %q", name, prod.Name)
	}

	// The countdown reaches zero and the button is enabled, not before the
	// server's start.
	alice.do(t, chromedp.WaitEnabled(chromedp.ID("buy")))
	if enabledAt, err := s.store.Now(ctx); err != nil {
		t.Fatal(err)
	} else if enabledAt.Before(act.StartsAt) {
		t.Fatalf("buy button enabled at %v, before the start %v by Redis's clock", enabledAt, act.StartsAt)
	}
	alice.wait(t, "the sale to be shown running", `document.getElementById('phase').dataset.phase === 'running'`)

	// Alice wins.
	kind, text := alice.buy(t)
	if kind != "won" || !strings.Contains(text, "You won") {
		t.Fatalf("alice's outcome %s %q, want won", kind, text)
	}
	orderID := alice.eval(t, `document.querySelector('#outcome code').textContent`)
	if held, err := s.store.OrderOf(ctx, act.ID, "alice"); err != nil || held != orderID {
		t.Fatalf("the page shows order %q; Redis has %q (%v)", orderID, held, err)
	}
	deadline := alice.wait(t, "the pending order with its deadline", fmt.Sprintf(`(() => {
		const o = document.querySelector('#order-panel .order[data-order=%q][data-status="pending"]');
		return o && o.querySelector('button.demo-pay').textContent.includes('Demo payment') && o.querySelector('button.cancel') && o.querySelector('.deadline .countdown').textContent;
	})()`, orderID))
	if secs := countdownSeconds(t, deadline); secs > 900 || secs < 800 {
		t.Fatalf("payment deadline countdown %q, want at most, and about, 15 minutes", deadline)
	}
	alice.wait(t, "the order in my orders", fmt.Sprintf(`!!document.querySelector('#order-list .order[data-order=%q]')`, orderID))
	alice.screenshot(t, shots, "sale-won.png")

	// A reload still shows the order.
	alice.do(t, chromedp.Reload())
	alice.wait(t, "the order after a reload", fmt.Sprintf(`(() => {
		const o = document.getElementById('outcome');
		return o && o.dataset.outcome === 'held' && o.textContent.includes(%q) &&
			!!document.querySelector('#order-panel .order[data-order=%q][data-status="pending"]');
	})()`, orderID, orderID))

	// Alice pays with the demo payment: a confirmation signed by the server,
	// handled as one from the payment service.
	alice.do(t, chromedp.Click(chromedp.CSS("#order-panel button.demo-pay")))
	alice.wait(t, "the paid order", fmt.Sprintf(`!!document.querySelector('#order-panel .order[data-order=%q][data-status="paid"]')`, orderID))
	if o, err := s.store.Order(ctx, orderID); err != nil || o.Status != sale.OrderPaid || o.PaymentRef != "demo-"+orderID {
		t.Fatalf("order after paying on the page: %+v, %v", o, err)
	}

	// Bob finds the sale on the home page, sold out, and opens it.
	bob := newShopper(t, browser, "bob", 0)
	bob.do(t, chromedp.Navigate(s.base+"/"))
	card := bob.wait(t, "the sale's card", fmt.Sprintf(`(c => c && c.textContent)(document.querySelector('.card[data-activity=%q][data-status="sold_out"]'))`, act.ID))
	for _, want := range []string{prod.Name, "99.00", "249.00", "0 of 1 left", "Sold out"} {
		if !strings.Contains(card, want) {
			t.Fatalf("home page card %q lacks %q", card, want)
		}
	}
	bob.screenshot(t, shots, "home.png")
	bob.do(t, chromedp.Click(chromedp.CSS(fmt.Sprintf(`.card[data-activity=%q] h2 a`, act.ID))))
	bob.wait(t, "the sale page", fmt.Sprintf(`location.search === '?activity=%s' && document.documentElement.dataset.ready === 'true'`, act.ID))
	bob.signIn(t, "bob")

	// On the sale page bob is told it is sold out, before and after he tries.
	bob.wait(t, "the sale shown sold out", `document.getElementById('phase').dataset.phase === 'sold_out' &&
		document.getElementById('phase').textContent.includes('Sold out') && !document.getElementById('buy').disabled`)
	if kind, text := bob.buy(t); kind != "sold_out" || !strings.Contains(text, "Sold out") {
		t.Fatalf("bob's outcome %s %q, want sold_out", kind, text)
	}
	bob.screenshot(t, shots, "sale-sold-out.png")
	if held, err := s.store.OrderOf(ctx, act.ID, "bob"); err != nil || held != "" {
		t.Fatalf("bob holds %q (%v) in a sold-out sale", held, err)
	}

	// Carol has the sale with stock open in two tabs, wins in the first and
	// tries again on her phone (already_won: counted, where the win was not);
	// her click in the second tab reaches Redis over her rate limit, and that
	// tab says to slow down.
	busy, err := s.store.CreateActivity(ctx, sale.NewActivity{ProductID: prod.ID, Stock: 5, Price: 12900,
		StartsAt: redisNow.Add(-time.Minute), EndsAt: redisNow.Add(time.Hour), PaymentWindow: 900})
	if err != nil {
		t.Fatal(err)
	}
	busyURL := s.base + "/?activity=" + busy.ID
	carol := newShopper(t, browser, "carol", 0)
	carol.do(t, chromedp.Navigate(busyURL))
	carol.wait(t, "the page", `document.documentElement.dataset.ready === 'true'`)
	carol.signIn(t, "carol")
	carol2 := carol.anotherTab(t, "carol's second tab")
	carol2.do(t, chromedp.Navigate(busyURL))
	carol2.wait(t, "the page, signed in, with the button enabled", `document.documentElement.dataset.ready === 'true' &&
		(document.getElementById('user-name') || {}).textContent === 'carol' && !document.getElementById('buy').disabled`)
	if kind, text := carol.buy(t); kind != "won" {
		t.Fatalf("carol's first attempt: %s %q, want won", kind, text)
	}
	carol.wait(t, "the buy button disabled after the win", `(b => b.disabled && b.textContent === 'One per customer')(document.getElementById('buy'))`)
	phone, err := http.Post(s.base+"/activities/"+busy.ID+"/purchase", "application/json", strings.NewReader(`{"user_id":"carol"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(phone.Body)
	phone.Body.Close()
	if phone.StatusCode != 200 || !strings.Contains(string(body), `"already_won"`) {
		t.Fatalf("carol's attempt on her phone: %d %s, want already_won", phone.StatusCode, body)
	}
	kind, text = carol2.buy(t)
	if kind != "rate_limited" || !regexp.MustCompile(`^Slow down: too many attempts\. Try again in \d+ s\.$`).MatchString(text) {
		t.Fatalf("carol's second attempt: %s %q, want the slow-down message", kind, text)
	}
	if label := carol2.eval(t, `(b => b.disabled && b.textContent)(document.getElementById('buy'))`); !regexp.MustCompile(`^Wait \d+ s$`).MatchString(label) {
		t.Fatalf("buy button while rate limited: %q, want disabled, \"Wait N s\"", label)
	}
	if a, err := s.store.Activity(ctx, busy.ID); err != nil || a.Remaining != busy.Stock-1 {
		t.Fatalf("after one win and one refused attempt: %+v, %v; want one unit sold", a, err)
	}
	carol2.screenshot(t, shots, "sale-slow-down.png")

	// Carol cancels her order on the page. One order per customer: the page
	// says her order is closed and keeps the button off, also after a reload.
	carol.do(t, chromedp.Click(chromedp.CSS("#order-panel button.cancel")))
	carol.do(t, chromedp.Click(chromedp.CSS("#order-panel button.cancel")))
	closedShown := `(() => {
		const o = document.getElementById('outcome'), b = document.getElementById('buy');
		return !!o && o.dataset.outcome === 'order_closed' && o.textContent.includes('was cancelled') &&
			!!document.querySelector('#order-panel .order[data-status="cancelled"]') && b.disabled && b.textContent === 'One per customer';
	})()`
	carol.wait(t, "the closed order after cancelling", closedShown)
	carol.do(t, chromedp.Reload())
	carol.wait(t, "the closed order after a reload", `document.documentElement.dataset.ready === 'true' && `+closedShown)

	// Redis goes away: the page keeps what it showed and says to try again.
	srv.Kill()
	msg := carol.wait(t, "the try-again notice", `(n => !n.hidden && n.textContent)(document.getElementById('notice'))`)
	if !strings.Contains(msg, "try again") {
		t.Fatalf("notice with Redis down: %q, want a try-again message", msg)
	}
	if carol.eval(t, `document.getElementById('product-name').textContent`) != prod.Name {
		t.Fatal("the sale page lost its content when the shop became unavailable")
	}
	// A page opened now cannot load its sale, and says so: never a blank page.
	dan := newShopper(t, browser, "dan", 0)
	dan.do(t, chromedp.Navigate(saleURL))
	msg = dan.wait(t, "the page's failure", `(f => f && f.textContent)(document.getElementById('fatal'))`)
	if !strings.Contains(msg, "try again") || dan.eval(t, `document.querySelector('main h1').textContent`) != "The sale could not be shown" {
		t.Fatalf("a page loaded with Redis down shows %q", dan.text(t))
	}
	t.Logf("screenshots in %s", shots)
}

// TestStorefrontWithUserTokens drives the page with user JWTs on: a token
// given in the address is kept and removed from it, sent with the purchase,
// the order and the order history; a token the shop refuses is shown with
// the shop's reason.
func TestStorefrontWithUserTokens(t *testing.T) {
	const secret = "storefront-test-secret-of-32-bytes!"
	srv := redistest.Start(t)
	s := serve(t, srv, func(cfg *server.Config) { cfg.UserAuth, cfg.UserJWTSecret = "on", secret })
	ctx := context.Background()
	sign := func(key, sub string) string {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
			Subject: sub, ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}).SignedString([]byte(key))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	act := servertest.MustActivity(t, s.store, 2)
	browser := startBrowser(t)

	token := sign(secret, "dave")
	dave := newShopper(t, browser, "dave", 0)
	dave.do(t, chromedp.Navigate(s.base+"/?activity="+act.ID+"#token="+token))
	dave.wait(t, "dave signed in from the address", `document.documentElement.dataset.ready === 'true' &&
		(document.getElementById('user-name') || {}).textContent === 'dave' && location.hash === '' && !document.getElementById('buy').disabled`)
	if got := dave.eval(t, `localStorage.getItem('seckill.token')`); got != token {
		t.Fatalf("the token is not kept: localStorage has %q", got)
	}
	if kind, text := dave.buy(t); kind != "won" {
		t.Fatalf("dave's outcome %s %q, want won", kind, text)
	}
	if held, err := s.store.OrderOf(ctx, act.ID, "dave"); err != nil || held == "" {
		t.Fatalf("dave holds %q (%v) after winning on the page", held, err)
	}
	dave.wait(t, "the order in my orders (a user route)", `!!document.querySelector('#order-list .order[data-status="pending"]')`)

	// Signed out, dave pastes a token signed with another key.
	dave.do(t, chromedp.Click(chromedp.ID("user-change")))
	dave.do(t, chromedp.SendKeys(chromedp.ID("user-input"), sign(strings.Repeat("x", 32), "dave")), chromedp.Click(chromedp.ID("user-save")))
	msg := dave.wait(t, "the refusal", `document.getElementById('who-msg').textContent`)
	if !strings.Contains(msg, "sign in again") || !strings.Contains(msg, "bad signature") {
		t.Fatalf("message for a refused token: %q", msg)
	}
	if got := dave.eval(t, `localStorage.getItem('seckill.token') || ''`); got != "" {
		t.Fatalf("a refused token was kept: %q", got)
	}
}

// TestStorefrontWaitingRoom drives the page of a sale with a waiting room:
// the buy button stays off until the shopper's turn; joining shows the
// place and the estimated wait, updated as the queue moves; once the turn
// comes the button is on and the purchase carries the admission token.
func TestStorefrontWaitingRoom(t *testing.T) {
	shots := *screenshotDir
	if shots == "" {
		shots = t.TempDir()
	}
	srv := redistest.Start(t)
	cfg := server.TestConfig(servertest.AdminToken)
	store := srv.Store(t)
	d := server.Deps{Store: store, Log: servertest.Logger(), Config: cfg}
	base := servertest.Listen(t, d, all.Functions...)
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	server.StartBackground(ctx, d, all.Functions...) // the job that admits the waiting

	prod, err := store.CreateProduct(ctx, sale.NewProduct{Name: "Concert ticket", Price: 9000})
	if err != nil {
		t.Fatal(err)
	}
	redisNow, err := store.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	opens, rate := redisNow.Add(-time.Minute), int64(1)
	act, err := store.CreateActivity(ctx, sale.NewActivity{ProductID: prod.ID, Stock: 1, Price: 4500,
		StartsAt: redisNow.Add(3 * time.Second), EndsAt: redisNow.Add(time.Hour), PaymentWindow: 900,
		AdmissionSettings: sale.AdmissionSettings{Admission: sale.AdmissionQueue, QueueOpensAt: &opens, AdmitRate: &rate}})
	if err != nil {
		t.Fatal(err)
	}
	browser := startBrowser(t)
	erin := newShopper(t, browser, "erin", 0)
	erin.do(t, chromedp.Navigate(base+"/?activity="+act.ID))
	erin.wait(t, "the page", `document.documentElement.dataset.ready === 'true'`)
	erin.signIn(t, "erin")

	// Not in the queue yet: the page offers to join, and the button is off.
	erin.wait(t, "the offer to join", `(q => q && q.dataset.status === 'none' && !document.getElementById('queue-join').disabled)(document.getElementById('queue'))`)
	if label := erin.eval(t, `(b => b.disabled && b.textContent)(document.getElementById('buy'))`); label != "Wait for your turn" {
		t.Fatalf("buy button before joining: %q, want disabled, \"Wait for your turn\"", label)
	}
	erin.do(t, chromedp.Click(chromedp.ID("queue-join")))
	shown := erin.wait(t, "the place in the queue", `(q => q.dataset.status === 'waiting' &&
		document.getElementById('queue-position').textContent + ' ' + document.getElementById('queue-wait').textContent)(document.getElementById('queue'))`)
	pos, wait, _ := strings.Cut(shown, " ")
	if pos != "1" || countdownSeconds(t, wait) > 4 {
		t.Fatalf("place and wait shown %q, want place 1 and at most the seconds to the start", shown)
	}
	if st, err := store.QueueStatusOf(ctx, act.ID, "erin"); err != nil || st.Position != 1 {
		t.Fatalf("erin in Redis: %+v, %v; want place 1", st, err)
	}
	if erin.eval(t, `String(document.getElementById("buy").disabled)`) != "true" {
		t.Fatal("buy button enabled while waiting")
	}
	erin.screenshot(t, shots, "sale-queue-waiting.png")

	// Her turn comes after the start: the button is on, and the purchase
	// sends the admission token.
	erin.wait(t, "erin's turn", `document.getElementById('queue').dataset.status === 'admitted' && !document.getElementById('buy').disabled`)
	if enabledAt, err := store.Now(ctx); err != nil || enabledAt.Before(act.StartsAt) {
		t.Fatalf("turn shown at %v (%v), before the start %v", enabledAt, err, act.StartsAt)
	}
	erin.screenshot(t, shots, "sale-queue-turn.png")
	if kind, text := erin.buy(t); kind != "won" {
		t.Fatalf("erin's outcome %s %q, want won", kind, text)
	}
	if held, err := store.OrderOf(ctx, act.ID, "erin"); err != nil || held == "" {
		t.Fatalf("erin holds %q (%v) after buying in her turn", held, err)
	}

	// Without a turn there is no purchase, page or not.
	resp, err := http.Post(base+"/activities/"+act.ID+"/purchase", "application/json", strings.NewReader(`{"user_id":"frank"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"admission_required"`) {
		t.Fatalf("purchase without a turn: %d %s, want 403 admission_required", resp.StatusCode, body)
	}
}
