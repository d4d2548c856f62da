package alexa

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/retrieval"
)

// harness serves a Skill on an httptest server, with a test CA's chain at testChainURL, and
// records the questions that reach the assistant.
type harness struct {
	t     *testing.T
	url   string
	skill *Skill
	mu    sync.Mutex
	asked []assistant.Question
}

// newHarness serves a Skill over asst whose clock says now. With stub, stub answers instead of
// asst (which then only provides its messages).
func newHarness(t *testing.T, asst *assistant.Assistant, now time.Time, stub func(assistant.Question) (assistant.Answer, error)) *harness {
	t.Helper()
	ca := newTestCA(t, "Test")
	chains := newChainServer()
	chains.serve(testChainURL, ca.validChain(t))
	skill := New(asst, slog.New(slog.NewTextHandler(t.Output(), nil)), Config{
		ApplicationID: testAppID, Roots: ca.roots, Client: chains.client(),
		Now: func() time.Time { return now },
	})
	h := &harness{t: t, skill: skill}
	answer := skill.answer
	skill.answer = func(ctx context.Context, q assistant.Question) (assistant.Answer, error) {
		h.mu.Lock()
		h.asked = append(h.asked, q)
		h.mu.Unlock()
		if stub != nil {
			return stub(q)
		}
		return answer(ctx, q)
	}
	srv := httptest.NewServer(skill)
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

func (h *harness) questions() []assistant.Question {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]assistant.Question(nil), h.asked...)
}

