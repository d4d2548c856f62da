package web_test

// What the browser tests share: a headless Chromium and its tabs, which fail the test on the
// page's script errors; waits, screenshots, the page strings, and axe-core's accessibility scan.
// scripts/browser installs Chromium, fonts for Arabic, Persian and Tigrinya, and axe-core.
// Screenshots go to var/screenshots/ (not committed) for a person to look at.

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nyisverige/lots/ingest/demosite"
)

// browserTimeout bounds each test's browser: a hang fails the test instead of blocking CI.
const browserTimeout = 60 * time.Second

// waitTimeout bounds one wait for the page (an answer, a navigation).
const waitTimeout = 20 * time.Second

// axeResults are the violations axe-core found.
type axeResults struct {
	Violations []struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target string `json:"target"`
			HTML   string `json:"html"`
		} `json:"nodes"`
	} `json:"violations"`
}

// runAxe scans the tab's page for violations of WCAG 2.0 and 2.1, levels A and AA.
func runAxe(tb *tab, axeSource []byte) axeResults {
	tb.t.Helper()
	tb.do(chromedp.Evaluate[chromedp.Void](string(axeSource)))
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.Evaluate[axeResults](`axe.run(document, {
		runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
		resultTypes: ['violations'],
	}).then((r) => ({violations: r.violations.map((v) => ({
		id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.map((n) => ({target: String(n.target), html: n.html})),
	}))}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("axe.run: %v", err)
	}
	return res
}

// reportAxe fails t on serious and critical violations, and logs the others.
func reportAxe(t *testing.T, res axeResults) {
	t.Helper()
	for _, v := range res.Violations {
		report := t.Logf
		if v.Impact == "serious" || v.Impact == "critical" {
			report = t.Errorf
		}
		report("axe %s (%s): %s", v.ID, v.Impact, v.Help)
		for _, n := range v.Nodes {
			report("    %s: %s", n.Target, n.HTML)
		}
	}
}

// loadAxe reads axe-core's script ($LOTS_AXE, or where scripts/browser installs it).
func loadAxe(t *testing.T) []byte {
	t.Helper()
	axeSource, err := os.ReadFile(cmp.Or(os.Getenv("LOTS_AXE"), filepath.Join("..", "var", "node", "node_modules", "axe-core", "axe.min.js")))
	if err != nil {
		t.Fatalf("axe-core: %v: run scripts/browser (or set LOTS_AXE to axe.min.js)", err)
	}
	return axeSource
}

// serveDemo serves the demo agency sites until the test ends, and returns their base URL.
func serveDemo(t *testing.T) string {
	t.Helper()
	site, err := demosite.New()
	if err != nil {
		t.Fatal(err)
	}
	demo := httptest.NewServer(site)
	t.Cleanup(demo.Close)
	return demo.URL
}

// pageDir is the writing direction of a page in lang.
func pageDir(lang string) string {
	if lang == "ar" || lang == "fa" {
		return "rtl"
	}
	return "ltr"
}

// uiStrings are the strings of one file of i18n/: name is a language ("sv", the chat's strings)
// or an area and a language ("console.sv").
func uiStrings(t *testing.T, name string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("i18n", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// browser is one headless Chromium for a test.
type browser struct {
	ctx context.Context
}

// newBrowser starts Chromium ($LOTS_CHROMIUM, or Debian's /usr/bin/chromium) with a fresh
// profile and the extra options. Without it the test fails, telling to run scripts/browser;
// -short skips it.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	if testing.Short() {
		t.Skip("a browser test: -short skips it")
	}
	path := cmp.Or(os.Getenv("LOTS_CHROMIUM"), "/usr/bin/chromium")
	if _, err := exec.LookPath(path); err != nil {
		t.Fatalf("no Chromium (%v): run scripts/browser, or set LOTS_CHROMIUM", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // root in containers and CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// The machine has no network beyond loopback: Chromium must not try to reach Google.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start Chromium %s: %v (run scripts/browser)", path, err)
	}
	return &browser{ctx: browserCtx}
}

// tab is a browser tab for t. An uncaught exception or a console error of the chat page (a
// script error, a refused Content-Security-Policy, a failed request) fails t; other sites'
// (the demo agency pages have no favicon) do not.
type tab struct {
	t      *testing.T
	ctx    context.Context
	origin string // the chat server's, e.g. http://127.0.0.1:41234

	mu       sync.Mutex
	problems []string
}

func (b *browser) tab(t *testing.T) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("open a tab: %v", err)
	}
	tb := &tab{t: t, ctx: ctx}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError {
				tb.mu.Lock()
				if m.URL != "" && tb.origin != "" && !strings.HasPrefix(m.URL, tb.origin+"/") {
					tb.mu.Unlock()
					continue
				}
				tb.problems = append(tb.problems, fmt.Sprintf("%s (%s:%d)", m.Text, m.URL, m.Line+1))
				tb.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		for _, p := range tb.problems {
			t.Errorf("browser console: %s", p)
		}
	})
	return tb
}

// do runs the steps in the tab, failing the test on an error.
func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression in the tab's page and decodes its value into T.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("evaluate %.80q: %v", expr, err)
	}
	return v
}

// waitFor waits until the expression is true; what names it in the failure.
func (tb *tab) waitFor(expr, what string) {
	tb.t.Helper()
	_, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(waitTimeout)))
	if err != nil {
		tb.t.Fatalf("waiting for %s: %v (page says %q)", what, err, tb.pageError())
	}
}

// pageError is the error the page shows the user, if any.
func (tb *tab) pageError() string {
	s, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.getElementById('form-error')?.textContent ?? ''`))
	return s
}

