package web_test

// Starting a process from the chat, through the real websocket: the offer after the answer,
// consent with only the confirmed details, the draft in the own space, its summary and the way on
// to the agency's e-service; declining and bad input store nothing.

import (
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// startWishes say "I want to apply for a personal identity number", with when the person came,
// where they live and how many children move with them.
var startWishes = map[string]string{
	"sv": "Jag vill ansöka om personnummer. Jag kom till Sverige den 1 mars 2025 och bor i Malmö med 2 barn.",
	"ar": "أريد التقديم على رقم شخصي. وصلت إلى السويد في 1 مارس 2025 وأسكن في Malmö مع طفلين.",
	"so": "Waxaan rabaa inaan codsado lambarka aqoonsiga shakhsiga. Waxaan imid Iswiidhan 2025-03-01, waxaan ku noolahay Malmö.",
}

// askForOffer asks and reads until the offer that follows the answer.
func askForOffer(t *testing.T, c *websocket.Conn, text, lang string) message {
	t.Helper()
	offer, _ := askForOfferAnswered(t, c, text, lang)
	return offer
}

// askForOfferAnswered is askForOffer that also tells whether the question was answered.
func askForOfferAnswered(t *testing.T, c *websocket.Conn, text, lang string) (message, bool) {
	t.Helper()
	got := askAndCollect(t, c, "q", text, lang)
	last := got[len(got)-1]
	if last["type"] != "answer.done" {
		t.Fatalf("the question got %v, not an answer", last)
	}
	offer := recv(t, c)
	if offer["type"] != "handoff.offer" {
		t.Fatalf("after the answer came %v; want handoff.offer", offer)
	}
	return offer, last["answered"] == true
}

// proposals are an offer's proposed values by field.
func proposals(t *testing.T, offer message) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range offer["proposals"].([]any) {
		p := p.(map[string]any)
		out[p["field"].(string)] = p["value"].(string)
	}
	return out
}

