// Package assistant answers questions from the vetted sources: it detects the question's
// language, retrieves passages, and composes an answer that quotes or paraphrases them with
// numbered citations — or says plainly that the sources do not cover the question.
package assistant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
)

// Citation is a numbered reference from an answer to the passage it rests on. Its JSON form is
// part of the documented contract of `lots ask --json` and the chat protocol.
type Citation struct {
	N        int    `json:"n"`
	Title    string `json:"title"`
	URL      string `json:"url"`
	Agency   string `json:"agency"`
	Language string `json:"language"`
	Passage  string `json:"passage"`
	Fetched  string `json:"fetched"` // date the page was fetched, YYYY-MM-DD
}

// Answer is Lots' reply to one question.
type Answer struct {
	Answer    string     `json:"answer"`
	Language  string     `json:"language"`
	Answered  bool       `json:"answered"` // false when the sources do not cover the question
	Citations []Citation `json:"citations"`
	Mode      string     `json:"mode"` // "extractive" or "generative"
	// Retrieved are the passages the search returned, best first, for evaluation; not part of
	// the JSON contract.
	Retrieved []store.Hit `json:"-"`
	// Coverage is how much of the question the best passage covers (0 to 1), for evaluation.
	Coverage float64 `json:"-"`
}

// Question is what the asker asked.
type Question struct {
	Text     string
	Language string // the asker's chosen language; detected from Text when empty
	Previous string // the previous question of the conversation, if any: a follow-up's topic
}

// Generator writes an answer from retrieved passages with a language model, passing each piece
// of text to onDelta (which may be nil) as it arrives. The answer must cite passages by number;
// Assistant checks the citations.
type Generator interface {
	Generate(ctx context.Context, question, language string, passages []store.Hit, onDelta func(string)) (string, error)
}

// StreamFunc receives an answer as it is written: the next piece of text, or reset when the text
// so far must be dropped (a model's answer failed its checks and the extractive one follows).
type StreamFunc func(delta string, reset bool)

// Assistant answers questions.
type Assistant struct {
	searcher  *retrieval.Searcher
	generator Generator // nil: extractive answers only
	messages  *Messages
	log       *slog.Logger
	cfg       Config
}

// Config tunes answering.
type Config struct {
	MaxCitations int           // passages quoted or given to the model; default 3
	GenerateTime time.Duration // the model's time before the extractive answer is used; default 20s
	DefaultLang  string        // when the question's language cannot be told; default "sv"
}

// standaloneCoverage is how much of a question the passages must cover for it to count as a new
// topic rather than a follow-up (calibrated on the follow-up cases of the evaluation sets).
const standaloneCoverage = 0.8

// ErrEmptyQuestion is returned for a question with no words.
var ErrEmptyQuestion = errors.New("the question is empty")

// MaxQuestionLength bounds a question, in bytes.
const MaxQuestionLength = 2000

// New returns an Assistant. gen may be nil for extractive answers only.
func New(s *retrieval.Searcher, gen Generator, m *Messages, log *slog.Logger, cfg Config) *Assistant {
	if cfg.MaxCitations <= 0 {
		cfg.MaxCitations = 3
	}
	if cfg.GenerateTime <= 0 {
		cfg.GenerateTime = 20 * time.Second
	}
	if cfg.DefaultLang == "" {
		cfg.DefaultLang = "sv"
	}
	return &Assistant{searcher: s, generator: gen, messages: m, log: log, cfg: cfg}
}

// Messages are the assistant's own sentences in every language.
func (a *Assistant) Messages() *Messages { return a.messages }

// Answer answers one question.
func (a *Assistant) Answer(ctx context.Context, q Question) (Answer, error) {
	return a.Stream(ctx, q, nil)
}

// Stream answers one question, passing the text to fn (which may be nil) as it is written.
func (a *Assistant) Stream(ctx context.Context, q Question, fn StreamFunc) (Answer, error) {
	if fn == nil {
		fn = func(string, bool) {}
	}
	text := strings.TrimSpace(q.Text)
	if len(retrieval.Words(text)) == 0 {
		return Answer{}, ErrEmptyQuestion
	}
	if len(text) > MaxQuestionLength {
		return Answer{}, fmt.Errorf("the question is longer than %d bytes", MaxQuestionLength)
	}
	lang := q.Language
	if !slices.Contains(retrieval.Languages, lang) {
		lang = a.detect(text)
	}
	// One index version for the whole question, its follow-up search included, even when a
	// steward publishes another meanwhile; and one lookup of the live version.
	searcher, err := a.searcher.Pinned(ctx)
	if err != nil {
		return Answer{}, fmt.Errorf("answer: %w", err)
	}
	res, err := searcher.Search(ctx, retrieval.Query{Text: text, Language: lang, Limit: 8})
	if err != nil {
		return Answer{}, fmt.Errorf("answer: %w", err)
	}
	if prev := strings.TrimSpace(q.Previous); prev != "" {
		// A follow-up ("and what do I bring?") says too little alone: it leans on the topic of
		// the question before it. A question that the passages cover well on its own is a new
		// topic, and is not dragged back to the last one.
		withTopic, err := searcher.Search(ctx, retrieval.Query{Text: prev + "\n" + text, Language: lang, Limit: 8})
		if err != nil {
			return Answer{}, fmt.Errorf("answer: %w", err)
		}
		if withTopic.Confident && (!res.Confident || res.Coverage < standaloneCoverage) {
			res = withTopic
		}
	}
	ans := a.compose(ctx, text, lang, res, fn)
	ans.Retrieved, ans.Coverage = res.Hits, res.Coverage
	return ans, nil
}

