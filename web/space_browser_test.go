package web_test

// The own space in headless Chromium: a signed-in person asks in Arabic to apply for a personal
// identity number, ticks two of the details offered, consents, opens the draft, its summary, and
// saves the conversation; and an axe-core scan of the space and a draft in Swedish and Arabic.

import (
	"cmp"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// signedInTab is a browser tab for t that carries the person's session cookie.
func (p *person) signedInTab(t *testing.T, b *browser) *tab {
	t.Helper()
	tb := b.tab(t)
	if _, err := chromedp.Call(tb.ctx, network.SetCookie, network.SetCookieParams{
		Name: "lots_session", Value: p.session, URL: p.site.URL, Path: "/"}); err != nil {
		t.Fatalf("set the session cookie: %v", err)
	}
	return tb
}

// forgive drops the console's report of a page answered with status (Chromium logs a 4xx
// document as an error): a refused form comes back 422 by design.
func (tb *tab) forgive(status string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.problems = slices.DeleteFunc(tb.problems, func(p string) bool { return strings.Contains(p, "status of "+status) })
}

func TestBrowserHandoffArabic(t *testing.T) {
	b := newBrowser(t)
	s := newSpaceSite(t)
	p := s.signIn(t, "ar")
	tb := p.signedInTab(t, b)
	tb.open(s.URL + "/?lang=ar")
	tb.ask(startWishes["ar"])

	offer := `document.querySelector('#log .msg-offer')`
	tb.waitFor(offer+` !== null`, "the offer to start the process")
	view := eval[struct {
		Direction string   `json:"direction"`
		Heading   string   `json:"heading"`
		Checked   []bool   `json:"checked"`
		Fields    []string `json:"fields"`
		Stores    string   `json:"stores"`
	}](tb, `(() => {
		const o = `+offer+`;
		const boxes = [...o.querySelectorAll('input[type=checkbox]')];
		return {
			direction: getComputedStyle(o).direction,
			heading: o.querySelector('h3').textContent,
			checked: boxes.map((b) => b.checked),
			fields: boxes.map((b) => b.dataset.field),
			stores: o.querySelector('.offer-stores').textContent,
		};
	})()`)
	ar := uiStrings(t, "ar")
	if view.Direction != "rtl" || view.Heading != ar["offer_heading"] || view.Stores != ar["offer_stores"] {
		t.Errorf("the offer: direction %q, heading %q, what is stored %q", view.Direction, view.Heading, view.Stores)
	}
	if !slices.Contains(view.Fields, "arrival_date") || !slices.Contains(view.Fields, "municipality") {
		t.Fatalf("proposed fields %v", view.Fields)
	}
	for i, checked := range view.Checked {
		if checked {
			t.Errorf("the proposal %s is ticked before the person ticked it", view.Fields[i])
		}
	}
	if n := s.count(t, "SELECT count(*) FROM drafts"); n != 0 {
		t.Fatal("a draft exists before consent")
	}
	tb.screenshot("space-offer-ar.png")

	// Tick the arrival date and the municipality, not the children; consent.
	tb.do(chromedp.Click(chromedp.CSS(`#log .msg-offer input[data-field="arrival_date"]`)),
		chromedp.Click(chromedp.CSS(`#log .msg-offer input[data-field="municipality"]`)),
		chromedp.Click(chromedp.CSS(`#log .msg-offer button.primary`)))
	tb.waitFor(offer+`.querySelector('.offer-link') !== null`, "the link to the draft")
	drafts, err := s.space.Drafts(t.Context(), p.id)
	if err != nil || len(drafts) != 1 {
		t.Fatalf("drafts after consent: %v, %v", drafts, err)
	}
	if f := drafts[0].Fields; len(f) != 2 || f["arrival_date"] != "2025-03-01" || f["municipality"] != "Malmö" {
		t.Errorf("the draft holds %v; want exactly the arrival date and the municipality", f)
	}

	// Save the conversation to the space.
	tb.waitFor(`!document.getElementById('save-conversation-row').hidden`, "the save-conversation button")
	tb.do(chromedp.Click(chromedp.ID("save-conversation")))
	tb.waitFor(`document.getElementById('save-conversation-status').textContent === `+jsString(ar["conversation_saved"]), "the saved confirmation")
	if n := s.count(t, "SELECT count(*) FROM saved_conversations WHERE user_id = $1", p.id); n != 1 {
		t.Errorf("%d saved conversations; want 1", n)
	}

	// Follow the link to the draft.
	resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(chromedp.CSS(`#log .msg-offer .offer-link`)))
	if err != nil || resp.Status != 200 {
		t.Fatalf("open the draft: %v (HTTP %v)", err, resp)
	}
	page := eval[struct {
		Dir          string `json:"dir"`
		Municipality string `json:"municipality"`
		Arrival      string `json:"arrival"`
		Children     string `json:"children"`
		Flash        string `json:"flash"`
	}](tb, `({dir: document.documentElement.dir, municipality: document.getElementById('field-municipality').value,
		arrival: document.getElementById('field-arrival_date').value, children: document.getElementById('field-children_moving').value,
		flash: document.querySelector('.flash')?.textContent ?? ''})`)
	if page.Dir != "rtl" || page.Municipality != "Malmö" || page.Arrival != "2025-03-01" || page.Children != "" {
		t.Errorf("the draft page: %+v", page)
	}
	if page.Flash != uiSpaceStrings(t, "ar")["space_draft_created"] {
		t.Errorf("the draft page confirms %q", page.Flash)
	}
	tb.screenshot("space-draft-ar.png")

	// The summary, with the agency's e-service.
	def, _ := s.catalog.Get("personal-identity-number")
	tb.do(chromedp.Navigate(s.URL + "/space/drafts/" + drafts[0].ID + "/summary?lang=ar"))
	links := eval[[]string](tb, `[...document.querySelectorAll('.summary a')].map((a) => a.href)`)
	if !slices.Contains(links, def.EService.URL) {
		t.Errorf("the summary links %v; want the e-service %s", links, def.EService.URL)
	}
	tb.screenshot("space-summary-ar.png")
}

