package retrieval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/nyisverige/lots/retrieval/store"
)

// Languages are the languages Lots supports, in the order its pickers list them.
var Languages = []string{"sv", "en", "ar", "fa", "so", "ti", "uk"}

// FallbackLanguages are searched, in order, when the asker's language has no page on a topic.
var FallbackLanguages = []string{"sv", "en"}

// stemmed are the languages PostgreSQL has a stemmer for; the others match word prefixes.
var stemmed = map[string]bool{"sv": true, "en": true, "ar": true}

// ErrNoIndex means nothing has been ingested yet.
var ErrNoIndex = errors.New("nothing is indexed yet: run lots ingest")

// Searcher finds passages for a question in the live index.
type Searcher struct {
	store    *store.Store
	embedder Embedder
	log      *slog.Logger
	minSim   float64
}

// NewSearcher returns a Searcher. minSimilarity is the cosine similarity the best passage must
// reach for the answer to count as found; it depends on the embedder.
func NewSearcher(st *store.Store, e Embedder, minSimilarity float64, log *slog.Logger) *Searcher {
	return &Searcher{store: st, embedder: e, log: log, minSim: minSimilarity}
}

// Query is a question to search for.
type Query struct {
	Text             string
	Language         string   // the asker's language
	Agencies         []string // restrict to these agencies; none means all
	TranslationGroup string   // restrict to one translation group (a follow-up on a known page)
	Limit            int      // passages wanted; default 5
}

// Result is what a search found.
type Result struct {
	Hits      []store.Hit
	Confident bool // the best passage clears the relevance threshold
	Fallback  bool // the passages are in another language: the asker's language has no page on this
}

// Search looks in the asker's language first. When that finds nothing relevant it searches the
// other languages; if the best passage's translation group has a page in the asker's language
// it answers from that page, otherwise from the Swedish or English page of the group.
func (s *Searcher) Search(ctx context.Context, q Query) (Result, error) {
	if q.Limit <= 0 {
		q.Limit = 5
	}
	ix, err := s.store.LiveIndex(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return Result{}, ErrNoIndex
	}
	if err != nil {
		return Result{}, err
	}
	if ix.Embedder != s.embedder.Name() || ix.Dimensions != s.embedder.Dimensions() {
		return Result{}, fmt.Errorf("search: live index %d was built by %s, configured embedder is %s: %w",
			ix.ID, ix.Embedder, s.embedder.Name(), store.ErrEmbedderMismatch)
	}
	vecs, err := s.embedder.Embed(ctx, []string{q.Text})
	if err != nil {
		return Result{}, fmt.Errorf("search: %w", err)
	}
	base := store.SearchQuery{Index: ix, Vector: vecs[0], Agencies: q.Agencies, TranslationGroup: q.TranslationGroup, Limit: q.Limit}

	own := base
	own.Languages = []string{q.Language}
	own.Terms, own.Prefix = SearchTerms(q.Text, q.Language)
	own.TermsLanguage = q.Language
	hits, err := s.store.SearchHybrid(ctx, own)
	if err != nil {
		return Result{}, err
	}
	if s.relevant(hits) {
		return Result{Hits: hits, Confident: true}, nil
	}

	// Nothing relevant in the asker's language: the topic may only be published in other
	// languages, or the question may name it with a term from another language.
	others := base
	others.Languages = slices.DeleteFunc(slices.Clone(Languages), func(l string) bool { return l == q.Language })
	others.Terms, others.Prefix = SearchTerms(q.Text, "")
	cross, err := s.store.SearchHybrid(ctx, others)
	if err != nil {
		return Result{}, err
	}
	if !s.relevant(cross) || bestSimilarity(cross) <= bestSimilarity(hits) {
		return Result{Hits: hits}, nil
	}
	group := cross[0].TranslationGroup
	same := own
	same.TranslationGroup = group
	inOwn, err := s.store.SearchHybrid(ctx, same)
	if err != nil {
		return Result{}, err
	}
	if len(inOwn) > 0 {
		s.log.DebugContext(ctx, "answered from the asker's page of a group found in another language", "group", group)
		return Result{Hits: inOwn, Confident: true}, nil
	}
	for _, lang := range FallbackLanguages {
		fb := others
		fb.Languages = []string{lang}
		fb.TranslationGroup = group
		fb.Terms, fb.Prefix = SearchTerms(q.Text, lang)
		fb.TermsLanguage = lang
		fbHits, err := s.store.SearchHybrid(ctx, fb)
		if err != nil {
			return Result{}, err
		}
		if len(fbHits) > 0 {
			return Result{Hits: fbHits, Confident: true, Fallback: true}, nil
		}
	}
	return Result{Hits: cross, Confident: true, Fallback: true}, nil
}

func (s *Searcher) relevant(hits []store.Hit) bool {
	return bestSimilarity(hits) >= s.minSim
}

func bestSimilarity(hits []store.Hit) float64 {
	best := math.Inf(-1)
	for _, h := range hits {
		best = max(best, h.Similarity)
	}
	return best
}

// SearchTerms picks the words of a question worth matching in full text. For languages that
// PostgreSQL stems, words are passed whole; for the others (and for lang "" — any language)
// long words are cut to a stem-like prefix and matched as prefixes, which catches most
// inflected forms without a stemmer.
func SearchTerms(text, lang string) (terms []string, prefix bool) {
	prefix = !stemmed[lang]
	seen := make(map[string]bool)
	for _, w := range Words(strings.ToLower(text)) {
		if wordWeight(Normalize(w)) < 0.5 {
			continue
		}
		if prefix {
			if n := utf8.RuneCountInString(w); n >= 6 {
				w = string([]rune(w)[:max(5, (n*3+3)/4)])
			}
		}
		if !seen[w] {
			seen[w] = true
			terms = append(terms, w)
		}
		if len(terms) == 32 {
			break
		}
	}
	return terms, prefix
}
