package retrieval

import (
	"context"
	"math"
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
