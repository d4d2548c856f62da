package alexa

import (
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/ingest/ingesttest"
	"github.com/nyisverige/lots/retrieval"
)

// citationMarker matches a numbered citation as an answer writes it: [1], [1, 2], [1–3].
var citationMarker = regexp.MustCompile(`\[\d+(?:\s*[,–-]\s*\d+)*\]`)

// The captured-format requests under testdata, signed and verified, answered by the real
// assistant from the crawled demo corpus.
func TestSkillAnswersFromDemoCorpus(t *testing.T) {
	st := ingesttest.DemoStore(t)
	log := slog.New(slog.DiscardHandler)
	msgs, err := assistant.LoadMessages(retrieval.Languages)
	if err != nil {
		t.Fatal(err)
	}
	searcher := retrieval.NewSearcher(st, retrieval.NewLocal(0), retrieval.DefaultThresholds["local"], log)
	asst := assistant.New(searcher, nil, msgs, log, assistant.Config{})
	h := newHarness(t, asst, fixtureTime.Add(3*time.Second), nil)

	// speaks checks that the answer names the agency, in the language's own words, and cites no
	// numbers aloud; and that its card links the page.
	speaks := func(t *testing.T, r alexaResponse, lang, page string) {
		t.Helper()
		intro := msgs.Text(lang, assistant.MsgFromAgency, "{agency}", "Skatteverket")
		if !strings.Contains(r.ssml(), "<p>"+escape(intro)+"</p>") {
			t.Errorf("SSML %q does not say %q", r.ssml(), intro)
		}
		if citationMarker.MatchString(r.ssml()) {
			t.Errorf("SSML %q speaks citation markers", r.ssml())
		}
		if !strings.Contains(r.ssml(), escape(text(lang, msgSourcesInApp))) {
			t.Errorf("SSML %q does not point to the sources", r.ssml())
		}
		if r.ends() || r.Response.Reprompt == nil {
			t.Error("the session does not stay open for a follow-up")
		}
		c := r.Response.Card
		if c == nil || !strings.Contains(c.Content, page) || !strings.Contains(c.Title, msgs.Text(lang, assistant.MsgSources)) {
			t.Errorf("card %+v does not list %s", c, page)
		}
	}

	t.Run("English", func(t *testing.T) {
		r := h.ask(fixture(t, "question_en.json"))
		speaks(t, r, "en", "/skatteverket/en/personal-identity-number")
	})
	t.Run("Swedish", func(t *testing.T) {
		r := h.ask(fixture(t, "question_sv.json"))
		speaks(t, r, "sv", "/skatteverket/sv/personal-identity-number")
		if !strings.Contains(r.ssml(), text("sv", msgAnother)) {
			t.Errorf("SSML %q does not ask for another question in Swedish", r.ssml())
		}
	})
	t.Run("question word taken by a carrier phrase", func(t *testing.T) {
		// Alexa leaves an utterance's carrier phrase ("how {question}") out of the slot.
		r := h.ask(edit(t, fixture(t, "question_en.json"), func(env map[string]any) {
			field(env, "request", "intent", "slots", "question")["value"] = "do I get a personal identity number"
		}))
		speaks(t, r, "en", "/skatteverket/en/personal-identity-number")
	})
	t.Run("follow-up", func(t *testing.T) {
		r := h.ask(fixture(t, "followup_en.json"))
		speaks(t, r, "en", "/skatteverket/en/personal-identity-number")
	})
	t.Run("not covered", func(t *testing.T) {
		r := h.ask(edit(t, fixture(t, "question_en.json"), func(env map[string]any) {
			field(env, "request", "intent", "slots", "question")["value"] = "what is a good recipe for swedish cinnamon buns"
		}))
		if !strings.Contains(r.ssml(), "I don't know") {
			t.Errorf("SSML %q is not the honest refusal", r.ssml())
		}
		if r.Response.Card != nil || r.ends() {
			t.Errorf("not covered: card %+v, ends %v", r.Response.Card, r.ends())
		}
	})
}
