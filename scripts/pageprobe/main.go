// Command pageprobe measures the storefront page in headless Chromium, the
// way a shopper's browser loads it, and keeps pages open for load tests.
//
//	pageprobe measure [--runs 5] URL...   weight and time to interactive
//	pageprobe poll [--tabs 10] URL...     keep pages open (polling) until stopped
//
// measure loads each URL --runs times, each in a fresh browser context (empty
// cache and storage), waits until the page says it is interactive (its
// "storefront-ready" performance mark: the view is drawn from live data and
// its buttons work), and reads the browser's Navigation and Resource Timing:
// bytes transferred (headers included, as the browser counts them) for the
// document, its script and style, and the API calls made until then; and the
// time to first byte, DOMContentLoaded, load, and ready. It then reloads the
// page once (revalidation: 304s) and reads the same. It prints the medians.
//
// poll opens --tabs tabs over the URLs, round robin, each in a browser context
// of its own (another shopper), and keeps them open, polling as the page does,
// for --duration or until SIGINT or SIGTERM; it then prints how many API
// calls the pages made and the CPU time the browser used meanwhile. With
// --blank it opens as many empty pages instead: the browser's own cost, as a
// control.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"seckill/functions/storefront/headless"
)

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "measure":
		err = measureMain(os.Args[2:], os.Stdout)
	case "poll":
		err = pollMain(os.Args[2:], os.Stdout)
	case "-h", "--help", "help":
		usage(os.Stdout)
		return
	default:
		usage(os.Stderr)
		os.Exit(2)
	}
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pageprobe:", err)
		os.Exit(1)
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, "usage: pageprobe measure [--runs N] [--chromium PATH] [--json] URL...\n"+
		"       pageprobe poll [--tabs N] [--duration D] [--chromium PATH] URL...\n"+
		"       pageprobe poll --blank [--tabs N] [--duration D] [--chromium PATH]\n")
}

// startBrowser starts headless Chromium with a fresh profile that is removed
// when stop is called.
func startBrowser(ctx context.Context, chromium string) (context.Context, func(), error) {
	path, err := headless.Find(chromium)
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "pageprobe-")
	if err != nil {
		return nil, nil, err
	}
	bctx, cancel, err := headless.Start(ctx, path, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return bctx, func() { cancel(); os.RemoveAll(dir) }, nil
}

// openTab opens a tab in a new browser context: an empty cache and storage.
func openTab(browser context.Context) (context.Context, context.CancelFunc, error) {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		return nil, nil, err
	}
	// Keep every resource entry (the default buffer holds 250).
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: "performance.setResourceTimingBufferSize(1000000);"})
	if err != nil {
		cancel()
		return nil, nil, err
	}
	return ctx, cancel, nil
}

// load is one load of a page, as the browser timed it.
type load struct {
	DocumentBytes  float64 `json:"document_bytes"`
	AssetBytes     float64 `json:"asset_bytes"`
	Assets         float64 `json:"assets"`
	APIBytes       float64 `json:"api_bytes"`
	APICalls       float64 `json:"api_calls"`
	TotalBytes     float64 `json:"total_bytes"`
	TTFBMS         float64 `json:"ttfb_ms"`
	DOMContentMS   float64 `json:"dom_content_loaded_ms"`
	LoadMS         float64 `json:"load_ms"`
	InteractiveMS  float64 `json:"interactive_ms"`
	AssetBodyBytes float64 `json:"asset_body_bytes"`
}

// timings reads the load from the page, counting what was transferred until
// the page was interactive.
const timings = `(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const ready = performance.getEntriesByName('storefront-ready')[0].startTime;
  const res = performance.getEntriesByType('resource').filter((r) => r.responseEnd <= ready);
  const sum = (xs, f) => xs.reduce((n, x) => n + f(x), 0);
  const assets = res.filter((r) => r.initiatorType !== 'fetch');
  const apis = res.filter((r) => r.initiatorType === 'fetch');
  const l = {
    document_bytes: nav.transferSize, asset_bytes: sum(assets, (r) => r.transferSize), assets: assets.length,
    asset_body_bytes: nav.encodedBodySize + sum(assets, (r) => r.encodedBodySize),
    api_bytes: sum(apis, (r) => r.transferSize), api_calls: apis.length,
    ttfb_ms: nav.responseStart, dom_content_loaded_ms: nav.domContentLoadedEventEnd, load_ms: nav.loadEventEnd,
    interactive_ms: ready,
  };
  l.total_bytes = l.document_bytes + l.asset_bytes + l.api_bytes;
  return l;
})()`

func waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`document.documentElement.dataset.ready === 'true' && performance.getEntriesByName('storefront-ready').length > 0`,
		chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		return fmt.Errorf("the page did not become interactive: %w", err)
	}
	// The load event can come after the page is interactive.
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`performance.getEntriesByType('navigation')[0].loadEventEnd > 0`,
		chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	return err
}

func measureOnce(browser context.Context, url string) (first, again load, err error) {
	ctx, cancel, err := openTab(browser)
	if err != nil {
		return first, again, err
	}
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return first, again, err
	}
	if err := waitReady(ctx); err != nil {
		return first, again, err
	}
	if first, err = chromedp.Run(ctx, chromedp.Evaluate[load](timings)); err != nil {
		return first, again, err
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		return first, again, err
	}
	if err := waitReady(ctx); err != nil {
		return first, again, err
	}
	again, err = chromedp.Run(ctx, chromedp.Evaluate[load](timings))
	return first, again, err
}

// result is the medians of one URL's runs.
type result struct {
	URL    string `json:"url"`
	Runs   int    `json:"runs"`
	First  load   `json:"first_load"`
	Reload load   `json:"reload"`
	// InteractiveMinMS and InteractiveMaxMS bound the first loads' time to
	// interactive.
	InteractiveMinMS float64 `json:"interactive_min_ms"`
	InteractiveMaxMS float64 `json:"interactive_max_ms"`
}

