package web_test

// The stewards' console in headless Chromium, as a steward uses it: add a source, vet it, see
// it crawl (the page follows the crawl's progress by itself), build and evaluate a new index
// version, compare it with the live one and publish it; every console page is scanned by axe.

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/evals"
	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/retrieval/store/storetest"
	"github.com/nyisverige/lots/web"
	"github.com/nyisverige/lots/web/auth"
)

func TestBrowserConsole(t *testing.T) {
	b := newBrowser(t)
	axeSource := loadAxe(t)
	site := startConsoleSite(t)
	sv := uiStrings(t, "console.sv")
	tab := b.tab(t)
	tab.setOrigin(site.URL)
	tab.do(chromedp.Navigate(site.URL + "/signin?lang=sv")) // a page with no favicon to fetch
	tab.do(chromedp.Evaluate[chromedp.Void](`document.cookie = ` + jsString(auth.SessionCookie+"="+site.session+"; path=/")))

	// go loads a console page and checks it with axe.
	visit := func(path, name string) {
		t.Helper()
		tab.do(chromedp.Navigate(site.URL + path))
		tab.waitFor(`document.readyState === 'complete'`, path)
		reportAxe(t, runAxe(tab, axeSource))
		tab.screenshot("console-" + name + ".png")
	}
	// submit clicks a form's button and waits for the page it leads to.
	submit := func(sel string) {
		t.Helper()
		resp, err := chromedp.RunResponse(tab.ctx, chromedp.Click(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("click %s: %v", sel, err)
		}
		if resp.Status != 200 {
			t.Fatalf("click %s: HTTP %d for %s", sel, resp.Status, resp.URL)
		}
	}
	flash := func(key string) {
		t.Helper()
		if got := eval[string](tab, `document.querySelector('.flash')?.textContent ?? ''`); got != sv[key] {
			t.Fatalf("confirmation %q; want %q (the page says %q)", got, sv[key],
				eval[string](tab, `[...document.querySelectorAll('.error, .field-error, .notice')].map((e) => e.textContent).join(' | ')`))
		}
	}

	// Add the source: the form in Swedish, filled as a steward types it.
	visit("/console/sources/new?lang=sv", "source-new")
	prefix := site.demo + "/skatteverket/"
	for id, value := range map[string]string{"src-name": "skatteverket-demo", "src-agency": "Skatteverket",
		"src-prefixes": prefix, "src-start": prefix + "sv/", "src-delay": "0", "src-conc": "4"} {
		tab.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%s).value = %s`, jsString(id), jsString(value))))
	}
	tab.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name=local]').checked = true`))
	submit(`form[method=post][action^="/console/sources"] button[type=submit]`)
	flash("console_done_source_added")

	// Vet it and crawl it: the page follows the crawl and shows the pages when it is done.
	submit(`form[action*="/vet"] button`)
	flash("console_done_source_vet")
	submit(`form[action*="/recrawl"] button`)
	flash("console_done_recrawl")
	waitAcrossReloads(tab, `document.querySelectorAll('#pages-body tr').length >= 7`, "the crawled pages in seven languages")
	if got := eval[string](tab, `document.getElementById('crawl-progress').textContent`); !strings.HasPrefix(got, strings.SplitN(sv["console_crawl_done"], " %s", 2)[0]) {
		t.Errorf("after the crawl the page says %q; want the finished crawl", got)
	}
	reportAxe(t, runAxe(tab, axeSource))
	tab.screenshot("console-source.png")

	// Build a new index version beside the live one, evaluate both, publish the new one.
	visit("/console/index?lang=sv", "index-empty")
	submit(`form[action^="/console/index/build"] button`)
	flash("console_done_build_queued")
	ready := site.waitVersion(t, func(v store.IndexVersion) bool { return v.State == store.IndexReady })
	for _, id := range []int{ready.ID, 1} {
		tab.do(chromedp.Navigate(site.URL + "/console/index?lang=sv"))
		submit(fmt.Sprintf(`form[action^="/console/index/%d/evaluate"] button`, id))
		site.waitVersion(t, func(v store.IndexVersion) bool { return v.ID == id && !v.EvaluatedAt.IsZero() })
	}
	visit(fmt.Sprintf("/console/index?lang=sv&compare=%d", ready.ID), "index-compare")
	if n := eval[int](tab, `document.querySelectorAll('table.compare tbody tr').length`); n != 8 {
		t.Errorf("the comparison has %d rows; want 8 (seven languages and all)", n)
	}
	if n := eval[int](tab, `document.querySelectorAll('svg.chart polyline').length`); n != 7 {
		t.Errorf("the quality chart has %d lines; want one per language", n)
	}
	submit(fmt.Sprintf(`form[action^="/console/index/%d/publish"] button`, ready.ID))
	flash("console_done_published")
	if live, err := site.store.LiveIndex(context.Background()); err != nil || live.ID != ready.ID {
		t.Fatalf("live index %d (%v); want %d", live.ID, err, ready.ID)
	}

	// The other pages, in Arabic too (right to left).
	visit("/console?lang=sv", "overview")
	visit("/console/changes?lang=sv&state=all", "changes")
	visit("/console/signals?lang=sv", "signals")
	visit("/console/audit?lang=ar", "audit-ar")
	if dir := eval[string](tab, `document.documentElement.dir`); dir != "rtl" {
		t.Errorf(`the Arabic audit log has dir=%q; want "rtl"`, dir)
	}
	visit("/console/rules?lang=fa", "rules-fa")
}

