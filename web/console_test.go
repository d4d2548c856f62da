package web

// The stewards' console over HTTP: every console route and API call is walked as each kind of
// person (nobody, a newcomer, a steward on another agency's things, a steward on their own, an
// admin), and a steward's day is played through: add a source, vet it, crawl it, review, publish.

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/assistant/process"
	"github.com/nyisverige/lots/evals"
	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/retrieval/store/storetest"
	"github.com/nyisverige/lots/web/auth"
)

// consoleSite is a server with the console over a fresh database holding two agencies' sources,
// a pending change and a rule of each, and a live index version.
type consoleSite struct {
	*httptest.Server
	srv      *Server
	st       *store.Store
	pool     *pgxpool.Pool
	manager  *ingest.Manager
	queue    *jobs.Queue
	accounts *auth.Accounts
	// objects of agency A and B: source ids, change ids, rule ids, page URLs, processes
	source, change, rule map[string]int64
	page                 map[string]string
	process              map[string]string // id
	processYAML          map[string]string // its definition
}

const csrfToken = "0123456789abcdef0123456789abcdef0123456789"

func newConsoleSite(t *testing.T) *consoleSite {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st := storetest.New(t)
	pool := st.Pool()
	queue := jobs.NewQueue(pool, jobs.QueueOptions{})
	crawler := ingest.NewCrawler(st, retrieval.NewLocal(0), log, ingest.CrawlOptions{})
	manager := ingest.NewManager(st, crawler, queue, log)
	accounts := auth.NewAccounts(pool, log, auth.AccountsConfig{})
	cs := &consoleSite{st: st, pool: pool, manager: manager, queue: queue, accounts: accounts,
		source: map[string]int64{}, change: map[string]int64{}, rule: map[string]int64{}, page: map[string]string{},
		process: map[string]string{}, processYAML: map[string]string{}}
	emb := retrieval.NewLocal(0)
	if _, err := st.EnsureLiveIndex(ctx, emb.Name(), emb.Dimensions()); err != nil {
		t.Fatal(err)
	}
	processes := process.NewStore(pool)
	for _, a := range []string{"A", "B"} {
		cs.process[a], cs.processYAML[a] = agencyProcess(t, a)
		if _, err := processes.Put(ctx, []byte(cs.processYAML[a]), "test"); err != nil {
			t.Fatal(err)
		}
		host := "http://agency-" + strings.ToLower(a) + ".example/"
		src, err := manager.AddSource(ctx, store.Source{Name: "site-" + a, Agency: "Agency" + a, StartURLs: []string{host},
			AllowedPrefixes: []string{host}}, true)
		if err != nil {
			t.Fatal(err)
		}
		cs.source[a] = src.ID
		cs.page[a] = host + "residence"
		var change int64
		if err := pool.QueryRow(ctx, `INSERT INTO page_changes (source_id, url, kind, title, language, new_text, state)
			VALUES ($1, $2, 'gone', 'Residence', 'en', 'You need a permit.', 'pending') RETURNING id`, src.ID, cs.page[a]).Scan(&change); err != nil {
			t.Fatal(err)
		}
		cs.change[a] = change
		rule, err := st.AddRule(ctx, store.Rule{Language: "en", Question: "permit?", URL: cs.page[a], Action: store.RulePin,
			Note: "the official page", CreatedBy: "test"})
		if err != nil {
			t.Fatal(err)
		}
		cs.rule[a] = rule.ID
	}
	srv, err := New(nil, assistant.NewConversations(pool, time.Hour), pool, log, Config{
		Auth: AuthConfig{Accounts: accounts},
		Console: ConsoleConfig{Store: st, Sources: manager, Jobs: queue, Signals: evals.NewSignals(pool, 0),
			Audit: auth.NewAudit(pool), Processes: processes},
	})
	if err != nil {
		t.Fatal(err)
	}
	cs.srv = srv
	cs.Server = httptest.NewServer(srv.Handler())
	t.Cleanup(cs.Close)
	return cs
}