func measureMain(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("pageprobe measure", flag.ContinueOnError)
	runs := fs.Int("runs", 5, "loads of each URL")
	chromium := fs.String("chromium", "", "browser executable (default: chromium on PATH)")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 || *runs < 1 {
		return errors.New("give one or more URLs, and --runs of at least 1")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	browser, closeBrowser, err := startBrowser(ctx, *chromium)
	if err != nil {
		return err
	}
	defer closeBrowser()

	// One load first, not counted: the browser's own start-up (its first
	// renderer, code caches) is not the page's cost.
	if _, _, err := measureOnce(browser, fs.Arg(0)); err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	var results []result
	for _, url := range fs.Args() {
		var firsts, agains []load
		for range *runs {
			f, a, err := measureOnce(browser, url)
			if err != nil {
				return fmt.Errorf("%s: %w", url, err)
			}
			firsts, agains = append(firsts, f), append(agains, a)
		}
		ready := make([]float64, len(firsts))
		for i, f := range firsts {
			ready[i] = f.InteractiveMS
		}
		results = append(results, result{URL: url, Runs: *runs, First: medianLoad(firsts), Reload: medianLoad(agains),
			InteractiveMinMS: slices.Min(ready), InteractiveMaxMS: slices.Max(ready)})
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "page\tload\tbytes total\tdocument\tscript+style\tAPI calls\tAPI bytes\tTTFB ms\tDOMContentLoaded ms\tload ms\tinteractive ms\t")
	for _, r := range results {
		for _, row := range []struct {
			name string
			l    load
		}{{"first (empty cache)", r.First}, {"reload (304s)", r.Reload}} {
			l := row.l
			fmt.Fprintf(w, "%s\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", r.URL, row.name,
				l.TotalBytes, l.DocumentBytes, l.AssetBytes, l.APICalls, l.APIBytes, l.TTFBMS, l.DOMContentMS, l.LoadMS, l.InteractiveMS)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		fmt.Fprintf(stdout, "%s: medians of %d loads; first-load interactive between %.1f and %.1f ms; document+script+style bodies %.0f bytes compressed\n",
			r.URL, r.Runs, r.InteractiveMinMS, r.InteractiveMaxMS, r.First.AssetBodyBytes)
	}
	return nil
}

// medianLoad takes the median of each field on its own.
func medianLoad(ls []load) load {
	field := func(f func(load) float64) float64 {
		v := make([]float64, len(ls))
		for i, l := range ls {
			v[i] = f(l)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return load{
		DocumentBytes:  field(func(l load) float64 { return l.DocumentBytes }),
		AssetBytes:     field(func(l load) float64 { return l.AssetBytes }),
		Assets:         field(func(l load) float64 { return l.Assets }),
		APIBytes:       field(func(l load) float64 { return l.APIBytes }),
		APICalls:       field(func(l load) float64 { return l.APICalls }),
		TotalBytes:     field(func(l load) float64 { return l.TotalBytes }),
		TTFBMS:         field(func(l load) float64 { return l.TTFBMS }),
		DOMContentMS:   field(func(l load) float64 { return l.DOMContentMS }),
		LoadMS:         field(func(l load) float64 { return l.LoadMS }),
		InteractiveMS:  field(func(l load) float64 { return l.InteractiveMS }),
		AssetBodyBytes: field(func(l load) float64 { return l.AssetBodyBytes }),
	}
}

func pollMain(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("pageprobe poll", flag.ContinueOnError)
	tabs := fs.Int("tabs", 10, "pages to keep open, over the URLs in turn, each another shopper")
	duration := fs.Duration("duration", 0, "how long to keep them open (0: until SIGINT or SIGTERM)")
	chromium := fs.String("chromium", "", "browser executable (default: chromium on PATH)")
	blank := fs.Bool("blank", false, "open empty pages (no script, no requests) instead of URLs: the control")
	if err := fs.Parse(args); err != nil {
		return err
	}
	urls := fs.Args()
	if *blank {
		urls = []string{blankPage}
	}
	if len(urls) == 0 || *tabs < 1 {
		return errors.New("give one or more URLs (or --blank), and --tabs of at least 1")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	browser, closeBrowser, err := startBrowser(context.Background(), *chromium)
	if err != nil {
		return err
	}
	defer closeBrowser()

	var open []context.Context
	for i := range *tabs {
		tab, cancel, err := openTab(browser)
		if err != nil {
			return err
		}
		defer cancel()
		if err := chromedp.Do(tab, chromedp.Navigate(urls[i%len(urls)])); err != nil {
			return err
		}
		if err := waitReady(tab); err != nil {
			return err
		}
		open = append(open, tab)
	}
	var browserPID int
	if c := chromedp.FromContext(browser); c != nil && c.Browser != nil && c.Browser.Process() != nil {
		browserPID = c.Browser.Process().Pid
	}
	// Count only the calls made while every page is open: each page's
	// clock at the start is where its count begins.
	since := make([]float64, len(open))
	for i, tab := range open {
		if since[i], err = chromedp.Run(tab, chromedp.Evaluate[float64](`performance.now()`)); err != nil {
			return err
		}
	}
	cpuBefore, cpuErr := treeCPU(browserPID)
	started := time.Now()
	fmt.Fprintf(os.Stderr, "pageprobe: %d pages open and polling\n", len(open))
	if *duration > 0 {
		select {
		case <-ctx.Done():
		case <-time.After(*duration):
		}
	} else {
		<-ctx.Done()
	}
	elapsed := time.Since(started)
	cpuAfter, err := treeCPU(browserPID)
	if cpuErr == nil {
		cpuErr = err
	}
	calls := 0
	for i, tab := range open {
		n, err := chromedp.Run(tab, chromedp.Evaluate[int](fmt.Sprintf(
			`performance.getEntriesByType('resource').filter((r) => r.initiatorType === 'fetch' && r.startTime > %f).length`, since[i])))
		if err != nil {
			return err
		}
		calls += n
	}
	cpu := "browser CPU unknown: " + fmt.Sprint(cpuErr)
	if cpuErr == nil {
		used := (cpuAfter - cpuBefore).Seconds()
		cpu = fmt.Sprintf("browser CPU %.1f s (%.0f%% of one core)", used, 100*used/elapsed.Seconds())
	}
	fmt.Fprintf(stdout, "%d pages open for %.1f s, %s, made %d API calls: %.1f calls/s\n",
		len(open), elapsed.Seconds(), cpu, calls, float64(calls)/elapsed.Seconds())
	return nil
}

// blankPage is an empty page that only says it is ready, as the storefront
// does when it is interactive.
const blankPage = "data:text/html,<title>blank</title><script>" +
	"document.documentElement.dataset.ready='true';performance.mark('storefront-ready')</script>"

// clockTick is the unit of CPU times in /proc/<pid>/stat: USER_HZ, 100 on
// every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// treeCPU returns the CPU time (user and system) used so far by the process
// pid and its live descendants (the browser's renderers, GPU and network
// processes), from /proc.
func treeCPU(pid int) (time.Duration, error) {
	if pid == 0 {
		return 0, errors.New("no browser process")
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	type stat struct {
		ppid int
		cpu  time.Duration
	}
	procs := map[int]stat{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		// The command name (field 2) is in parentheses and may hold spaces:
		// the fields after it start after the last ')'.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		procs[p] = stat{ppid: ppid, cpu: time.Duration(utime+stime) * clockTick}
	}
	if _, ok := procs[pid]; !ok {
		return 0, fmt.Errorf("browser process %d not found in /proc", pid)
	}
	var total time.Duration
	for p, st := range procs {
		for q := p; q > 1; q = procs[q].ppid {
			if q == pid {
				total += st.cpu
				break
			}
			if _, ok := procs[q]; !ok {
				break
			}
		}
	}
	return total, nil
}