func (a *Assistant) compose(ctx context.Context, text, lang string, res retrieval.Result, fn StreamFunc) Answer {
	if !res.Confident || len(res.Hits) == 0 {
		ans := a.notCovered(lang, res)
		fn(ans.Answer, false)
		return ans
	}
	passages := a.choose(res.Hits)
	if a.generator != nil {
		streamed := false
		ans, err := a.generate(ctx, text, lang, passages, res.Fallback, func(d string) {
			streamed = true
			fn(d, false)
		})
		if err == nil {
			return ans
		}
		if streamed {
			fn("", true)
		}
		if errors.Is(err, ErrModelNotCovered) {
			ans := a.notCovered(lang, res)
			fn(ans.Answer, false)
			return ans
		}
		a.log.WarnContext(ctx, "generative answer failed; answering extractively", "err", err)
	}
	return a.extractive(text, lang, passages, res.Fallback, fn)
}

// detect tells the question's language, or the default when it has no letters of any supported script.
func (a *Assistant) detect(text string) string {
	// Even an unsure guess among the supported languages beats the default: a short question's
	// script and words usually do tell. The asker can always choose the language instead.
	if lang, _ := retrieval.DetectLanguage(text); lang != "" {
		return lang
	}
	return a.cfg.DefaultLang
}

// choose keeps the best passages: the top one, more of the same page, and passages of other
// pages only when they are nearly as close to the question.
func (a *Assistant) choose(hits []store.Hit) []store.Hit {
	top := hits[0]
	out := []store.Hit{top}
	for _, h := range hits[1:] {
		if len(out) == a.cfg.MaxCitations {
			break
		}
		if h.PageID == top.PageID || h.Similarity >= top.Similarity*0.95 {
			out = append(out, h)
		}
	}
	return out
}

// extractive quotes the most relevant sentences of the chosen passages, verbatim, with the
// number of their page, passing each paragraph to fn as it is composed. Passages of one page
// share one citation, so a source is listed once.
func (a *Assistant) extractive(question, lang string, passages []store.Hit, fallback bool, fn StreamFunc) Answer {
	var b strings.Builder
	emit := func(s string) {
		b.WriteString(s)
		fn(s, false)
	}
	if fallback {
		emit(a.onlyAvailableIn(lang, passages))
	}
	emit(a.messages.Text(lang, MsgFromAgency, "{agency}", passages[0].Agency))
	pages := byPage(passages)
	for i, page := range pages {
		for _, p := range page {
			emit(fmt.Sprintf("\n\n%s [%d]", quote(question, p.Text, 3), i+1))
		}
	}
	cites := make([]Citation, len(pages))
	for i, page := range pages {
		cites[i] = citation(i+1, page)
	}
	return Answer{Answer: b.String(), Language: lang, Answered: true, Citations: cites, Mode: "extractive"}
}

// onlyAvailableIn is the notice that opens an answer from passages in another language than
// the asker's (the fallback languages'), and the paragraph break after it.
func (a *Assistant) onlyAvailableIn(lang string, passages []store.Hit) string {
	return a.messages.Text(lang, MsgOnlyAvailableIn, "{language}", a.messages.LanguageName(lang, passages[0].Language)) + "\n\n"
}

// byPage groups passages by their page, in the order pages first appear.
func byPage(passages []store.Hit) [][]store.Hit {
	var pages [][]store.Hit
	index := map[string]int{}
	for _, p := range passages {
		i, ok := index[p.URL]
		if !ok {
			i = len(pages)
			index[p.URL] = i
			pages = append(pages, nil)
		}
		pages[i] = append(pages[i], p)
	}
	return pages
}

// title is a page's title without the site's name at its end ("… | Skatteverket"): the agency is
// named beside it anyway.
func title(p store.Hit) string { return strings.TrimSuffix(p.Title, " | "+p.Agency) }

// citation describes one page by the passages quoted from it.
func citation(n int, passages []store.Hit) Citation {
	p := passages[0]
	texts := make([]string, len(passages))
	for i, q := range passages {
		texts[i] = q.Text
	}
	return Citation{N: n, Title: title(p), URL: p.URL, Agency: p.Agency, Language: p.Language,
		Passage: strings.Join(texts, "\n\n"), Fetched: p.FetchedAt.UTC().Format("2006-01-02")}
}

// notCovered says honestly that the sources do not answer, naming the agency most likely to know
// when the nearest passages share some of the question's words and point to one agency.
func (a *Assistant) notCovered(lang string, res retrieval.Result) Answer {
	text := a.messages.Text(lang, MsgNotCoveredGeneral)
	if agency := likelyAgency(res.Hits); agency != "" && res.Coverage >= 0.15 {
		text = a.messages.Text(lang, MsgNotCovered, "{agency}", agency)
	}
	return Answer{Answer: text, Language: lang, Answered: false, Citations: []Citation{}, Mode: "extractive"}
}

// likelyAgency is the agency of most of the nearest passages that share words with the question,
// if at least two of them agree.
func likelyAgency(hits []store.Hit) string {
	counts := map[string]int{}
	best, bestN := "", 0
	for _, h := range hits[:min(5, len(hits))] {
		if h.TextRank == 0 {
			continue // close only by vector: no word of the question in it
		}
		counts[h.Agency]++
		if counts[h.Agency] > bestN {
			best, bestN = h.Agency, counts[h.Agency]
		}
	}
	if bestN >= 2 {
		return best
	}
	return ""
}

func citations(passages []store.Hit) []Citation {
	out := make([]Citation, len(passages))
	for i, p := range passages {
		out[i] = citation(i+1, []store.Hit{p})
	}
	return out
}
