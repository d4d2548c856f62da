package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

// agencySite is a small agency website whose pages a test edits, adds and removes between crawls.
type agencySite struct {
	mu     sync.Mutex
	pages  map[string]string // path under /site/ -> body paragraphs
	robots string
	extra  map[string]http.HandlerFunc
	srv    *httptest.Server
}

func newAgencySite(t *testing.T, pages map[string]string) *agencySite {
	t.Helper()
	s := &agencySite{pages: pages, robots: "User-agent: *\nAllow: /\n", extra: map[string]http.HandlerFunc{}}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *agencySite) set(path, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if body == "" {
		delete(s.pages, path)
	} else {
		s.pages[path] = body
	}
}

func (s *agencySite) url(path string) string { return s.srv.URL + "/site/" + path }

func (s *agencySite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path == "/robots.txt" {
		fmt.Fprint(w, s.robots)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/site/")
	if h, ok := s.extra[path]; ok {
		h(w, r)
		return
	}
	body, ok := s.pages[path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	// The navigation links every page and extra URL; it is not part of a page's text.
	var nav strings.Builder
	paths := slices.Sorted(func(yield func(string) bool) {
		for p := range s.pages {
			if !yield(p) {
				return
			}
		}
		for p := range s.extra {
			if !yield(p) {
				return
			}
		}
	})
	for _, p := range paths {
		fmt.Fprintf(&nav, `<a href="/site/%s">%s</a> `, p, p)
	}
	title := "Startsida"
	if path != "" {
		title = "Sida " + path
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html lang="sv"><head><title>%s</title></head><body><nav>%s</nav><main><h1>%s</h1><p>%s</p></main></body></html>`,
		title, nav.String(), title, body)
}

// source registers the site as a vetted source.
func (s *agencySite) source(t *testing.T, st *store.Store, name string) store.Source {
	t.Helper()
	src, err := st.UpsertSource(context.Background(), store.Source{Name: name, Agency: "Testverket", StartURLs: []string{s.url("")},
		AllowedPrefixes: []string{s.url("")}, Languages: []string{"sv"}, RecrawlInterval: 24 * time.Hour,
		Concurrency: 2, Local: true, Status: store.StatusVetted})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

const (
	startText = "Välkommen till Testverket. Här finns information om folkbokföring, personnummer och id-kort för dig som har flyttat till Sverige."
	passText  = "Du som ska ansöka om id-kort måste besöka ett servicekontor. Ta med ditt pass till servicekontoret. Avgiften betalar du innan du besöker kontoret."
	passNew   = "Du som ska ansöka om id-kort måste besöka ett servicekontor. Ta med ditt pass och ett intyg från arbetsgivaren till servicekontoret. Avgiften betalar du innan du besöker kontoret."
	bankText  = "För att öppna ett bankkonto behöver du ett personnummer och en giltig id-handling. Banken får ställa frågor om varifrån dina pengar kommer."
	skolText  = "Alla barn som bor i Sverige har rätt att gå i skolan. Kommunen hjälper dig att hitta en skola nära där du bor."
	flyttText = "Den som flyttar inom Sverige ska anmäla flytten till Skatteverket inom en vecka. Anmälan görs enklast i e-tjänsten."
)

func basePages() map[string]string {
	return map[string]string{"": startText, "pass": passText, "bank": bankText, "skola": skolText}
}

// newFixture is what the source management tests start from: a fresh store, a manager and its
// crawler, and an agency site with the base pages (not yet a source).
func newFixture(t *testing.T) (*store.Store, *ingest.Manager, *ingest.Crawler, *agencySite) {
	t.Helper()
	st := storetest.New(t)
	c := ingest.NewCrawler(st, retrieval.NewLocal(0), quietLog(), ingest.CrawlOptions{MaxBytes: 64 << 10, Timeout: 5 * time.Second})
	m := ingest.NewManager(st, c, jobs.NewQueue(st.Pool(), jobs.QueueOptions{}), quietLog())
	return st, m, c, newAgencySite(t, basePages())
}

func crawl(t *testing.T, c *ingest.Crawler, st *store.Store, name string) store.RunStats {
	t.Helper()
	src, err := st.SourceByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := c.Crawl(context.Background(), src)
	if err != nil {
		t.Fatalf("crawl %s: %v", name, err)
	}
	return stats
}

// changeSet is "kind url-path state" for each change, sorted.
func changeSet(t *testing.T, m *ingest.Manager, site *agencySite, f ingest.ChangeFilter) []string {
	t.Helper()
	changes, err := m.Changes(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range changes {
		out = append(out, fmt.Sprintf("%s /%s %s", c.Kind, strings.TrimPrefix(c.URL, site.url("")), c.State))
	}
	sort.Strings(out)
	return out
}

func lastRun(t *testing.T, st *store.Store, src store.Source) int64 {
	t.Helper()
	runs, err := st.Runs(context.Background(), src.ID, 1)
	if err != nil || len(runs) == 0 {
		t.Fatalf("runs of %s: %v, %v", src.Name, runs, err)
	}
	return runs[0].ID
}

func TestRecrawlRecordsChanges(t *testing.T) {
	ctx := context.Background()
	st, m, c, site := newFixture(t)
	src := site.source(t, st, "testverket")

	crawl(t, c, st, "testverket")
	first := lastRun(t, st, src)
	if got, want := changeSet(t, m, site, ingest.ChangeFilter{RunID: first}), []string{"new / live", "new /bank live", "new /pass live", "new /skola live"}; !slices.Equal(got, want) {
		t.Errorf("first crawl: changes %q, want %q", got, want)
	}

	// The agency edits one sentence, removes a page and publishes another; the start page's
	// markup changes (its navigation) but not its text.
	site.set("pass", passNew)
	site.set("skola", "")
	site.set("flytt", flyttText)
	stats := crawl(t, c, st, "testverket")
	second := lastRun(t, st, src)
	want := []string{"changed /pass live", "gone /skola live", "new /flytt live"}
	if got := changeSet(t, m, site, ingest.ChangeFilter{RunID: second}); !slices.Equal(got, want) {
		t.Errorf("recrawl: changes %q, want %q", got, want)
	}
	if got := changeSet(t, m, site, ingest.ChangeFilter{Source: "testverket", Kind: store.ChangeChanged}); !slices.Equal(got, []string{"changed /pass live"}) {
		t.Errorf("changed pages of the source: %q", got)
	}
	// Every page's navigation changed, so every page was fetched and saved again.
	if stats.Removed != 1 || stats.Fetched != 4 {
		t.Errorf("recrawl stats %+v, want 4 fetched and 1 removed", stats)
	}

	changed, err := m.Changes(ctx, ingest.ChangeFilter{RunID: second, Kind: store.ChangeChanged})
	if err != nil || len(changed) != 1 {
		t.Fatalf("changed: %v, %v", changed, err)
	}
	d, err := m.Change(ctx, changed[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var ins, del []string
	for _, op := range d.Diff {
		switch op.Op {
		case ingest.OpInsert:
			ins = append(ins, op.Text)
		case ingest.OpDelete:
			del = append(del, op.Text)
		}
	}
	if len(del) != 0 || len(ins) != 1 || strings.TrimSpace(ins[0]) != "och ett intyg från arbetsgivaren" {
		t.Errorf("diff of the changed sentence: inserted %q, deleted %q; want just %q inserted", ins, del, "och ett intyg från arbetsgivaren")
	}
	if !strings.Contains(d.OldText, passText) || !strings.Contains(d.NewText, passNew) || d.Title != "Sida pass" {
		t.Errorf("change texts: old %q, new %q", d.OldText, d.NewText)
	}
	// The live index answers from the new text at once.
	if n := count(t, st, "SELECT count(*) FROM chunks WHERE text LIKE '%intyg från arbetsgivaren%'"); n != 1 {
		t.Errorf("%d passages hold the new sentence, want 1", n)
	}
	if _, err := m.Change(ctx, 99999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing change: %v, want ErrNotFound", err)
	}
}

// search returns the texts of the passages the searcher finds for q.
func search(t *testing.T, st *store.Store, q string) string {
	t.Helper()
	res, err := retrieval.NewSearcher(st, retrieval.NewLocal(0), retrieval.Thresholds{}, quietLog()).
		Search(context.Background(), retrieval.Query{Text: q, Language: "sv", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, h := range res.Hits {
		texts = append(texts, h.Text)
	}
	return strings.Join(texts, "\n")
}

func TestApprovalHoldsChanges(t *testing.T) {
	ctx := context.Background()
	st, m, c, site := newFixture(t)
	site.source(t, st, "testverket")
	crawl(t, c, st, "testverket")
	if err := st.SetRequireApproval(ctx, "testverket", true); err != nil {
		t.Fatal(err)
	}

	site.set("pass", passNew)
	site.set("skola", "")
	site.set("flytt", flyttText)
	stats := crawl(t, c, st, "testverket")
	if stats.Held != 3 {
		t.Errorf("recrawl held %d changes, want 3 (%+v)", stats.Held, stats)
	}
	pending := changeSet(t, m, site, ingest.ChangeFilter{State: store.ReviewPending})
	if want := []string{"changed /pass pending", "gone /skola pending", "new /flytt pending"}; !slices.Equal(pending, want) {
		t.Fatalf("pending %q, want %q", pending, want)
	}
	// Answers still come from the old text: nothing held reached the index.
	if got := search(t, st, "Vad ska jag ta med till servicekontoret för id-kort?"); !strings.Contains(got, "Ta med ditt pass till servicekontoret") || strings.Contains(got, "intyg") {
		t.Errorf("search while the change is pending found:\n%s", got)
	}
	if n := count(t, st, "SELECT count(*) FROM pages WHERE url LIKE '%/flytt' OR url LIKE '%/skola'"); n != 1 {
		t.Errorf("%d of the new and the removed page are live, want just the removed one (still)", n)
	}
	// A recrawl of the unchanged site does not offer the same versions again.
	if again := crawl(t, c, st, "testverket"); again.Held != 0 {
		t.Errorf("second recrawl held %d more", again.Held)
	}
	if n := count(t, st, "SELECT count(*) FROM page_changes WHERE state = 'pending'"); n != 3 {
		t.Errorf("%d pending changes after another recrawl, want the same 3", n)
	}

	ids := map[string]int64{}
	changes, _ := m.Changes(ctx, ingest.ChangeFilter{State: store.ReviewPending})
	for _, ch := range changes {
		ids[ch.Kind] = ch.ID
	}
	if err := m.Approve(ctx, ids[store.ChangeChanged], "steward-1"); err != nil {
		t.Fatal(err)
	}
	if err := m.Approve(ctx, ids[store.ChangeNew], "steward"); err != nil {
		t.Fatal(err)
	}
	if err := m.Reject(ctx, ids[store.ChangeGone], "steward", "the agency removed it by mistake"); err != nil {
		t.Fatal(err)
	}
	if got := search(t, st, "Vad ska jag ta med till servicekontoret för id-kort?"); !strings.Contains(got, "intyg från arbetsgivaren") || strings.Contains(got, "Ta med ditt pass till servicekontoret") {
		t.Errorf("search after approval found:\n%s", got)
	}
	if n := count(t, st, "SELECT count(*) FROM chunks c JOIN pages p ON p.id = c.page_id WHERE p.url LIKE '%/flytt' AND c.text LIKE '%anmäla flytten%'"); n != 1 {
		t.Errorf("the approved new page has %d passages, want 1", n)
	}
	if n := count(t, st, "SELECT count(*) FROM pages WHERE url LIKE '%/skola'"); n != 1 {
		t.Errorf("the page whose removal was rejected is gone")
	}
	tests := []struct {
		name string
		err  error
	}{
		{"approve twice", m.Approve(ctx, ids[store.ChangeChanged], "steward")},
		{"reject an approved change", m.Reject(ctx, ids[store.ChangeNew], "steward", "")},
		{"approve a rejected change", m.Approve(ctx, ids[store.ChangeGone], "steward")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, store.ErrNotPending) {
				t.Errorf("got %v, want ErrNotPending", tt.err)
			}
		})
	}
	d, err := m.Change(ctx, ids[store.ChangeGone])
	if err != nil || d.State != store.ReviewRejected || d.ReviewedBy != "steward" || d.Note != "the agency removed it by mistake" || d.ReviewedAt.IsZero() {
		t.Errorf("rejected change: %+v, %v", d.PageChange, err)
	}
	// The rejected removal is not offered again while the page stays away.
	crawl(t, c, st, "testverket")
	if n := count(t, st, "SELECT count(*) FROM page_changes WHERE state = 'pending'"); n != 0 {
		t.Errorf("%d changes pending after a recrawl, want none", n)
	}

	// A change the site takes back before a steward looks at it is withdrawn.
	site.set("bank", bankText+" Ny mening.")
	crawl(t, c, st, "testverket")
	if n := count(t, st, "SELECT count(*) FROM page_changes WHERE state = 'pending'"); n != 1 {
		t.Fatalf("%d pending after editing bank, want 1", n)
	}
	// A newer version replaces the one pending.
	site.set("bank", bankText+" Annan mening.")
	crawl(t, c, st, "testverket")
	held, err := m.Changes(ctx, ingest.ChangeFilter{State: store.ReviewPending})
	if err != nil || len(held) != 1 {
		t.Fatalf("%d pending after editing bank again, want 1 (%v)", len(held), err)
	}
	if d, err := m.Change(ctx, held[0].ID); err != nil || !strings.Contains(d.NewText, "Annan mening.") || strings.Contains(d.NewText, "Ny mening.") {
		t.Errorf("the pending change does not hold the newer version: %q, %v", d.NewText, err)
	}
	site.set("bank", bankText)
	crawl(t, c, st, "testverket")
	if n := count(t, st, "SELECT count(*) FROM page_changes WHERE state = 'pending'"); n != 0 {
		t.Errorf("%d pending after the site went back, want none", n)
	}

	// When the source stops requiring approval, the next crawl applies what the site serves and
	// drops the version still held, which a steward could otherwise approve over it.
	site.set("bank", bankText+" Första versionen.")
	crawl(t, c, st, "testverket")
	if err := st.SetRequireApproval(ctx, "testverket", false); err != nil {
		t.Fatal(err)
	}
	site.set("bank", bankText+" Andra versionen.")
	crawl(t, c, st, "testverket")
	if n := count(t, st, "SELECT count(*) FROM page_changes WHERE state = 'pending'"); n != 0 {
		t.Errorf("%d pending after approval was turned off, want none", n)
	}
	if n := count(t, st, "SELECT count(*) FROM chunks WHERE text LIKE '%Andra versionen%'"); n != 1 {
		t.Errorf("the live page does not hold the site's version")
	}
}

func TestExclusions(t *testing.T) {
	ctx := context.Background()
	st, m, c, site := newFixture(t)
	site.source(t, st, "testverket")
	crawl(t, c, st, "testverket")

	if _, err := m.Exclude(ctx, "not a url", "", "steward"); !errors.Is(err, ingest.ErrBadURL) {
		t.Errorf("excluding garbage: %v, want ErrBadURL", err)
	}
	x, err := m.Exclude(ctx, site.url("bank")+"#top", "outdated advice", "steward")
	if err != nil {
		t.Fatal(err)
	}
	if x.URL != site.url("bank") || x.Source != "testverket" || x.Note != "outdated advice" {
		t.Errorf("exclusion %+v", x)
	}
	if n := count(t, st, "SELECT count(*) FROM chunks WHERE text LIKE '%bankkonto%'"); n != 0 {
		t.Errorf("the excluded page still has %d passages", n)
	}
	crawl(t, c, st, "testverket")
	if n := count(t, st, "SELECT count(*) FROM pages WHERE url = $1", site.url("bank")); n != 0 {
		t.Errorf("the crawler fetched the excluded page again")
	}
	status, err := m.Status(ctx, "testverket")
	if err != nil {
		t.Fatal(err)
	}
	if status.Exclusions != 1 || status.ErrorsByKind[store.FailExcluded] != 1 {
		t.Errorf("status: %d exclusions, errors %v", status.Exclusions, status.ErrorsByKind)
	}
	xs, err := m.Exclusions(ctx, "testverket")
	if err != nil || len(xs) != 1 || xs[0].CreatedBy != "steward" {
		t.Errorf("exclusions: %+v, %v", xs, err)
	}

	if err := m.Include(ctx, site.url("bank")); err != nil {
		t.Fatal(err)
	}
	if err := m.Include(ctx, site.url("bank")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("including twice: %v, want ErrNotFound", err)
	}
	crawl(t, c, st, "testverket")
	if n := count(t, st, "SELECT count(*) FROM chunks WHERE text LIKE '%bankkonto%'"); n != 1 {
		t.Errorf("the included page has %d passages after the next crawl, want 1", n)
	}
}

func TestCrawlErrorsPerSource(t *testing.T) {
	ctx := context.Background()
	st, m, c, site := newFixture(t)
	site.robots = "User-agent: *\nDisallow: /site/intern\n"
	site.extra["intern"] = func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secret") }
	site.extra["saknas"] = http.NotFound
	site.extra["stor"] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html lang=sv><p>" + strings.Repeat("mycket text ", 20_000) + "</p></html>"))
	}
	site.extra["trasig"] = func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", http.StatusInternalServerError) }
	site.source(t, st, "testverket")
	crawl(t, c, st, "testverket")

	status, err := m.Status(ctx, "testverket")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, kind, state, reason string
	}{
		{"intern", store.FailRobots, store.URLSkipped, "robots.txt"},
		{"saknas", store.FailNotFound, store.URLGone, "404"},
		{"stor", store.FailTooLarge, store.URLFailed, "too large"},
		{"trasig", store.FailHTTPStatus, store.URLFailed, "500"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			i := slices.IndexFunc(status.Errors, func(e store.URLError) bool { return e.URL == site.url(tt.path) })
			if i < 0 {
				t.Fatalf("no error recorded for %s among %+v", tt.path, status.Errors)
			}
			e := status.Errors[i]
			if e.Kind != tt.kind || e.State != tt.state || !strings.Contains(e.Reason, tt.reason) {
				t.Errorf("%+v, want kind %s, state %s, reason containing %q", e, tt.kind, tt.state, tt.reason)
			}
			if status.ErrorsByKind[tt.kind] != 1 {
				t.Errorf("errors by kind %v", status.ErrorsByKind)
			}
		})
	}
	if len(status.Errors) != len(tests) {
		t.Errorf("%d errors, want %d: %+v", len(status.Errors), len(tests), status.Errors)
	}
	if status.LastRun.Failed != 2 || status.LastRun.FinishedAt.IsZero() || status.PagesByLanguage["sv"] != 4 {
		t.Errorf("status: last run %+v, pages %v", status.LastRun, status.PagesByLanguage)
	}
}