func TestHandoffChain(t *testing.T) {
	s := newSpaceSite(t)
	def, _ := s.catalog.Get("personal-identity-number")
	for _, lang := range []string{"sv", "ar", "so"} {
		t.Run(lang, func(t *testing.T) {
			p := s.signIn(t, lang)
			c := p.dial()
			send(t, c, message{"type": "hello", "language": lang})
			recv(t, c)
			offer, answered := askForOfferAnswered(t, c, startWishes[lang], lang)
			if !answered {
				// The wish carries details no page covers (a date, a town); the agency's
				// information about the process still comes with the offer.
				t.Errorf("%q was not answered", startWishes[lang])
			}
			if offer["process"] != def.ID || offer["title"] != def.Title.In(lang) || offer["language"] != lang {
				t.Errorf("offer %v; want %s titled %q in %s", offer, def.ID, def.Title.In(lang), lang)
			}
			if reason, _ := offer["reason"].(string); !strings.Contains(reason, def.Title.In(lang)) {
				t.Errorf("the reason %q does not name the process in %s", reason, lang)
			}
			proposed := proposals(t, offer)
			if proposed["arrival_date"] != "2025-03-01" || proposed["municipality"] != "Malmö" {
				t.Fatalf("proposals %v; want the arrival date and Malmö", proposed)
			}
			for _, pr := range offer["proposals"].([]any) {
				if label := pr.(map[string]any)["label"]; label == "" || label == nil {
					t.Errorf("a proposal without a label: %v", pr)
				}
			}
			if n := s.count(t, "SELECT count(*) FROM drafts WHERE user_id = $1", p.id); n != 0 {
				t.Fatal("a draft was stored before consent")
			}

			// The person ticks the arrival date and the municipality only.
			confirmed := map[string]string{"arrival_date": proposed["arrival_date"], "municipality": proposed["municipality"]}
			send(t, c, message{"type": "handoff.accept", "id": "a1", "process": def.ID, "fields": confirmed, "language": lang})
			created := recv(t, c)
			if created["type"] != "handoff.created" || created["id"] != "a1" {
				t.Fatalf("accept got %v; want handoff.created", created)
			}
			d, err := s.space.Draft(t.Context(), p.id, created["draft_id"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Fields) != 2 || d.Fields["arrival_date"] != "2025-03-01" || d.Fields["municipality"] != "Malmö" || d.Language != lang {
				t.Errorf("the draft holds %v (%s); want exactly the two confirmed fields", d.Fields, d.Language)
			}
			if n := s.count(t, "SELECT count(*) FROM consents WHERE user_id = $1 AND purpose = 'drafts'", p.id); n != 1 {
				t.Error("no consent to keep drafts was recorded")
			}

			// The draft's page, and the summary with the e-service link.
			if want := "/space/drafts/" + d.ID + "?lang=" + lang + "&done=created"; created["url"] != want {
				t.Errorf("url %v; want %s", created["url"], want)
			}
			status, page := p.get(created["url"].(string))
			if status != http.StatusOK || !strings.Contains(page, `value="Malmö"`) || !strings.Contains(page, def.Eligibility[0].Text.In(lang)) {
				t.Errorf("the draft page: HTTP %d, without the field or the eligibility question", status)
			}
			status, summary := p.get("/space/drafts/" + d.ID + "/summary?lang=" + lang)
			for _, want := range []string{"Malmö", "2025-03-01", def.EService.URL, def.Documents[0].In(lang), def.Steps[0].In(lang)} {
				if status != http.StatusOK || !strings.Contains(summary, html.EscapeString(want)) {
					t.Errorf("the summary (HTTP %d) does not show %q", status, want)
				}
			}
			status, loc, _ := p.post("/space/drafts/"+d.ID+"/handoff?lang="+lang, nil)
			if status != http.StatusSeeOther || loc != def.EService.URL {
				t.Errorf("the hand-off: HTTP %d to %q; want the e-service", status, loc)
			}
		})
	}
}

func TestHandoffBeforeSignIn(t *testing.T) {
	s := newSpaceSite(t)
	anon := s.anonymous(t)
	c := anon.dial()
	offer := askForOffer(t, c, startWishes["ar"], "ar")
	send(t, c, message{"type": "handoff.accept", "id": "a1", "process": offer["process"], "fields": map[string]string{"municipality": "Malmö"}})
	signin := recv(t, c)
	if signin["type"] != "handoff.signin" {
		t.Fatalf("accept without a session got %v; want handoff.signin", signin)
	}
	u, err := url.Parse(signin["url"].(string))
	if err != nil || u.Path != "/signin" || u.Query().Get("lang") != "ar" || !strings.HasPrefix(u.Query().Get("next"), "/space/handoff/") {
		t.Fatalf("sign-in url %v", signin["url"])
	}
	next := u.Query().Get("next")
	token := strings.TrimPrefix(next, "/space/handoff/")
	if s.count(t, "SELECT count(*) FROM handoffs") != 1 || s.count(t, "SELECT count(*) FROM drafts") != 0 {
		t.Error("want one handoff waiting and no draft")
	}
	if n := s.count(t, "SELECT count(*) FROM handoffs h WHERE strpos(h::text, $1) > 0", token); n != 0 {
		t.Error("the handoff's token is stored as it is")
	}

	// Not signed in yet: the link sends to sign in, and back.
	resp, err := anon.client.Get(s.URL + next)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, url.QueryEscape(next)) {
		t.Errorf("the claim before sign-in: HTTP %d to %q", resp.StatusCode, loc)
	}
	// Signed in, the link turns it into a draft of theirs, once.
	p := s.signIn(t, "ar")
	resp, err = p.client.Get(s.URL + next)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/space/drafts/") || !strings.Contains(loc, "lang=ar") {
		t.Fatalf("the claim: HTTP %d to %q", resp.StatusCode, loc)
	}
	drafts, err := s.space.Drafts(t.Context(), p.id)
	if err != nil || len(drafts) != 1 || drafts[0].Fields["municipality"] != "Malmö" || len(drafts[0].Fields) != 1 {
		t.Fatalf("drafts after the claim: %+v, %v", drafts, err)
	}
	if _, page := p.get(loc); !strings.Contains(page, "الطلب الآن في مساحتك") {
		t.Error("the draft page does not confirm the claim")
	}
	if status, _ := s.signIn(t, "ar").get(next); status != http.StatusNotFound {
		t.Errorf("claiming again: HTTP %d; want 404", status)
	}
	if n := s.count(t, "SELECT count(*) FROM handoffs"); n != 0 {
		t.Errorf("%d handoffs left after the claim", n)
	}
}

func TestHandoffDeclineStoresNothing(t *testing.T) {
	s := newSpaceSite(t)
	p := s.signIn(t, "sv")
	c := p.dial()
	offer := askForOffer(t, c, startWishes["sv"], "sv")
	send(t, c, message{"type": "handoff.decline", "id": "d1", "process": offer["process"]})
	if m := recv(t, c); m["type"] != "handoff.declined" || m["id"] != "d1" {
		t.Fatalf("decline got %v", m)
	}
	// An answered offer cannot be accepted after all, nor is it offered again.
	send(t, c, message{"type": "handoff.accept", "id": "a1", "process": offer["process"], "fields": map[string]string{}})
	if m := recv(t, c); m["type"] != "error" || m["code"] != "bad_request" {
		t.Errorf("accept after decline got %v; want bad_request", m)
	}
	got := askAndCollect(t, c, "q2", startWishes["sv"], "sv")
	send(t, c, message{"type": "ping"})
	if m := recv(t, c); m["type"] != "pong" {
		t.Errorf("after asking again came %v (after %v); want no second offer", m, types(got))
	}
	for _, table := range []string{"drafts", "handoffs", "consents"} {
		if n := s.count(t, "SELECT count(*) FROM "+table); n != 0 {
			t.Errorf("%d rows in %s after declining", n, table)
		}
	}
}

