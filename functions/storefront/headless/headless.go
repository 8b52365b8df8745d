// Package headless starts the headless Chromium that the storefront's
// browser test and the page probe (scripts/pageprobe) drive with chromedp.
// The flags keep a browser without internet access quiet: no background
// networking, component updates, sync or QUIC, each of which otherwise
// retries (and logs) for as long as the browser runs.
package headless

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/chromedp/chromedp"
)

// Candidates are the executable names looked up on PATH, in order: Debian's
// package "chromium" installs /usr/bin/chromium.
var Candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// ErrNoChromium says that no browser was found, and how to install one.
var ErrNoChromium = errors.New("headless Chromium not found on PATH (looked for chromium, chromium-browser, google-chrome): " +
	"install it with 'apt-get install -y chromium' (Debian/Ubuntu; .ci/run does it)")

// Find returns the path of the browser: path itself when it is not empty,
// else the first of Candidates on PATH.
func Find(path string) (string, error) {
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("browser %s: %w", path, err)
		}
		return path, nil
	}
	for _, name := range Candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// Options are the allocator options: the browser at execPath, headless,
// with a fresh profile in userDataDir (which the caller removes).
func Options(execPath, userDataDir string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(userDataDir),
		chromedp.Headless,
		chromedp.NoSandbox, // tests and CI run as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		// A page in a tab that is not focused must keep its timers running:
		// the storefront's countdowns and polls are what is being tested.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.WindowSize(1100, 900),
	}
}

// Start starts the browser and returns a chromedp context for its first tab;
// cancel stops the browser. userDataDir must be a new empty directory.
func Start(parent context.Context, execPath, userDataDir string) (context.Context, context.CancelFunc, error) {
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(parent, Options(execPath, userDataDir)...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	cancel := func() { cancelCtx(); cancelAlloc() }
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no timeout of its own
		cancel()
		return nil, nil, fmt.Errorf("start %s: %w", execPath, err)
	}
	return ctx, cancel, nil
}