// post sends body as Alexa does, signed by the signing certificate's key; headers changes the
// headers first.
func (h *harness) post(body []byte, headers func(http.Header)) (int, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("SignatureCertChainUrl", testChainURL)
	req.Header.Set("Signature-256", sign(h.t, signingKey(h.t), body))
	if headers != nil {
		headers(req.Header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, data
}

// ask posts body and decodes the response, which must be a 200.
func (h *harness) ask(body []byte) alexaResponse {
	h.t.Helper()
	status, data := h.post(body, nil)
	if status != http.StatusOK {
		h.t.Fatalf("status %d: %s", status, data)
	}
	var r alexaResponse
	if err := json.Unmarshal(data, &r); err != nil {
		h.t.Fatalf("response %s: %v", data, err)
	}
	if r.Version != "1.0" {
		h.t.Errorf("version %q, want 1.0", r.Version)
	}
	if s := r.Response.OutputSpeech; s != nil {
		checkSSML(h.t, s.Type, s.SSML)
	}
	if rp := r.Response.Reprompt; rp != nil {
		checkSSML(h.t, rp.OutputSpeech.Type, rp.OutputSpeech.SSML)
	}
	return r
}

// alexaResponse is the response format as Alexa's documentation spells it.
type alexaResponse struct {
	Version           string            `json:"version"`
	SessionAttributes map[string]string `json:"sessionAttributes"`
	Response          struct {
		OutputSpeech *spokenOutput `json:"outputSpeech"`
		Card         *struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Content string `json:"content"`
		} `json:"card"`
		Reprompt *struct {
			OutputSpeech spokenOutput `json:"outputSpeech"`
		} `json:"reprompt"`
		ShouldEndSession *bool `json:"shouldEndSession"`
	} `json:"response"`
}

type spokenOutput struct {
	Type string `json:"type"`
	SSML string `json:"ssml"`
}

func (r alexaResponse) ssml() string {
	if r.Response.OutputSpeech == nil {
		return ""
	}
	return r.Response.OutputSpeech.SSML
}

func (r alexaResponse) ends() bool {
	return r.Response.ShouldEndSession != nil && *r.Response.ShouldEndSession
}

// checkSSML checks that s is SSML Alexa accepts: well-formed XML in one <speak>, short enough.
func checkSSML(t *testing.T, typ, s string) {
	t.Helper()
	if typ != "SSML" {
		t.Errorf("output speech type %q, want SSML", typ)
	}
	if !strings.HasPrefix(s, "<speak>") || !strings.HasSuffix(s, "</speak>") {
		t.Errorf("SSML %q is not one <speak> element", s)
	}
	if err := wellFormed(s); err != nil {
		t.Errorf("SSML %q: %v", s, err)
	}
	if len([]rune(s)) > 8000 {
		t.Errorf("SSML of %d characters, more than Alexa's 8000", len([]rune(s)))
	}
}

func wellFormed(s string) error {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func stubAssistant(t *testing.T) *assistant.Assistant {
	t.Helper()
	msgs, err := assistant.LoadMessages(retrieval.Languages)
	if err != nil {
		t.Fatal(err)
	}
	return assistant.New(nil, nil, msgs, slog.New(slog.DiscardHandler), assistant.Config{})
}

var skatteverketAnswer = assistant.Answer{
	Answer:   "This is what Skatteverket says:\n\nBring a valid passport & your <residence permit>. [1]\n\nThe number has ten digits. [1, 2]",
	Language: "en", Answered: true, Mode: "extractive",
	Citations: []assistant.Citation{
		{N: 1, Title: "Personal identity number | Skatteverket", URL: "https://example.test/skatteverket/en/personal-identity-number",
			Agency: "Skatteverket", Language: "en", Fetched: "2026-11-20"},
		{N: 2, Title: "Coordination number | Skatteverket", URL: "https://example.test/skatteverket/en/coordination-number",
			Agency: "Skatteverket", Language: "en", Fetched: "2026-11-20"},
		{N: 3, Title: "Personal identity number | Skatteverket", URL: "https://example.test/skatteverket/en/personal-identity-number",
			Agency: "Skatteverket", Language: "en", Fetched: "2026-11-20"},
	},
}

// Verified requests of every kind, answered by a stand-in for the assistant.
func TestSkillRequests(t *testing.T) {
	stub := func(q assistant.Question) (assistant.Answer, error) {
		ans := skatteverketAnswer
		ans.Language = q.Language
		return ans, nil
	}
	h := newHarness(t, stubAssistant(t), fixtureTime.Add(2*time.Second), stub)

	t.Run("launch", func(t *testing.T) {
		r := h.ask(fixture(t, "launch.json"))
		if want := text("en", msgWelcome); !strings.Contains(r.ssml(), escape(want)) {
			t.Errorf("SSML %q lacks the welcome %q", r.ssml(), want)
		}
		if r.ends() || r.Response.Reprompt == nil {
			t.Error("the session does not stay open with a reprompt")
		}
	})
	t.Run("question", func(t *testing.T) {
		before := len(h.questions())
		r := h.ask(fixture(t, "question_en.json"))
		want := "<speak><p>This is what Skatteverket says:</p><p>Bring a valid passport &amp; your &lt;residence permit&gt;.</p>" +
			"<p>The number has ten digits.</p><p>" + text("en", msgSourcesInApp) + "</p><p>" + text("en", msgAnother) + "</p></speak>"
		if r.ssml() != want {
			t.Errorf("SSML\n%s\nwant\n%s", r.ssml(), want)
		}
		if r.ends() || r.Response.Reprompt == nil {
			t.Error("the session does not stay open for a follow-up")
		}
		c := r.Response.Card
		if c == nil || c.Type != "Simple" {
			t.Fatalf("card %+v, want a Simple card", c)
		}
		if n := strings.Count(c.Content, "/personal-identity-number"); n != 1 {
			t.Errorf("card lists a page cited twice %d times:\n%s", n, c.Content)
		}
		for _, s := range []string{"[1, 3] Personal identity number | Skatteverket", "https://example.test/skatteverket/en/personal-identity-number",
			"Skatteverket, fetched 2026-11-20", "[2] Coordination number", "https://example.test/skatteverket/en/coordination-number"} {
			if !strings.Contains(c.Content, s) {
				t.Errorf("card content %q lacks %q", c.Content, s)
			}
		}
		if got := r.SessionAttributes[previousAttr]; got != "how do I get a personal identity number" {
			t.Errorf("session attribute %s = %q", previousAttr, got)
		}
		got := h.questions()[before]
		if want := (assistant.Question{Text: "how do I get a personal identity number", Language: "en"}); got != want {
			t.Errorf("asked %+v, want %+v", got, want)
		}
	})
	t.Run("follow-up", func(t *testing.T) {
		before := len(h.questions())
		r := h.ask(fixture(t, "followup_en.json"))
		got := h.questions()[before]
		want := assistant.Question{Text: "and what documents do I need to bring", Language: "en", Previous: "how do I get a personal identity number"}
		if got != want {
			t.Errorf("asked %+v, want %+v", got, want)
		}
		if a := r.SessionAttributes[previousAttr]; a != want.Text {
			t.Errorf("session attribute %s = %q, want the follow-up", previousAttr, a)
		}
	})
	t.Run("locales", func(t *testing.T) {
		for locale, lang := range map[string]string{"sv-SE": "sv", "en-US": "en", "en-IN": "en", "ar-SA": "ar", "uk-UA": "uk", "de-DE": "en", "": "en"} {
			before := len(h.questions())
			h.ask(edit(t, fixture(t, "question_en.json"), func(env map[string]any) { field(env, "request")["locale"] = locale }))
			if got := h.questions()[before].Language; got != lang {
				t.Errorf("locale %q: asked in %q, want %q", locale, got, lang)
			}
		}
	})
	t.Run("launch in Swedish", func(t *testing.T) {
		r := h.ask(edit(t, fixture(t, "launch.json"), func(env map[string]any) { field(env, "request")["locale"] = "sv-SE" }))
		if want := text("sv", msgWelcome); !strings.Contains(r.ssml(), want) {
			t.Errorf("SSML %q lacks %q", r.ssml(), want)
		}
	})
	t.Run("help", func(t *testing.T) {
		r := h.ask(fixture(t, "help.json"))
		if !strings.Contains(r.ssml(), escape(text("en", msgHelp))) || r.ends() {
			t.Errorf("help: %+v", r)
		}
		if r.SessionAttributes[previousAttr] == "" {
			t.Error("help forgot the conversation's topic")
		}
	})
	t.Run("stop", func(t *testing.T) {
		r := h.ask(fixture(t, "stop.json"))
		if !strings.Contains(r.ssml(), text("en", msgGoodbye)) || !r.ends() || r.Response.Reprompt != nil {
			t.Errorf("stop: %+v", r)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		r := h.ask(edit(t, fixture(t, "stop.json"), func(env map[string]any) { field(env, "request", "intent")["name"] = "AMAZON.CancelIntent" }))
		if !strings.Contains(r.ssml(), text("en", msgGoodbye)) || !r.ends() {
			t.Errorf("cancel: %+v", r)
		}
	})
	t.Run("fallback", func(t *testing.T) {
		r := h.ask(fixture(t, "fallback.json"))
		if !strings.Contains(r.ssml(), text("en", msgRephrase)) || r.ends() {
			t.Errorf("fallback: %+v", r)
		}
	})
	t.Run("no question in the slot", func(t *testing.T) {
		before := len(h.questions())
		r := h.ask(edit(t, fixture(t, "question_en.json"), func(env map[string]any) {
			delete(field(env, "request", "intent", "slots", "question"), "value")
		}))
		if !strings.Contains(r.ssml(), text("en", msgRephrase)) || r.ends() {
			t.Errorf("empty slot: %+v", r)
		}
		if len(h.questions()) != before {
			t.Error("the assistant was asked an empty question")
		}
	})
	t.Run("session ended", func(t *testing.T) {
		status, data := h.post(fixture(t, "session_ended.json"), nil)
		if status != http.StatusOK || strings.TrimSpace(string(data)) != `{"version":"1.0","response":{}}` {
			t.Errorf("session ended: %d %s", status, data)
		}
	})
}

func TestSkillSpeaksRefusalAndFailure(t *testing.T) {
	notCovered := "I don't know. The vetted agency sources I search do not cover this question, and I will not guess. Please ask Skatteverket."
	var fail atomic.Bool
	h := newHarness(t, stubAssistant(t), fixtureTime, func(q assistant.Question) (assistant.Answer, error) {
		if fail.Load() {
			return assistant.Answer{}, errors.New("database unavailable")
		}
		return assistant.Answer{Answer: notCovered, Language: q.Language, Citations: []assistant.Citation{}}, nil
	})
	r := h.ask(fixture(t, "question_en.json"))
	if !strings.Contains(r.ssml(), "<p>"+notCovered+"</p>") || strings.Contains(r.ssml(), text("en", msgSourcesInApp)) {
		t.Errorf("not covered: SSML %q", r.ssml())
	}
	if r.Response.Card != nil || r.ends() {
		t.Errorf("not covered: card %+v, ends %v", r.Response.Card, r.ends())
	}

	fail.Store(true)
	r = h.ask(fixture(t, "followup_en.json"))
	if !strings.Contains(r.ssml(), text("en", msgUnavailable)) || r.ends() {
		t.Errorf("failure: SSML %q, ends %v", r.ssml(), r.ends())
	}
	if got := r.SessionAttributes[previousAttr]; got != "how do I get a personal identity number" {
		t.Errorf("failure: topic %q, want the one before", got)
	}
}

// Requests not verifiably from Alexa for this skill, now, are refused before the assistant
// hears of them.
func TestSkillRefuses(t *testing.T) {
	body := fixture(t, "question_en.json")
	otherSkill := func(env map[string]any) {
		field(env, "context", "System", "application")["applicationId"] = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
		field(env, "session", "application")["applicationId"] = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
	}
	tests := []struct {
		name    string
		body    []byte
		headers func(http.Header)
		now     time.Time
		status  int
	}{
		{name: "150 s late", now: fixtureTime.Add(150 * time.Second), status: http.StatusOK},
		{name: "150 s early", now: fixtureTime.Add(-150 * time.Second), status: http.StatusOK},
		{name: "151 s late", now: fixtureTime.Add(151 * time.Second)},
		{name: "151 s early", now: fixtureTime.Add(-151 * time.Second)},
		{name: "an hour late", now: fixtureTime.Add(time.Hour)},
		{name: "forged signature", headers: func(h http.Header) { h.Set("Signature-256", sign(t, forgersKey(t), body)) }},
		{name: "signature of another body", headers: func(h http.Header) {
			h.Set("Signature-256", sign(t, signingKey(t), fixture(t, "launch.json")))
		}},
		{name: "body changed after signing", headers: func(h http.Header) {
			h.Set("Signature-256", sign(t, signingKey(t), bytes.Replace(body, []byte("personal"), []byte("Personal"), 1)))
		}},
		{name: "only the legacy SHA-1 signature", headers: func(h http.Header) {
			h.Del("Signature-256")
			h.Set("Signature", signSHA1(t, signingKey(t), body))
		}},
		{name: "no signature headers", headers: func(h http.Header) { h.Del("Signature-256"); h.Del("SignatureCertChainUrl") }},
		{name: "certificate over http", headers: func(h http.Header) {
			h.Set("SignatureCertChainUrl", strings.Replace(testChainURL, "https:", "http:", 1))
		}},
		{name: "certificate elsewhere", headers: func(h http.Header) {
			h.Set("SignatureCertChainUrl", "https://s3.amazonaws.com/echo.api/../other/echo-api-cert-12.pem")
		}},
		{name: "another skill", body: edit(t, body, otherSkill)},
		{name: "another skill in the session", body: edit(t, body, func(env map[string]any) {
			field(env, "session", "application")["applicationId"] = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
		})},
		{name: "no skill", body: edit(t, body, func(env map[string]any) {
			delete(env, "session")
			delete(field(env, "context", "System"), "application")
		})},
		{name: "no timestamp", body: edit(t, body, func(env map[string]any) { delete(field(env, "request"), "timestamp") })},
		{name: "timestamp as a number", body: edit(t, body, func(env map[string]any) { field(env, "request")["timestamp"] = fixtureTime.Unix() })},
		{name: "not JSON", body: []byte("hello")},
		{name: "too large", body: append(bytes.Repeat([]byte(" "), maxBody), body...), status: http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, stubAssistant(t), cmp.Or(tt.now, fixtureTime), func(q assistant.Question) (assistant.Answer, error) {
				return skatteverketAnswer, nil
			})
			b := tt.body
			if b == nil {
				b = body
			}
			status, data := h.post(b, tt.headers)
			want := cmp.Or(tt.status, http.StatusBadRequest)
			if status != want {
				t.Fatalf("status %d, want %d: %s", status, want, data)
			}
			if asked := len(h.questions()); want != http.StatusOK && asked != 0 {
				t.Fatalf("the assistant was asked %d questions", asked)
			}
		})
	}

	t.Run("GET", func(t *testing.T) {
		h := newHarness(t, stubAssistant(t), fixtureTime, nil)
		resp, err := http.Get(h.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost {
			t.Fatalf("GET: %s, Allow %q", resp.Status, resp.Header.Get("Allow"))
		}
	})
	t.Run("no application ID configured", func(t *testing.T) {
		h := newHarness(t, stubAssistant(t), fixtureTime, nil)
		h.skill.cfg.ApplicationID = ""
		if status, _ := h.post(body, nil); status != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", status)
		}
	})
}

func TestSpokenAnswer(t *testing.T) {
	t.Run("markers and whitespace", func(t *testing.T) {
		got := spokenAnswer("Intro:\n\n  One  sentence [1] and\nanother [2].\n\n\n\nLast [1,2] [3]")
		want := []string{"Intro:", "One sentence and another.", "Last"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
	t.Run("citation ranges and emphasis", func(t *testing.T) {
		got := spokenAnswer("Bring **your passport** [1–2].\n\n[3]\n\n# Fees [1, 3]")
		want := []string{"Bring your passport.", "Fees"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
	t.Run("too long", func(t *testing.T) {
		long := "Intro:\n\n" + strings.Repeat("A sentence & more. ", 1000)
		got := spokenAnswer(long)
		s := ssml(got...)
		if len(s) > maxSpokenAnswer+len("<speak></speak>") {
			t.Fatalf("%d bytes of SSML, budget %d", len(s), maxSpokenAnswer)
		}
		if last := got[len(got)-1]; !strings.HasSuffix(last, "more.") {
			t.Fatalf("cut mid-sentence: …%q", last[len(last)-20:])
		}
	})
	t.Run("one endless sentence", func(t *testing.T) {
		got := spokenAnswer(strings.Repeat("word ", 3000))
		if len(got) != 1 || !strings.HasSuffix(got[0], "word …") || len(ssml(got...)) > maxSpokenAnswer+len("<speak></speak>") {
			t.Fatalf("got %d paragraphs ending %q", len(got), got[len(got)-1][max(0, len(got[len(got)-1])-20):])
		}
	})
}

func TestTextsComplete(t *testing.T) {
	for _, lang := range retrieval.Languages {
		for key, en := range texts["en"] {
			got := texts[lang][key]
			if strings.TrimSpace(got) == "" {
				t.Errorf("%s: no %s", lang, key)
			}
			if lang != "en" && got == en {
				t.Errorf("%s: %s is the English text", lang, key)
			}
		}
	}
}

// Whatever the answer, the speech is well-formed SSML within Alexa's limit.
func FuzzSpokenAnswer(f *testing.F) {
	f.Add(skatteverketAnswer.Answer)
	f.Add("a <b> & c [1]\n\n\x00\xff\ufffe]]>")
	f.Fuzz(func(t *testing.T, answer string) {
		s := ssml(append(spokenAnswer(answer), text("en", msgSourcesInApp), text("en", msgAnother))...)
		if err := wellFormed(s); err != nil {
			t.Fatalf("SSML %q: %v", s, err)
		}
		if n := len([]rune(s)); n > 8000 {
			t.Fatalf("%d characters of SSML", n)
		}
	})
}