func TestHandoffRefusesBadInput(t *testing.T) {
	s := newSpaceSite(t)
	p := s.signIn(t, "sv")
	c := p.dial()
	offer := askForOffer(t, c, startWishes["sv"], "sv")
	proc := offer["process"].(string)
	tests := []struct {
		name   string
		msg    message
		code   string
		field  string
		inText string // in the message, in Swedish
	}{
		{"unknown process", message{"process": "moon-landing", "fields": map[string]string{}}, "bad_request", "", ""},
		{"process not offered", message{"process": "child-allowance", "fields": map[string]string{}}, "bad_request", "", ""},
		{"unknown field", message{"process": proc, "fields": map[string]string{"shoe_size": "44"}}, "bad_request", "", ""},
		{"invalid date", message{"process": proc, "fields": map[string]string{"arrival_date": "2099-01-01", "municipality": "Malmö"}}, "invalid_field", "arrival_date", "Datumet får inte vara efter"},
		{"invalid municipality", message{"process": proc, "fields": map[string]string{"municipality": "Atlantis"}}, "invalid_field", "municipality", "svensk kommun"},
		{"no process", message{"fields": map[string]string{}}, "bad_request", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := message{"type": "handoff.accept", "id": "x"}
			for k, v := range tc.msg {
				m[k] = v
			}
			send(t, c, m)
			got := recv(t, c)
			if got["type"] != "error" || got["code"] != tc.code || got["id"] != "x" {
				t.Fatalf("got %v; want error %s", got, tc.code)
			}
			if tc.field != "" && (got["field"] != tc.field || !strings.Contains(got["message"].(string), tc.inText)) {
				t.Errorf("got %v; want field %s with %q", got, tc.field, tc.inText)
			}
			for _, table := range []string{"drafts", "handoffs"} {
				if n := s.count(t, "SELECT count(*) FROM "+table); n != 0 {
					t.Fatalf("%d rows in %s after refused input", n, table)
				}
			}
		})
	}
	// The offer is still open: a valid accept is taken.
	send(t, c, message{"type": "handoff.accept", "id": "ok", "process": proc, "fields": map[string]string{"municipality": " malmö "}})
	if m := recv(t, c); m["type"] != "handoff.created" {
		t.Fatalf("a valid accept after refusals got %v", m)
	}
	drafts, _ := s.space.Drafts(t.Context(), p.id)
	if len(drafts) != 1 || drafts[0].Fields["municipality"] != "Malmö" {
		t.Errorf("drafts %+v; want one with the municipality as the field normalises it", drafts)
	}
}

func TestHandoffSealsIdentityNumbers(t *testing.T) {
	s := newSpaceSite(t)
	p := s.signIn(t, "sv")
	c := p.dial()
	offer := askForOffer(t, c, "Jag vill ansöka om barnbidrag för mitt barn.", "sv")
	if offer["process"] != "child-allowance" {
		t.Fatalf("offered %v; want child-allowance", offer["process"])
	}
	def, _ := s.catalog.Get("child-allowance")
	var sensitive string
	for _, f := range def.Fields {
		if f.Sensitive {
			sensitive = f.Name
		}
	}
	const number = "19900101-0017" // a valid check digit
	send(t, c, message{"type": "handoff.accept", "id": "a", "process": "child-allowance", "fields": map[string]string{sensitive: number}})
	created := recv(t, c)
	if created["type"] != "handoff.created" {
		t.Fatalf("accept got %v", created)
	}
	d, err := s.space.Draft(t.Context(), p.id, created["draft_id"].(string))
	if err != nil || d.Fields[sensitive] != number || !slices.Contains(d.Sealed, sensitive) {
		t.Fatalf("the draft holds %v sealed %v, %v", d.Fields, d.Sealed, err)
	}
	for _, table := range tables(t, s.pool) {
		var n int
		err := s.pool.QueryRow(t.Context(), `SELECT count(*) FROM `+table+` t WHERE strpos(t::text, $1) > 0 OR strpos(t::text, $2) > 0`,
			number, strings.ReplaceAll(number, "-", "")).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			t.Errorf("%s holds the identity number in plain text", table)
		}
	}
	if _, page := p.get("/space/drafts/" + d.ID + "?lang=sv"); !strings.Contains(page, number) {
		t.Error("the draft page does not show the owner their identity number")
	}
}
