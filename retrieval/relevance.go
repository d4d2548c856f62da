package retrieval

import (
	"context"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/nyisverige/lots/retrieval/store"
)

// coverage measures how much of a question a passage covers: the share of the question's
// content words, weighted by their rarity in the passage's language (BM25's idf), that the
// passage contains — as a word with the same stem, or a close spelling (a typo). Words the
// corpus never uses weigh most, so a question about something the sources never mention
// scores low whatever its common words match. It is the relevance threshold's measure for
// the lexical local embedder, whose cosine similarities say little in absolute terms.
type coverage struct {
	terms []weightedTerm
	total float64
}

type weightedTerm struct {
	stem   string
	grams  map[string]bool
	weight float64
}

// newCoverage weighs the question's content words with their document frequencies in lang.
func (s *Searcher) newCoverage(ctx context.Context, ix store.Index, question, lang string) (*coverage, error) {
	words, prefix := SearchTerms(question, lang)
	if len(words) == 0 {
		return &coverage{}, nil
	}
	stats, err := s.store.TermStats(ctx, ix, lang, words, prefix)
	if err != nil {
		return nil, err
	}
	c := &coverage{}
	for _, st := range stats {
		if !st.Indexed {
			continue
		}
		idf := math.Log(1 + (float64(st.N-st.DF)+0.5)/(float64(st.DF)+0.5))
		w := Normalize(st.Term)
		c.terms = append(c.terms, weightedTerm{stem: stem(w), grams: trigrams(w), weight: idf})
		c.total += idf
	}
	return c, nil
}

// of returns the covered share of the question, from 0 to 1, for one passage.
func (c *coverage) of(h store.Hit) float64 {
	if c.total == 0 {
		return 0
	}
	words := Words(Normalize(h.Title + " " + strings.Join(h.Headings, " ") + " " + h.Text))
	stems := make(map[string]bool, len(words))
	for _, w := range words {
		stems[stem(w)] = true
	}
	var fuzzy []map[string]bool // trigrams of the passage's distinct long words, made when first needed
	var covered float64
	for _, t := range c.terms {
		if stems[t.stem] {
			covered += t.weight
			continue
		}
		if len(t.grams) < 4 {
			continue
		}
		if fuzzy == nil {
			fuzzy = longWordGrams(words)
		}
		if fuzzyIn(t, fuzzy) {
			covered += t.weight
		}
	}
	return covered / c.total
}

// longWordGrams returns the trigram sets of the distinct words of five letters or more.
func longWordGrams(words []string) []map[string]bool {
	seen := make(map[string]bool, len(words))
	out := make([]map[string]bool, 0, len(words)/2)
	for _, w := range words {
		if seen[w] || utf8.RuneCountInString(w) < 5 {
			continue
		}
		seen[w] = true
		out = append(out, trigrams(w))
	}
	return out
}

// fuzzyIn reports whether a word of the passage is spelled closely enough to the term to be a
// typo of it: trigram Jaccard similarity of at least 0.5.
func fuzzyIn(t weightedTerm, words []map[string]bool) bool {
	for _, g := range words {
		// Jaccard 0.5 is out of reach when one set is more than twice the other.
		if len(g) > 2*len(t.grams) || len(t.grams) > 2*len(g) {
			continue
		}
		inter := 0
		for x := range g {
			if t.grams[x] {
				inter++
			}
		}
		if float64(inter)/float64(len(g)+len(t.grams)-inter) >= 0.5 {
			return true
		}
	}
	return false
}

// stem cuts a word to its first five letters (after an Arabic article): crude, but the same
// for every language.
func stem(w string) string {
	w = BaseForm(w)
	if utf8.RuneCountInString(w) <= 5 {
		return w
	}
	return string([]rune(w)[:5])
}

func trigrams(w string) map[string]bool {
	r := []rune(" " + w + " ")
	out := make(map[string]bool, len(r))
	for i := 0; i+3 <= len(r); i++ {
		out[string(r[i:i+3])] = true
	}
	return out
}

// RuleSimilarity is how alike a question must be to a steward's rule's question (by
// QuestionSimilarity) for the rule to apply to it.
const RuleSimilarity = 0.55

// QuestionSimilarity says how alike two questions are, from 0 to 1: the share of their words,
// weighted by length with function words damped, that the other question has too — with the
// same stem, or spelled closely enough to be a typo. Questions that differ only in wording
// ("How can I get…" for "How do I get…") score high; questions on another topic that share the
// question words ("How do I get an ID card?") score low.
func QuestionSimilarity(a, b string) float64 {
	wa, wb := ruleWords(a), ruleWords(b)
	var matched, total float64
	for _, pair := range [2][2][]questionWord{{wa, wb}, {wb, wa}} {
		for _, w := range pair[0] {
			total += w.weight
			if w.in(pair[1]) {
				matched += w.weight
			}
		}
	}
	if total == 0 {
		return 0
	}
	return matched / total
}