// setOrigin takes the chat server's origin from a URL of its.
func (tb *tab) setOrigin(rawURL string) {
	u, err := url.Parse(rawURL)
	if err != nil {
		tb.t.Fatal(err)
	}
	tb.mu.Lock()
	tb.origin = u.Scheme + "://" + u.Host
	tb.mu.Unlock()
}

// waitLocation waits until the page's path and query are want, across the navigations on the
// way (a poll inside a page that navigates away fails, so each poll is short and retried).
func (tb *tab) waitLocation(want, what string) {
	tb.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	got := ""
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
		loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState === 'complete' ? location.pathname + location.search : ''`))
		cancel()
		if err == nil && loc == want {
			return
		}
		if err == nil && loc != "" {
			got = loc
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.t.Fatalf("waiting for %s (%s): the page is at %q (page says %q)", what, want, got, tb.pageError())
}

// expectLoadError drops from the tab's console problems the failed load of a page that is an
// answer with an error status on purpose (a wrong recovery code gives 401).
func (tb *tab) expectLoadError(status string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	kept := tb.problems[:0]
	for _, p := range tb.problems {
		if !strings.Contains(p, "status of "+status) {
			kept = append(kept, p)
		}
	}
	tb.problems = kept
}

// visit loads a page of the site and returns its path and query once loaded.
func (tb *tab) visit(rawURL string) string {
	tb.t.Helper()
	tb.setOrigin(rawURL)
	tb.do(chromedp.Navigate(rawURL))
	return eval[string](tb, `location.pathname + location.search`)
}

// waitAcrossReloads waits until the expression is true in the tab's page, which may reload
// meanwhile (console.js reloads a source's page when its crawl ends).
func waitAcrossReloads(tb *tab, expr, what string) {
	tb.t.Helper()
	deadline := time.Now().Add(2 * waitTimeout)
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`document.readyState === 'complete' && (`+expr+`)`))
		if err == nil && ok {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	tb.t.Fatalf("waiting for %s: timed out", what)
}

// screenshot saves the whole page as var/screenshots/name (PNG).
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	dir := filepath.Join("..", "var", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
