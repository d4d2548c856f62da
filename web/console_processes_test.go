package web_test

// The process catalog in the stewards' console: a steward edits their agency's process and the
// running chat offers the edited text at once; another agency's process, a move to an agency
// they do not steward and an invalid definition are refused and change nothing.

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"

	"github.com/nyisverige/lots/assistant/process"
	"github.com/nyisverige/lots/evals"
	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/ingesttest"
	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/web"
	"github.com/nyisverige/lots/web/auth"
)

// catalogSite is the chat with the own space and the console, over the demo corpus and the
// catalog as `lots serve` runs them.
type catalogSite struct {
	*spaceSite
	processes *process.Store
}

func newCatalogSite(t *testing.T, configure ...func(*web.Config)) *catalogSite {
	t.Helper()
	ctx := t.Context()
	log := slog.New(slog.DiscardHandler)
	st := ingesttest.DemoStore(t)
	pool := st.Pool()
	embedded, err := process.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	processes := process.NewStore(pool)
	if _, err := processes.Sync(ctx, embedded, "test"); err != nil {
		t.Fatal(err)
	}
	catalog, err := processes.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	queue := jobs.NewQueue(pool, jobs.QueueOptions{})
	manager := ingest.NewManager(st, ingest.NewCrawler(st, retrieval.NewLocal(0), log, ingest.CrawlOptions{}), queue, log)
	site := startSpaceSite(t, st, catalog, func(cfg *web.Config) {
		cfg.Console = web.ConsoleConfig{Store: st, Sources: manager, Jobs: queue, Signals: evals.NewSignals(pool, 0),
			Audit: cfg.Space.Audit, Processes: processes}
		for _, c := range configure {
			c(cfg)
		}
	})
	return &catalogSite{spaceSite: site, processes: processes}
}

// steward signs in a steward of the agency, with an e-mail address the audit log names.
func (s *catalogSite) steward(t *testing.T, agency, email string) *person {
	t.Helper()
	p := s.signIn(t, "sv")
	if _, err := s.pool.Exec(t.Context(), "UPDATE users SET email = $2 WHERE id = $1::uuid", p.id, email); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(t.Context(), "INSERT INTO user_roles (user_id, role, agency) VALUES ($1::uuid, $2, $3)",
		p.id, auth.RoleSteward, agency); err != nil {
		t.Fatal(err)
	}
	return p
}

// postJSON calls the console's API with a JSON body and the CSRF header.
func (p *person) postJSON(path string, body any) (int, map[string]any) {
	p.t.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, p.site.URL+path, strings.NewReader(string(b)))
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", p.csrf())
	resp, err := p.client.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// offersNothing asks on c and checks that no offer follows the answer.
func offersNothing(t *testing.T, c *websocket.Conn, text, lang string) {
	t.Helper()
	askAndCollect(t, c, "q-none", text, lang)
	send(t, c, message{"type": "ping"})
	if m := recv(t, c); m["type"] != "pong" {
		t.Fatalf("after %q came %v; want no offer", text, m)
	}
}

// lineOf is the line (from 1) of text that starts with prefix; 0 when none does.
func lineOf(text, prefix string) int {
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	return 0
}

var (
	editorText = regexp.MustCompile(`(?s)<textarea id="process-yaml"[^>]*>\n(.*?)</textarea>`)
	baseField  = regexp.MustCompile(`name="base" value="([^"]*)"`)
)

// editorYAML is the text in the page's editor, as the browser shows it.
func editorYAML(page string) string {
	m := editorText.FindStringSubmatch(page)
	if m == nil {
		return "(no editor)"
	}
	return html.UnescapeString(m[1])
}

