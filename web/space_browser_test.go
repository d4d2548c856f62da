package web_test

// The own space in headless Chromium: a person asks in Swedish, Arabic or Somali to apply for a
// personal identity number, ticks two of the details offered, consents (signing in first when
// they had not), opens the draft and its summary, and saves the conversation; and an axe-core
// scan of the space and a draft in Swedish and Arabic.

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// signedInTab is a browser tab for t that carries the person's session cookie.
func (p *person) signedInTab(t *testing.T, b *browser) *tab {
	t.Helper()
	tb := b.tab(t)
	p.enter(t, tb)
	return tb
}

// enter gives the browser the person's session cookie, as signing in does.
func (p *person) enter(t *testing.T, tb *tab) {
	t.Helper()
	if _, err := chromedp.Call(tb.ctx, network.SetCookie, network.SetCookieParams{
		Name: "lots_session", Value: p.session, URL: p.site.URL, Path: "/"}); err != nil {
		t.Fatalf("set the session cookie: %v", err)
	}
}

// TestBrowserHandoff plays the chain in Swedish, Arabic and Somali: the offer in the page's
// language with nothing ticked, two of the three details ticked, consent, sign-in when the person
// was not signed in yet, the draft with exactly the ticked details, and the summary with them and
// the agency's e-service. One browser serves every language.
func TestBrowserHandoff(t *testing.T) {
	b := newBrowser(t)
	s := newSpaceSite(t)
	def, _ := s.catalog.Get("personal-identity-number")
	for _, tc := range []struct {
		lang     string
		signedIn bool // before asking; otherwise the consent leads to sign in first
	}{
		{"sv", true},
		{"ar", true},
		{"so", false},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			lang := tc.lang
			ui, space := uiStrings(t, lang), uiStrings(t, "space."+lang)
			p := s.signIn(t, lang) // the account; the browser carries its session once signed in
			tb := b.tab(t)
			// The tabs share the browser's cookies: each language starts signed out.
			if _, err := chromedp.Call(tb.ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
				t.Fatalf("clear the cookies: %v", err)
			}
			if tc.signedIn {
				p.enter(t, tb)
			}
			tb.open(s.URL + "/?lang=" + lang)
			tb.ask(startWishes[lang])

			offer := `document.querySelector('#log .msg-offer')`
			tb.waitFor(offer+` !== null`, "the offer to start the process")
			view := eval[struct {
				Lang      string   `json:"lang"`
				Direction string   `json:"direction"`
				Heading   string   `json:"heading"`
				Text      string   `json:"text"`
				Checked   []bool   `json:"checked"`
				Fields    []string `json:"fields"`
				Stores    string   `json:"stores"`
			}](tb, `(() => {
				const o = `+offer+`;
				const boxes = [...o.querySelectorAll('input[type=checkbox]')];
				return {
					lang: o.lang,
					direction: getComputedStyle(o).direction,
					heading: o.querySelector('h3').textContent,
					text: o.textContent,
					checked: boxes.map((b) => b.checked),
					fields: boxes.map((b) => b.dataset.field),
					stores: o.querySelector('.offer-stores').textContent,
				};
			})()`)
			if view.Lang != lang || view.Direction != pageDir(lang) || view.Heading != ui["offer_heading"] || view.Stores != ui["offer_stores"] {
				t.Errorf("the offer: lang %q, direction %q, heading %q, what is stored %q", view.Lang, view.Direction, view.Heading, view.Stores)
			}
			if !strings.Contains(view.Text, def.Title.In(lang)) {
				t.Errorf("the offer does not name the process as %q", def.Title.In(lang))
			}
			if !slices.Contains(view.Fields, "arrival_date") || !slices.Contains(view.Fields, "municipality") {
				t.Fatalf("proposed fields %v", view.Fields)
			}
			for i, checked := range view.Checked {
				if checked {
					t.Errorf("the proposal %s is ticked before the person ticked it", view.Fields[i])
				}
			}
			if n := s.count(t, "SELECT count(*) FROM drafts WHERE user_id = $1", p.id); n != 0 {
				t.Fatal("a draft exists before consent")
			}
			tb.screenshot("space-offer-" + lang + ".png")

			// Tick the arrival date and the municipality, not the others; consent.
			tb.do(chromedp.Click(chromedp.CSS(`#log .msg-offer input[data-field="arrival_date"]`)),
				chromedp.Click(chromedp.CSS(`#log .msg-offer input[data-field="municipality"]`)),
				chromedp.Click(chromedp.CSS(`#log .msg-offer button.primary`)))
			tb.waitFor(offer+`.querySelector('.offer-link') !== null`, "the link after consent")

			if tc.signedIn {
				// Save the conversation to the space.
				tb.waitFor(`!document.getElementById('save-conversation-row').hidden`, "the save-conversation button")
				tb.do(chromedp.Click(chromedp.ID("save-conversation")))
				tb.waitFor(`document.getElementById('save-conversation-status').textContent === `+jsString(ui["conversation_saved"]), "the saved confirmation")
				if n := s.count(t, "SELECT count(*) FROM saved_conversations WHERE user_id = $1", p.id); n != 1 {
					t.Errorf("%d saved conversations; want 1", n)
				}
				resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(chromedp.CSS(`#log .msg-offer .offer-link`)))
				if err != nil || resp.Status != 200 {
					t.Fatalf("open the draft: %v (HTTP %v)", err, resp)
				}
			} else {
				// Not signed in: the link leads to sign in, and what was ticked waits.
				link := eval[string](tb, offer+`.querySelector('.offer-link').textContent`)
				if link != ui["offer_signin_link"] {
					t.Errorf("the link after consent says %q; want %q", link, ui["offer_signin_link"])
				}
				resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(chromedp.CSS(`#log .msg-offer .offer-link`)))
				if err != nil || resp.Status != 200 {
					t.Fatalf("open sign-in: %v (HTTP %v)", err, resp)
				}
				signin := eval[struct {
					Path string `json:"path"`
					Lang string `json:"lang"`
					Next string `json:"next"`
				}](tb, `({path: location.pathname, lang: document.documentElement.lang, next: new URLSearchParams(location.search).get('next') ?? ''})`)
				if signin.Path != "/signin" || signin.Lang != lang || !strings.HasPrefix(signin.Next, "/space/handoff/") {
					t.Fatalf("the sign-in page: %+v", signin)
				}
				if n := s.count(t, "SELECT count(*) FROM drafts WHERE user_id = $1", p.id); n != 0 {
					t.Fatal("a draft exists before sign-in")
				}
				// Signed in (the passkey ceremony is TestBrowserPasskeys'), sign-in goes on to next.
				p.enter(t, tb)
				resp, err = chromedp.RunResponse(tb.ctx, chromedp.Navigate(s.URL+signin.Next))
				if err != nil || resp.Status != 200 {
					t.Fatalf("claim the handoff: %v (HTTP %v)", err, resp)
				}
			}
			drafts, err := s.space.Drafts(t.Context(), p.id)
			if err != nil || len(drafts) != 1 {
				t.Fatalf("drafts after consent: %v, %v", drafts, err)
			}
			if f := drafts[0].Fields; len(f) != 2 || f["arrival_date"] != "2025-03-01" || f["municipality"] != "Malmö" {
				t.Errorf("the draft holds %v; want exactly the arrival date and the municipality", f)
			}

			page := eval[struct {
				Path   string            `json:"path"`
				Dir    string            `json:"dir"`
				Fields map[string]string `json:"fields"`
				Flash  string            `json:"flash"`
			}](tb, `({path: location.pathname, dir: document.documentElement.dir,
				fields: Object.fromEntries([...document.querySelectorAll('[id^="field-"]')].filter((e) => 'value' in e && e.type !== 'radio' && e.type !== 'checkbox').map((e) => [e.id.slice(6), e.value])),
				flash: document.querySelector('.flash')?.textContent ?? ''})`)
			if page.Path != "/space/drafts/"+drafts[0].ID || page.Dir != pageDir(lang) {
				t.Errorf("the draft page: %s in direction %q", page.Path, page.Dir)
			}
			for _, f := range def.Fields {
				v, shown := page.Fields[f.Name]
				want := drafts[0].Fields[f.Name]
				if shown && v != want {
					t.Errorf("the draft page's %s holds %q; want %q", f.Name, v, want)
				}
			}
			if page.Fields["municipality"] != "Malmö" || page.Fields["arrival_date"] != "2025-03-01" {
				t.Errorf("the draft page's fields %v; want the ticked municipality and arrival date", page.Fields)
			}
			if page.Flash != space["space_draft_created"] {
				t.Errorf("the draft page confirms %q; want %q", page.Flash, space["space_draft_created"])
			}
			tb.screenshot("space-draft-" + lang + ".png")

			// The summary, with the ticked details and the agency's e-service.
			tb.do(chromedp.Navigate(s.URL + "/space/drafts/" + drafts[0].ID + "/summary?lang=" + lang))
			summary := eval[struct {
				Text  string   `json:"text"`
				Links []string `json:"links"`
			}](tb, `({text: document.querySelector('.summary').textContent, links: [...document.querySelectorAll('.summary a')].map((a) => a.href)})`)
			for _, want := range []string{"Malmö", "2025-03-01"} {
				if !strings.Contains(summary.Text, want) {
					t.Errorf("the summary does not show %q", want)
				}
			}
			if !slices.Contains(summary.Links, def.EService.URL) {
				t.Errorf("the summary links %v; want the e-service %s", summary.Links, def.EService.URL)
			}
			tb.screenshot("space-summary-" + lang + ".png")
		})
	}
}

func TestBrowserSpaceAxe(t *testing.T) {
	b := newBrowser(t)
	axeSource := loadAxe(t)
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
					tb.expectLoadError("422") // a refused form comes back 422 by design
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