func TestBrowserSpaceAxe(t *testing.T) {
	b := newBrowser(t)
	axePath := cmp.Or(os.Getenv("LOTS_AXE"), filepath.Join("..", "var", "node", "node_modules", "axe-core", "axe.min.js"))
	axeSource, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core: %v: run scripts/browser (or set LOTS_AXE to axe.min.js)", err)
	}
	s := newSpaceSite(t)
	p := s.signIn(t, "sv")
	d := p.newDraft(map[string]string{"arrival_date": "2025-03-01", "municipality": "Kiruna"})
	conv := newUUIDString(t, s.pool)
	if _, err := s.pool.Exec(t.Context(), `INSERT INTO conversations (id, language, expires_at) VALUES ($1, 'ar', now() + interval '1 hour')`, conv); err != nil {
		t.Fatal(err)
	}
	if err := s.space.SaveConversation(t.Context(), p.id, conv); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"sv", "ar"} {
		for _, page := range []struct{ name, path string }{
			{"space", "/space"},
			{"draft", "/space/drafts/" + d.ID},
			{"draft with errors", ""},
			{"summary", "/space/drafts/" + d.ID + "/summary"},
			{"delete", "/space/delete"},
		} {
			t.Run(lang+" "+page.name, func(t *testing.T) {
				tb := p.signedInTab(t, b)
				tb.setOrigin(s.URL)
				if page.path == "" { // a refused save: messages by the fields
					tb.do(chromedp.Navigate(s.URL + "/space/drafts/" + d.ID + "?lang=" + lang))
					tb.do(chromedp.SetValue(chromedp.ID("field-municipality"), "Atlantis"))
					resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(chromedp.CSS(`button[value="ready"]`)))
					if err != nil || resp.Status != 422 {
						t.Fatalf("the refused save: %v (%v)", err, resp)
					}
					tb.forgive("422")
					if n := eval[int](tb, `document.querySelectorAll('.field-error').length`); n == 0 {
						t.Fatal("no messages by the fields")
					}
				} else {
					tb.do(chromedp.Navigate(s.URL + page.path + "?lang=" + lang))
				}
				reportAxe(t, runAxe(tb, axeSource))
				tb.screenshot("space-" + strings.ReplaceAll(page.name, " ", "-") + "-" + lang + ".png")
			})
		}
	}
}

// uiSpaceStrings are the own space's strings in lang.
func uiSpaceStrings(t *testing.T, lang string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("i18n", "space."+lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