func TestConsoleProcessCatalog(t *testing.T) {
	s := newCatalogSite(t)
	ctx := t.Context()
	skv := s.steward(t, "Skatteverket", "anna@skatteverket.example")
	const id = "personal-identity-number"
	before, err := s.processes.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	original := before.YAML

	// unchanged fails t when the stored definition is no longer what it was before.
	unchanged := func(t *testing.T, id string, want process.Stored) {
		t.Helper()
		got, err := s.processes.Get(ctx, id)
		if err != nil || got.YAML != want.YAML || got.Agency != want.Agency || got.UpdatedBy != want.UpdatedBy {
			t.Errorf("the stored %s changed: by %q, agency %q, %v", id, got.UpdatedBy, got.Agency, err)
		}
	}

	t.Run("the list holds the steward's agency's processes in the page's language", func(t *testing.T) {
		status, page := skv.get("/console/processes?lang=so")
		if status != http.StatusOK {
			t.Fatalf("HTTP %d", status)
		}
		for _, pid := range []string{id, "id-card", "coordination-number"} {
			def, _ := s.catalog.Get(pid)
			if !strings.Contains(page, `href="/console/processes/`+pid+`?lang=so"`) || !strings.Contains(page, html.EscapeString(def.Title.In("so"))) {
				t.Errorf("the list lacks %s with its Somali title", pid)
			}
		}
		if strings.Contains(page, "child-allowance") {
			t.Error("the list shows another agency's process")
		}
		if !strings.Contains(page, `href="/console/processes?lang=so" aria-current="page"`) {
			t.Error("the console's menu does not mark the catalog")
		}
	})

	t.Run("the editor", func(t *testing.T) {
		status, page := skv.get("/console/processes/" + id + "?lang=ar")
		if status != http.StatusOK {
			t.Fatalf("HTTP %d", status)
		}
		for _, want := range []string{`<html lang="ar" dir="rtl">`, `<label for="process-yaml">`, `id="process-yaml" name="yaml" class="yaml" dir="ltr"`,
			"/static/console_processes.css"} {
			if !strings.Contains(page, want) {
				t.Errorf("the editor lacks %.80q", want)
			}
		}
		if got := editorYAML(page); got != original {
			t.Errorf("the editor holds %.200q; want the stored definition", got)
		}
	})

	t.Run("another agency's process is refused", func(t *testing.T) {
		other, _ := s.processes.Get(ctx, "child-allowance")
		if status, _ := skv.get("/console/processes/child-allowance?lang=sv"); status != http.StatusForbidden {
			t.Errorf("GET: HTTP %d; want 403", status)
		}
		if status, _, _ := skv.post("/console/processes/child-allowance?lang=sv", url.Values{"yaml": {other.YAML}}); status != http.StatusForbidden {
			t.Errorf("POST: HTTP %d; want 403", status)
		}
		if status, _ := skv.postJSON("/console/api/processes/child-allowance", map[string]string{"yaml": other.YAML}); status != http.StatusForbidden {
			t.Errorf("API: HTTP %d; want 403", status)
		}
		unchanged(t, "child-allowance", other)
	})

	refusals := []struct {
		name    string
		text    string
		status  int
		refusal string // the key of the summary's message
		key     string // the line the problem names starts with it
	}{
		{"invalid field type", strings.Replace(original, "    type: municipality\n", "    type: planet\n", 1),
			http.StatusBadRequest, "console_process_invalid", "    type: planet"},
		{"changed id", strings.Replace(original, "\nid: "+id+"\n", "\nid: passport\n", 1),
			http.StatusBadRequest, "console_process_invalid", "id: passport"},
		{"agency the steward does not steward", strings.Replace(original, "\nagency: Skatteverket\n", "\nagency: Försäkringskassan\n", 1),
			http.StatusForbidden, "console_process_not_your_agency", "agency: Försäkringskassan"},
	}
	sv := uiStrings(t, "console.sv")
	for _, tc := range refusals {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			if tc.text == original {
				t.Fatal("the test's edit did not apply")
			}
			line := lineOf(tc.text, tc.key)
			status, _, page := skv.post("/console/processes/"+id+"?lang=sv", url.Values{"yaml": {strings.ReplaceAll(tc.text, "\n", "\r\n")}})
			if status != tc.status {
				t.Fatalf("HTTP %d; want %d", status, tc.status)
			}
			for _, want := range []string{`role="alert"`, `aria-invalid="true"`, `aria-describedby="process-yaml-help process-problems"`,
				`<ul lang="en" dir="ltr">`, `<li>line ` + strconv.Itoa(line) + `: `} {
				if !strings.Contains(page, want) {
					t.Errorf("the refused editor lacks %.100q", want)
				}
			}
			if !strings.Contains(html.UnescapeString(page), sv[tc.refusal]) {
				t.Errorf("the refused editor does not say %q", sv[tc.refusal])
			}
			if got := editorYAML(page); got != tc.text {
				t.Errorf("the editor holds %.200q; want the text as sent", got)
			}
			if tc.name == "invalid field type" {
				_, err := process.Parse("", []byte(tc.text))
				var invalid *process.InvalidError
				if !errors.As(err, &invalid) || len(invalid.Problems) == 0 {
					t.Fatalf("the validator accepts the edit: %v", err)
				}
				for _, p := range invalid.Problems {
					if !strings.Contains(html.UnescapeString(page), p.String()) {
						t.Errorf("the page lacks the problem %q", p)
					}
				}
			}
			unchanged(t, id, before)
		})
	}

	t.Run("refused by the API with each problem's line", func(t *testing.T) {
		bad := refusals[0].text
		status, body := skv.postJSON("/console/api/processes/"+id, map[string]string{"yaml": bad})
		problems, _ := body["problems"].([]any)
		if status != http.StatusBadRequest || body["code"] != "process_invalid" || len(problems) == 0 {
			t.Fatalf("HTTP %d %v; want 400 process_invalid with problems", status, body)
		}
		if first := problems[0].(map[string]any); first["line"] != float64(lineOf(bad, "    type: planet")) || first["reason"] == "" {
			t.Errorf("the first problem is %v; want the line of the field type", first)
		}
		unchanged(t, id, before)
	})

	// A second steward of the agency saves first: the form the first opened is refused once.
	t.Run("refused: saved by someone else meanwhile", func(t *testing.T) {
		if _, err := s.processes.Put(ctx, []byte(original+"\n# checked\n"), "bo@skatteverket.example"); err != nil {
			t.Fatal(err)
		}
		mine := strings.Replace(original, "\nagency: Skatteverket\n", "\nagency: Skatteverket # mine\n", 1)
		status, _, page := skv.post("/console/processes/"+id+"?lang=sv", url.Values{"yaml": {mine}, "base": {before.UpdatedAt.UTC().Format(time.RFC3339Nano)}})
		if status != http.StatusConflict || !strings.Contains(html.UnescapeString(page), sv["console_process_changed_meanwhile"]) ||
			editorYAML(page) != mine {
			t.Errorf("HTTP %d; want 409 with the message and the text kept", status)
		}
		if got, _ := s.processes.Get(ctx, id); got.UpdatedBy != "bo@skatteverket.example" {
			t.Errorf("the other steward's save was overwritten by %s", got.UpdatedBy)
		}
	})

	// The chat has not heard of the new keyword yet.
	offersNothing(t, s.anonymous(t).dial(), "Jag vill ansöka om ett lotsbevis.", "sv")

	// A valid edit: a new Swedish title and keyword.
	def, _ := s.catalog.Get(id)
	newTitle := "Flytta till Sverige – anmälan och personnummer"
	edited := strings.Replace(original, "  sv: "+def.Title["sv"]+"\n", "  sv: "+newTitle+"\n", 1)
	edited = strings.Replace(edited, "    sv: [personnummer, ", "    sv: [lotsbevis, personnummer, ", 1)
	if strings.Count(edited, newTitle) != 1 || !strings.Contains(edited, "lotsbevis") {
		t.Fatal("the test's edit did not apply")
	}
	_, page := skv.get("/console/processes/" + id + "?lang=sv")
	base := baseField.FindStringSubmatch(page)
	if base == nil {
		t.Fatal("the editor has no base field")
	}
	status, loc, body := skv.post("/console/processes/"+id+"?lang=sv", url.Values{"yaml": {edited}, "base": {base[1]}})
	if status != http.StatusSeeOther || loc != "/console/processes/"+id+"?lang=sv&done=console_done_process_saved" {
		t.Fatalf("save: HTTP %d to %q; want 303 to the editor with a confirmation:\n%.600s", status, loc, html.UnescapeString(body[strings.Index(body, "<dl"):]))
	}
	if _, page := skv.get(loc); !strings.Contains(html.UnescapeString(page), `<p class="flash" role="status">`+sv["console_done_process_saved"]) ||
		!strings.Contains(page, html.EscapeString(newTitle)) {
		t.Error("the editor does not confirm the save or lacks the new title")
	}
	saved, err := s.processes.Get(ctx, id)
	if err != nil || saved.Title["sv"] != newTitle || saved.UpdatedBy != "anna@skatteverket.example" || saved.YAML != edited {
		t.Errorf("stored: title %q by %q, %v", saved.Title["sv"], saved.UpdatedBy, err)
	}
	entries, err := auth.NewAudit(s.pool).List(ctx, auth.Filter{Agencies: []string{"Skatteverket"}})
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, e := range entries {
		audited = audited || (e.Action == "process.edit" && e.SubjectID == id && e.Actor == "anna@skatteverket.example" && e.Agency == "Skatteverket")
	}
	if !audited {
		t.Errorf("the audit log has no process.edit of %s by the steward under Skatteverket: %+v", id, entries)
	}

	// The running chat uses the edit: the title in the offer, and the new keyword.
	offer := askForOffer(t, s.anonymous(t).dial(), startWishes["sv"], "sv")
	if offer["process"] != id || offer["title"] != newTitle {
		t.Errorf("the offer after the edit: %v titled %q; want %q", offer["process"], offer["title"], newTitle)
	}
	if offer := askForOffer(t, s.anonymous(t).dial(), "Jag vill ansöka om ett lotsbevis.", "sv"); offer["process"] != id {
		t.Errorf("the new keyword offers %v; want %s", offer["process"], id)
	}
	// And so do the drafts' pages.
	p := s.signIn(t, "sv")
	d := p.newDraft(map[string]string{"municipality": "Malmö"})
	if _, page := p.get("/space/drafts/" + d.ID + "?lang=sv"); !strings.Contains(page, html.EscapeString(newTitle)) {
		t.Error("the draft's page does not show the edited title")
	}

	t.Run("the API lists the steward's processes", func(t *testing.T) {
		resp, err := skv.client.Get(s.URL + "/console/api/processes")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var list []struct {
			ID        string            `json:"id"`
			Agency    string            `json:"agency"`
			Title     map[string]string `json:"title"`
			UpdatedBy string            `json:"updated_by"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range list {
			if p.Agency != "Skatteverket" {
				t.Errorf("the list holds %s of %s", p.ID, p.Agency)
			}
			found = found || (p.ID == id && p.Title["sv"] == newTitle && p.UpdatedBy == "anna@skatteverket.example")
		}
		if !found {
			t.Errorf("the list %+v lacks the edited process", list)
		}
	})
}

// The catalog's pages in Chromium, in Swedish and Arabic, pass axe-core's WCAG 2.1 AA scan; the
// editor is monospace and left to right on a right-to-left page, and a refused save marks it.
func TestBrowserProcessCatalogAxe(t *testing.T) {
	b := newBrowser(t)
	axeSource := loadAxe(t)
	s := newCatalogSite(t)
	skv := s.steward(t, "Skatteverket", "anna@skatteverket.example")
	editor := "/console/processes/personal-identity-number"
	for _, lang := range []string{"sv", "ar"} {
		for _, page := range []string{"list", "editor", "refused"} {
			t.Run(lang+" "+page, func(t *testing.T) {
				tb := b.tab(t)
				skv.enter(t, tb)
				tb.setOrigin(s.URL)
				switch page {
				case "list":
					tb.do(chromedp.Navigate(s.URL + "/console/processes?lang=" + lang))
				case "editor":
					tb.do(chromedp.Navigate(s.URL + editor + "?lang=" + lang))
				case "refused":
					tb.do(chromedp.Navigate(s.URL+editor+"?lang="+lang),
						chromedp.Evaluate[chromedp.Void](`(() => { const a = document.getElementById('process-yaml');
							a.value = a.value.replace('    type: municipality\n', '    type: planet\n'); })()`))
					resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(chromedp.CSS(`#process-form button[type=submit]`)))
					if err != nil || resp.Status != http.StatusBadRequest {
						t.Fatalf("the refused save: %v (%v)", err, resp)
					}
					tb.expectLoadError("400") // a refused definition comes back 400 by design
				}
				if page != "list" {
					got := eval[struct {
						Font      string `json:"font"`
						Direction string `json:"direction"`
						Invalid   string `json:"invalid"`
						Problems  int    `json:"problems"`
					}](tb, `(() => { const a = document.getElementById('process-yaml'); const s = getComputedStyle(a);
						return {font: s.fontFamily, direction: s.direction, invalid: a.getAttribute('aria-invalid') ?? '',
							problems: document.querySelectorAll('#process-problems li').length}; })()`)
					if !strings.Contains(got.Font, "monospace") || got.Direction != "ltr" {
						t.Errorf("the editor's font is %q, its direction %q; want monospace, ltr", got.Font, got.Direction)
					}
					if refused := page == "refused"; (got.Invalid == "true") != refused || (got.Problems > 0) != refused {
						t.Errorf("the editor: aria-invalid %q with %d problems listed", got.Invalid, got.Problems)
					}
				}
				reportAxe(t, runAxe(tb, axeSource))
				tb.screenshot("console-processes-" + page + "-" + lang + ".png")
			})
		}
	}
}

// An edit saved through another server (here: straight into the store) reaches this server's
// chat without a restart, by its catalog loop.
func TestCatalogEditThroughAnotherServer(t *testing.T) {
	s := newCatalogSite(t, func(c *web.Config) { c.Space.ReloadEvery = 50 * time.Millisecond })
	// Run starts the server's background loops; the test talks to the same server through s.URL.
	ctx, cancel := context.WithCancel(t.Context())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.srv.Run(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })

	const id = "personal-identity-number"
	stored, err := s.processes.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	newTitle := "Personnummer – ändrat på en annan server"
	edited := strings.Replace(stored.YAML, "  sv: "+stored.Title["sv"]+"\n", "  sv: "+newTitle+"\n", 1)
	if edited == stored.YAML {
		t.Fatal("the test's edit did not apply")
	}
	time.Sleep(100 * time.Millisecond) // the loop has read the catalog it started with
	if _, err := s.processes.Put(t.Context(), []byte(edited), "another-server"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		offer := askForOffer(t, s.anonymous(t).dial(), startWishes["sv"], "sv")
		if offer["title"] == newTitle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s the offer is still titled %q; want %q", offer["title"], newTitle)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
