package process

import (
	"context"
	"fmt"
	"log/slog"
	"unicode/utf8"
)

// Match is a process a question wishes to start.
type Match struct {
	Process string  `json:"process"`
	Score   float64 `json:"score"`  // 0–1; the model's answers score 1
	Reason  string  `json:"reason"` // which keyword, example or model decided
}

// Detector finds "I want to start X" in a question, in any supported language: a start cue ("I want
// to", "ansöka", "أريد"…) together with one of a process's keywords or close to one of its examples,
// or, when a model is configured, the model's choice among the catalog's ids.
// A Detector is safe for concurrent use.
type Detector struct {
	procs []procIntent
	cues  []phrase
	// cueWords are the words of every cue; examples are compared without them, since every wish has
	// them ("I want to apply for sfi" and "I want to apply for a residence permit" share only those).
	cueWords map[string]bool
	model    *modelClassifier
	log      *slog.Logger
}

type procIntent struct {
	id       string
	keywords []phrase
	examples []phrase
}

// phrase is a keyword, example or cue as folded words, with the text and language it came from.
type phrase struct {
	words []string
	text  string
	lang  string
}

// minExampleOverlap is the share of an example's weighted words a question must contain to count
// as that example.
const minExampleOverlap = 0.75

// minScore is the score a match needs to be offered.
const minScore = 0.6

// NewDetector builds a keyword detector from the catalog's intent keywords and examples.
func NewDetector(c Catalog) *Detector {
	d := &Detector{log: slog.New(slog.DiscardHandler), cueWords: map[string]bool{}}
	for lang, cues := range startCues {
		for _, cue := range cues {
			p := newPhrase(cue, lang)
			d.cues = append(d.cues, p)
			for _, w := range p.words {
				d.cueWords[w] = true
			}
		}
	}
	for _, def := range c.List() {
		p := procIntent{id: def.ID}
		for _, lang := range Languages {
			for _, k := range def.Intent.Keywords[lang] {
				p.keywords = append(p.keywords, newPhrase(k, lang))
			}
			for _, e := range def.Intent.Examples[lang] {
				p.examples = append(p.examples, newPhrase(e, lang))
			}
		}
		d.procs = append(d.procs, p)
	}
	return d
}

func newPhrase(s, lang string) phrase { return phrase{words: foldWords(s), text: s, lang: lang} }

// Detect reports the process the text wishes to start, if any. lang is the asker's language; every
// language's keywords are tried, since people mix them. With a model configured, the model decides,
// and any failure of it (error, time-out, an answer that is not a known id) falls back to keywords.
func (d *Detector) Detect(ctx context.Context, text, lang string) (Match, bool) {
	if d.model != nil {
		m, ok, err := d.model.classify(ctx, text)
		if err == nil {
			return m, ok
		}
		d.log.WarnContext(ctx, "intent model failed; using keywords", "err", err, "lang", lang)
	}
	return d.detectKeywords(text)
}

func (d *Detector) detectKeywords(text string) (Match, bool) {
	words := foldWords(text)
	cueAt, cue := -1, phrase{}
	for _, c := range d.cues {
		if at := find(words, c.words); at >= 0 && (cueAt < 0 || at < cueAt) {
			cueAt, cue = at, c
		}
	}
	if cueAt < 0 {
		return Match{}, false
	}
	var best Match
	bestDist := 1 << 30
	for _, p := range d.procs {
		score, dist, reason := p.score(words, cueAt, d.cueWords)
		if score > best.Score || (score == best.Score && score > 0 && dist < bestDist) {
			best = Match{Process: p.id, Score: score, Reason: fmt.Sprintf("%s; start cue %q (%s)", reason, cue.text, cue.lang)}
			bestDist = dist
		}
	}
	if best.Score < minScore {
		return Match{}, false
	}
	return best, true
}

// score rates how well the words name the process: a keyword, or its closest example. dist is how far the keyword lies from the start cue, to choose
// between two processes a question names ("an ID card; I have a personal identity number").
func (p procIntent) score(words []string, cueAt int, cueWords map[string]bool) (float64, int, string) {
	score, dist, reason := 0.0, 1<<30, ""
	for _, k := range p.keywords {
		at := find(words, k.words)
		if at < 0 {
			continue
		}
		const s = 0.9 // every keyword names the process; between processes, nearness to the cue decides
		dd := at - cueAt
		if dd < 0 {
			dd = -dd + 5 // a keyword after the cue is what the wish is about
		}
		if s > score || (s == score && dd < dist) {
			score, dist, reason = s, dd, fmt.Sprintf("keyword %q (%s)", k.text, k.lang)
		}
	}
	for _, e := range p.examples {
		if o := overlap(words, e.words, cueWords); o >= minExampleOverlap && 0.9*o > score {
			score, reason = 0.9*o, fmt.Sprintf("example %q (%s)", e.text, e.lang)
		}
	}
	return score, dist, reason
}

// find is the index in words where the phrase starts, or -1. A phrase word of four letters or more
// matches a word that begins with it (inflections: "personnumret", "registering").
func find(words, ph []string) int {
	if len(ph) == 0 {
		return -1
	}
outer:
	for i := 0; i+len(ph) <= len(words); i++ {
		for j, w := range ph {
			if !wordMatches(words[i+j], w) {
				continue outer
			}
		}
		return i
	}
	return -1
}

func wordMatches(word, want string) bool {
	if word == want {
		return true
	}
	return utf8.RuneCountInString(want) >= 4 && len(word) > len(want) && word[:len(want)] == want
}

// overlap is the weighted share of the example's words, cue words aside, found in the question;
// short words (mostly function words in every supported language) weigh less.
func overlap(words, example []string, skip map[string]bool) float64 {
	var total, hit float64
	for _, w := range example {
		if skip[w] {
			continue
		}
		weight := 1.0
		switch n := utf8.RuneCountInString(w); {
		case n <= 2:
			weight = 0.2
		case n == 3:
			weight = 0.5
		}
		total += weight
		for _, t := range words {
			if wordMatches(t, w) {
				hit += weight
				break
			}
		}
	}
	if total == 0 {
		return 0
	}
	return hit / total
}