// agencyProcess is the embedded catalog's sfi definition as agency a's own process: its id and
// its YAML.
func agencyProcess(t *testing.T, a string) (string, string) {
	t.Helper()
	catalog, err := process.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	def, _ := catalog.Get("sfi")
	id := "process-" + strings.ToLower(a)
	text := strings.Replace(def.YAML, "\nid: sfi\n", "\nid: "+id+"\n", 1)
	text = strings.Replace(text, "\nagency: Kommunen\n", "\nagency: Agency"+a+"\n", 1)
	return id, text
}

// signIn creates a user with the roles and returns their session token.
func (cs *consoleSite) signIn(t *testing.T, email string, roles ...auth.Role) string {
	t.Helper()
	ctx := context.Background()
	u, err := cs.accounts.CreateUser(ctx, "en")
	if err != nil {
		t.Fatal(err)
	}
	if email != "" {
		if _, err := cs.pool.Exec(ctx, "UPDATE users SET email = $2 WHERE id = $1::uuid", u.ID, email); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range roles {
		if _, err := cs.pool.Exec(ctx, "INSERT INTO user_roles (user_id, role, agency) VALUES ($1::uuid, $2, $3)", u.ID, r.Name, r.Agency); err != nil {
			t.Fatal(err)
		}
	}
	token, _, err := cs.accounts.StartSession(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// do sends a request as the session (none when ""); a POST carries the CSRF token, as a form
// field for pages and as a header with a JSON body for the API.
func (cs *consoleSite) do(t *testing.T, session, method, path string, form url.Values) *http.Response {
	t.Helper()
	var body io.Reader
	api := strings.HasPrefix(path, "/console/api/")
	if method == http.MethodPost {
		if api {
			obj := map[string]any{}
			for k, v := range form {
				obj[k] = v[0]
			}
			b, _ := json.Marshal(obj)
			body = strings.NewReader(string(b))
		} else {
			f := url.Values{"csrf": {csrfToken}}
			for k, v := range form {
				f[k] = v
			}
			body = strings.NewReader(f.Encode())
		}
	}
	req, err := http.NewRequest(method, cs.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case method == http.MethodPost && api:
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", csrfToken)
	case method == http.MethodPost:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(&http.Cookie{Name: csrfCookie, Value: csrfToken})
	if session != "" {
		req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: session})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// routeScope says, per console route, whether it acts on one agency's things (owned: a steward
// of another agency gets 403) or is open to all staff. Every route of the console must be here.
var routeScope = map[string]string{
	"GET /console":                    "staff",
	"GET /console/sources":            "staff",
	"GET /console/sources/new":        "staff",
	"GET /console/sources/{id}":       "owned",
	"GET /console/sources/{id}/edit":  "owned",
	"GET /console/changes":            "staff",
	"GET /console/changes/{id}":       "owned",
	"GET /console/rules":              "staff",
	"GET /console/processes":          "staff",
	"GET /console/processes/{id}":     "owned",
	"GET /console/index":              "staff",
	"GET /console/signals":            "staff",
	"GET /console/signals.csv":        "staff",
	"GET /console/audit":              "staff",
	"GET /console/audit.csv":          "staff",
	"GET /console/api/sources":        "staff",
	"GET /console/api/sources/{id}":   "owned",
	"GET /console/api/changes":        "staff",
	"GET /console/api/changes/{id}":   "owned",
	"GET /console/api/rules":          "staff",
	"GET /console/api/processes":      "staff",
	"GET /console/api/processes/{id}": "owned",
	"GET /console/api/index":          "staff",
	"GET /console/api/signals":        "staff",
	"GET /console/api/audit":          "staff",
	"POST /sources":                   "owned", // the agency posted
	"POST /sources/{id}":              "owned",
	"POST /sources/{id}/vet":          "owned",
	"POST /sources/{id}/pause":        "owned",
	"POST /sources/{id}/retire":       "owned",
	"POST /sources/{id}/recrawl":      "owned",
	"POST /changes/{id}/approve":      "owned",
	"POST /changes/{id}/reject":       "owned",
	"POST /pages/exclude":             "owned",
	"POST /pages/include":             "owned",
	"POST /rules":                     "owned",
	"POST /rules/{id}/delete":         "owned",
	"POST /processes/{id}":            "owned",
	"POST /index/build":               "staff",
	"POST /index/{id}/evaluate":       "staff",
	"POST /index/{id}/publish":        "staff",
	"POST /index/rollback":            "staff",
}

// scopeOf looks a route up in routeScope, its /console or /console/api prefix taken off for
// changes (one handler serves both).
func scopeOf(pattern string) (string, bool) {
	if s, ok := routeScope[pattern]; ok {
		return s, true
	}
	method, path, _ := strings.Cut(pattern, " ")
	path = strings.TrimPrefix(strings.TrimPrefix(path, "/console/api"), "/console")
	s, ok := routeScope[method+" "+path]
	return s, ok
}

// fill makes a request of a route pattern on agency a's things, with the form a POST needs.
func (cs *consoleSite) fill(pattern, a string) (method, path string, form url.Values) {
	method, path, _ = strings.Cut(pattern, " ")
	id := ""
	switch {
	case strings.Contains(path, "/sources/{id}"):
		id = fmt.Sprint(cs.source[a])
	case strings.Contains(path, "/changes/{id}"):
		id = fmt.Sprint(cs.change[a])
	case strings.Contains(path, "/rules/{id}"):
		id = fmt.Sprint(cs.rule[a])
	case strings.Contains(path, "/index/{id}"):
		id = "1"
	case strings.Contains(path, "/processes/{id}"):
		id = cs.process[a]
	}
	path = strings.Replace(path, "{id}", id, 1)
	if method != http.MethodPost {
		return method, path, nil
	}
	host := "http://agency-" + strings.ToLower(a) + ".example/"
	source := url.Values{"agency": {"Agency" + a}, "allowed_prefixes": {host}, "start_urls": {host},
		"recrawl_days": {"7"}, "crawl_delay": {"1"}, "concurrency": {"2"}}
	switch {
	case strings.HasSuffix(pattern, "/sources"):
		form = source
		form.Set("name", fmt.Sprintf("new-%s-%d", a, time.Now().UnixNano()))
	case strings.HasSuffix(pattern, "/sources/{id}"):
		form = source
	case strings.HasSuffix(pattern, "/pages/exclude"), strings.HasSuffix(pattern, "/pages/include"):
		form = url.Values{"url": {host + "old"}, "note": {"outdated"}}
	case strings.HasSuffix(pattern, "/rules"):
		form = url.Values{"rule_language": {"en"}, "question": {"permit?"}, "url": {host + "residence"}, "action": {"suppress"}, "note": {"old text"}}
	case strings.HasSuffix(pattern, "/reject"):
		form = url.Values{"note": {"not ready"}}
	case strings.HasSuffix(pattern, "/processes/{id}"):
		form = url.Values{"yaml": {cs.processYAML[a]}}
	}
	return method, path, form
}

func TestConsoleRoles(t *testing.T) {
	cs := newConsoleSite(t)
	sessions := map[string]string{
		"citizen":   cs.signIn(t, ""),
		"steward A": cs.signIn(t, "steward@agency-a.example", auth.Role{Name: auth.RoleSteward, Agency: "AgencyA"}),
		"admin":     cs.signIn(t, "admin@lots.example", auth.Role{Name: auth.RoleAdmin}),
	}
	cases := []struct {
		who, session, on string
	}{
		{"anonymous", "", "B"},
		{"citizen", sessions["citizen"], "B"},
		{"steward of A on B's", sessions["steward A"], "B"},
		{"steward of A on A's", sessions["steward A"], "A"},
		{"admin", sessions["admin"], "B"},
	}
	// Retiring comes last: a retired source's pending changes are rejected with it.
	routes := cs.srv.consoleRouteList()
	last := func(rt consoleRoute) int {
		if strings.HasSuffix(rt.pattern, "/retire") {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(routes, func(a, b consoleRoute) int { return cmp.Compare(last(a), last(b)) })
	if len(routes) < 40 {
		t.Fatalf("only %d console routes", len(routes))
	}
	for _, c := range cases {
		t.Run(c.who, func(t *testing.T) {
			for _, rt := range routes {
				scope, ok := scopeOf(rt.pattern)
				if !ok {
					t.Errorf("%s: no expectation in routeScope; add one", rt.pattern)
					continue
				}
				method, path, form := cs.fill(rt.pattern, c.on)
				resp := cs.do(t, c.session, method, path, form)
				api := strings.HasPrefix(path, "/console/api/")
				got := resp.StatusCode
				switch {
				case c.who == "anonymous" && api:
					if got != http.StatusUnauthorized {
						t.Errorf("%s %s: %d; want 401", method, path, got)
					}
				case c.who == "anonymous":
					if loc := resp.Header.Get("Location"); got != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin") {
						t.Errorf("%s %s: %d to %q; want 303 to /signin", method, path, got, loc)
					}
				case c.who == "citizen", c.who == "steward of A on B's" && scope == "owned":
					if got != http.StatusForbidden {
						t.Errorf("%s %s: %d; want 403", method, path, got)
					}
				case method == http.MethodGet:
					if got != http.StatusOK {
						t.Errorf("%s %s: %d; want 200", method, path, got)
					}
				default:
					if got == http.StatusUnauthorized || got == http.StatusForbidden || got >= 500 {
						b, _ := io.ReadAll(resp.Body)
						t.Errorf("%s %s: %d; want it allowed: %.300s", method, path, got, b)
					}
				}
			}
		})
	}

	// Every change a steward made is in the audit log with who and which agency. (The change
	// approved first cannot be rejected after: its reject answered 409 and changed nothing.)
	entries, err := auth.NewAudit(cs.pool).List(context.Background(), auth.Filter{Agencies: []string{"AgencyA"}})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]bool{}
	for _, e := range entries {
		if e.Actor == "steward@agency-a.example" {
			actions[e.Action] = true
		}
	}
	for _, want := range []string{"source.add", "source.vet", "source.pause", "source.retire", "change.approve",
		"page.exclude", "page.include", "rule.add", "rule.delete", "process.edit"} {
		if !actions[want] {
			t.Errorf("the audit log has no %s by the steward of A (has %v)", want, actions)
		}
	}
}

// A POST without the CSRF token changes nothing.
func TestConsoleCSRF(t *testing.T) {
	cs := newConsoleSite(t)
	admin := cs.signIn(t, "admin@lots.example", auth.Role{Name: auth.RoleAdmin})
	for _, path := range []string{fmt.Sprintf("/console/sources/%d/vet", cs.source["A"]), fmt.Sprintf("/console/api/sources/%d/vet", cs.source["A"])} {
		req, _ := http.NewRequest(http.MethodPost, cs.URL+path, strings.NewReader("csrf=wrong"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: csrfCookie, Value: csrfToken})
		req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: admin})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s with a wrong CSRF token: %d; want 403", path, resp.StatusCode)
		}
	}
	src, err := cs.st.SourceByName(context.Background(), "site-A")
	if err != nil {
		t.Fatal(err)
	}
	if src.Status != store.StatusProposed {
		t.Errorf("the source is %s after refused posts; want proposed", src.Status)
	}
}

// A steward adds a source (a mistake is shown with what was typed), vets it and asks for a
// crawl, which the console shows queued; only an admin may publish past a failed gate.
func TestConsoleStewardFlow(t *testing.T) {
	cs := newConsoleSite(t)
	steward := cs.signIn(t, "steward@agency-a.example", auth.Role{Name: auth.RoleSteward, Agency: "AgencyA"})
	admin := cs.signIn(t, "admin@lots.example", auth.Role{Name: auth.RoleAdmin})

	bad := url.Values{"name": {"migrationsverket-en"}, "agency": {"AgencyA"}, "allowed_prefixes": {"http://mig.example/en/"},
		"start_urls": {"http://mig.example/en/"}, "recrawl_days": {"seven"}, "crawl_delay": {"1"}, "concurrency": {"2"}}
	resp := cs.do(t, steward, http.MethodPost, "/console/sources?lang=sv", bad)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "http://mig.example/en/") ||
		!strings.Contains(string(body), cs.srv.strings["sv"]["console_source_bad_days"]) {
		t.Fatalf("bad form: %d; want 400 with the typed prefix and the Swedish message kept:\n%.2000s", resp.StatusCode, body)
	}
	good := url.Values{}
	for k, v := range bad {
		good[k] = v
	}
	good.Set("recrawl_days", "7")
	resp = cs.do(t, steward, http.MethodPost, "/console/sources", good)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/sources/") {
		t.Fatalf("add: %d to %q; want 303 to the source's page", resp.StatusCode, loc)
	}
	srcPath, _, _ := strings.Cut(loc, "?")
	for _, step := range []string{"/vet", "/recrawl"} {
		if resp := cs.do(t, steward, http.MethodPost, srcPath+step, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d; want 303", step, resp.StatusCode)
		}
	}
	resp = cs.do(t, steward, http.MethodGet, strings.Replace(srcPath, "/console/", "/console/api/", 1)+"?lang=en", nil)
	var status sourceStatus
	if err := json.NewDecoder(resp.Body).Decode(&status); err != nil {
		t.Fatal(err)
	}
	if status.Status != store.StatusVetted || !status.Crawling || status.Progress != cs.srv.strings["en"]["console_crawl_queued"] {
		t.Errorf("status %+v; want vetted, crawling, %q", status, cs.srv.strings["en"]["console_crawl_queued"])
	}
	resp = cs.do(t, steward, http.MethodGet, srcPath+"?lang=ar", nil)
	body, _ = io.ReadAll(resp.Body)
	for _, want := range []string{`dir="rtl"`, `<meta http-equiv="refresh"`, `/static/console.js`, cs.srv.strings["ar"]["console_crawl_queued"]} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the source's page in Arabic lacks %q", want)
		}
	}

	// The live version (1) has no evaluation: build a candidate with evaluations that regress.
	ctx := context.Background()
	var cand int
	if err := cs.pool.QueryRow(ctx, `INSERT INTO index_versions (embedder, dimensions, state, built_at) VALUES ('x', 8, 'ready', now()) RETURNING id`).Scan(&cand); err != nil {
		t.Fatal(err)
	}
	var right, wrong []evals.Outcome
	for i := range 10 {
		c := evals.Case{ID: fmt.Sprintf("sv-%d", i), Language: "sv", Answerable: true, Kind: "direct", Expect: []string{"x"}}
		right = append(right, evals.Outcome{Case: c, Answered: true, AnswerLang: "sv", Rank: 1, Cited: 1, CitedExpect: 1})
		wrong = append(wrong, evals.Outcome{Case: c})
	}
	good1, bad1 := evals.NewReport(right), evals.NewReport(wrong)
	if err := evals.SaveIndexReport(ctx, cs.st, 1, good1, "test"); err != nil {
		t.Fatal(err)
	}
	if err := evals.SaveIndexReport(ctx, cs.st, cand, bad1, "test"); err != nil {
		t.Fatal(err)
	}
	publish := fmt.Sprintf("/console/index/%d/publish", cand)
	if resp := cs.do(t, steward, http.MethodPost, publish, nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("steward publishing past a failed gate: %d; want 409", resp.StatusCode)
	}
	if resp := cs.do(t, steward, http.MethodPost, publish, url.Values{"override": {"urgent fix"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("steward overriding the gate: %d; want 403", resp.StatusCode)
	}
	resp = cs.do(t, admin, http.MethodGet, "/console/index?lang=en", nil)
	body, _ = io.ReadAll(resp.Body)
	for _, want := range []string{cs.srv.strings["en"]["console_index_gate_failed"], `name="override"`, `<svg class="chart"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the index page for an admin lacks %q", want)
		}
	}
	if resp := cs.do(t, admin, http.MethodPost, publish, url.Values{"override": {"urgent fix"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin override: %d; want 303", resp.StatusCode)
	}
	live, err := cs.st.LiveIndex(ctx)
	if err != nil || live.ID != cand {
		t.Fatalf("live index %d (%v); want %d", live.ID, err, cand)
	}
	if resp := cs.do(t, steward, http.MethodPost, "/console/api/index/rollback", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("rollback: %d; want 200", resp.StatusCode)
	}
	if live, _ := cs.st.LiveIndex(ctx); live.ID != 1 {
		t.Errorf("after the rollback version %d is live; want 1", live.ID)
	}

	// The audit log's CSV names who published with an override.
	resp = cs.do(t, admin, http.MethodGet, "/console/audit.csv?action=index.publish", nil)
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows[1:] {
		found = found || (r[2] == "admin@lots.example" && strings.Contains(r[7], "urgent fix"))
	}
	if !found {
		t.Errorf("audit CSV %q lacks the admin's publish with its reason", rows)
	}
}