// consoleSite is lots serve with the console and a job worker, and the demo agency sites to crawl.
type consoleSite struct {
	URL     string
	demo    string
	session string // an admin's
	store   *store.Store
}

func startConsoleSite(t *testing.T) *consoleSite {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.DiscardHandler)
	st := storetest.New(t)
	pool := st.Pool()
	demo := serveDemo(t)

	emb := retrieval.NewLocal(0)
	queue := jobs.NewQueue(pool, jobs.QueueOptions{})
	manager := ingest.NewManager(st, ingest.NewCrawler(st, emb, log, ingest.CrawlOptions{}), queue, log)
	msgs, err := assistant.LoadMessages(retrieval.Languages)
	if err != nil {
		t.Fatal(err)
	}
	// The index jobs as lots serve runs them, with the local embedder and a few cases.
	cases := consoleCases(t)
	handlers := manager.Handlers()
	handlers[ingest.KindIndexBuild] = ingest.BuildHandler(st, func(_ context.Context, kind string) (retrieval.Embedder, error) {
		if kind != "" && kind != "local" {
			return nil, fmt.Errorf("embedder %q: only local here", kind)
		}
		return emb, nil
	}, log)
	handlers[evals.KindIndexEval] = evals.EvalHandler(st, func(id int) (evals.Answerer, error) {
		searcher := retrieval.NewSearcher(st, emb, retrieval.DefaultThresholds["local"], log).AtIndex(id)
		return assistant.New(searcher, nil, msgs, log, assistant.Config{}), nil
	}, func([]string) ([]evals.Case, error) { return cases, nil })
	worker := jobs.NewWorker(queue, handlers, log, jobs.WorkerOptions{Poll: 50 * time.Millisecond, Heartbeat: time.Second})
	go worker.Run(ctx)

	accounts := auth.NewAccounts(pool, log, auth.AccountsConfig{})
	admin, err := accounts.CreateUser(ctx, "sv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "INSERT INTO user_roles (user_id, role) VALUES ($1::uuid, 'admin')", admin.ID); err != nil {
		t.Fatal(err)
	}
	token, _, err := accounts.StartSession(ctx, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, ts := serve(t, nil, pool, web.Config{
		Auth: web.AuthConfig{Accounts: accounts},
		Console: web.ConsoleConfig{Store: st, Sources: manager, Jobs: queue, Signals: evals.NewSignals(pool, 0),
			Audit: auth.NewAudit(pool), Refresh: time.Second},
	})
	return &consoleSite{URL: ts.URL, demo: demo, session: token, store: st}
}

// consoleCases are the first three cases of each language's demo evaluation set: enough to
// compare two versions, quick to answer.
func consoleCases(t *testing.T) []evals.Case {
	t.Helper()
	sets, err := filepath.Glob(filepath.Join("..", "evals", "sets", "demo.*.jsonl"))
	if err != nil || len(sets) != 7 {
		t.Fatalf("demo sets %v: %v", sets, err)
	}
	all, err := evals.LoadCases(sets...)
	if err != nil {
		t.Fatal(err)
	}
	var out []evals.Case
	per := map[string]int{}
	for _, c := range all {
		if per[c.Language] < 3 {
			out = append(out, c)
			per[c.Language]++
		}
	}
	return out
}

// waitVersion waits until an index version is as ok says.
func (s *consoleSite) waitVersion(t *testing.T, ok func(store.IndexVersion) bool) store.IndexVersion {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		vs, err := s.store.IndexVersions(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			if ok(v) {
				return v
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("waiting for an index version: timed out")
	return store.IndexVersion{}
}