type questionWord struct {
	stem   string
	grams  map[string]bool
	weight float64
}

// ruleWords are a question's distinct words, weighed by their length and wordWeight.
func ruleWords(text string) []questionWord {
	seen := map[string]bool{}
	var out []questionWord
	for _, w := range Words(Normalize(text)) {
		w = BaseForm(w)
		if seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, questionWord{stem: stem(w), grams: trigrams(w), weight: float64(utf8.RuneCountInString(w)) * wordWeight(w)})
	}
	return out
}

// in reports whether one of words has w's stem or is spelled closely to it (trigram Jaccard of
// at least 0.5, for words of two letters or more).
func (w questionWord) in(words []questionWord) bool {
	for _, o := range words {
		if o.stem == w.stem {
			return true
		}
		if len(w.grams) < 4 || len(o.grams) < 4 {
			continue
		}
		inter := 0
		for g := range w.grams {
			if o.grams[g] {
				inter++
			}
		}
		if float64(inter)/float64(len(w.grams)+len(o.grams)-inter) >= 0.5 {
			return true
		}
	}
	return false
}

// stewardRules are what stewards decided for questions like the one searched: passages never to
// give, and passages to give first.
type stewardRules struct {
	suppressed map[int64]bool
	pinned     []store.Hit
	applied    []int64 // the rules behind them
}

// rulesFor finds the rules whose question is like q's and the passages of ix they point at.
func (s *Searcher) rulesFor(ctx context.Context, ix store.Index, q Query, vec []float32) (stewardRules, error) {
	var r stewardRules
	all, err := s.store.Rules(ctx, q.Language)
	if err != nil || len(all) == 0 {
		return r, err
	}
	var matched []store.Rule
	action := map[int64]string{}
	for _, rule := range all {
		if QuestionSimilarity(q.Text, rule.Question) >= RuleSimilarity {
			matched = append(matched, rule)
			action[rule.ID] = rule.Action
		}
	}
	if len(matched) == 0 {
		return r, nil
	}
	hits, err := s.store.RulePassages(ctx, ix, vec, matched)
	if err != nil {
		return r, err
	}
	r.suppressed = map[int64]bool{}
	used := map[int64]bool{}
	for _, h := range hits {
		if action[h.RuleID] == store.RuleSuppress {
			r.suppressed[h.ChunkID] = true
			used[h.RuleID] = true
		}
	}
	pinned := map[int64]bool{}
	for _, h := range hits {
		if action[h.RuleID] != store.RulePin || r.suppressed[h.ChunkID] || pinned[h.ChunkID] ||
			(q.TranslationGroup != "" && h.TranslationGroup != q.TranslationGroup) ||
			(len(q.Agencies) > 0 && !slices.Contains(q.Agencies, h.Agency)) {
			continue
		}
		pinned[h.ChunkID] = true
		used[h.RuleID] = true
		r.pinned = append(r.pinned, h.Hit)
	}
	for _, rule := range matched {
		if used[rule.ID] {
			r.applied = append(r.applied, rule.ID)
		}
	}
	return r, nil
}

// search runs a hybrid search without the suppressed passages, asking for as many more as
// there are, so the caller still gets its limit.
func (r stewardRules) search(ctx context.Context, st *store.Store, q store.SearchQuery) ([]store.Hit, error) {
	if len(r.suppressed) == 0 {
		return st.SearchHybrid(ctx, q)
	}
	limit := q.Limit
	q.Limit += len(r.suppressed)
	hits, err := st.SearchHybrid(ctx, q)
	if err != nil {
		return nil, err
	}
	hits = slices.DeleteFunc(hits, func(h store.Hit) bool { return r.suppressed[h.ChunkID] })
	return hits[:min(limit, len(hits))], nil
}

// apply puts the pinned passages first: a steward vouched for them, so the result is confident.
func (r stewardRules) apply(res Result, q Query) Result {
	res.Rules = r.applied
	if len(r.pinned) == 0 {
		return res
	}
	pinned := make(map[int64]bool, len(r.pinned))
	for _, h := range r.pinned {
		pinned[h.ChunkID] = true
	}
	hits := append(slices.Clone(r.pinned), slices.DeleteFunc(res.Hits, func(h store.Hit) bool { return pinned[h.ChunkID] })...)
	res.Hits = hits[:min(q.Limit, len(hits))]
	res.Confident = true
	res.Fallback = res.Hits[0].Language != q.Language
	return res
}
