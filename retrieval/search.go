package retrieval

import (
	"cmp"
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
	limits   Thresholds
}

// Thresholds decide when a passage is relevant enough to answer from: when it covers enough of
// the question's words, or when its vector is close enough. Both depend on the embedder.
type Thresholds struct {
	MinCoverage   float64 // share of the question's idf-weighted content words, 0 to 1
	MinSimilarity float64 // cosine similarity; 0 disables this criterion
}

// DefaultThresholds are the thresholds per kind of embedder ("local", "openai"), calibrated on
// the demo corpus's evaluation sets. The local embedder's cosine similarities say little in
// absolute terms, so only a very close vector counts on its own.
var DefaultThresholds = map[string]Thresholds{
	"local":  {MinCoverage: 0.3, MinSimilarity: 0.7},
	"openai": {MinCoverage: 0.3, MinSimilarity: 0.45},
}

// NewSearcher returns a Searcher.
func NewSearcher(st *store.Store, e Embedder, limits Thresholds, log *slog.Logger) *Searcher {
	return &Searcher{store: st, embedder: e, log: log, limits: limits}
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
	Confident bool    // the best passage clears the relevance threshold
	Fallback  bool    // the passages are in another language: the asker's language has no page on this
	Coverage  float64 // how much of the question the best passage covers, 0 to 1
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
	ownRes, err := s.judge(ctx, ix, q.Text, q.Language, hits)
	if err != nil || ownRes.Confident {
		return ownRes, err
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
	if len(cross) == 0 {
		return ownRes, nil
	}
	crossRes, err := s.judge(ctx, ix, q.Text, cross[0].Language, cross)
	if err != nil {
		return Result{}, err
	}
	if !crossRes.Confident {
		return ownRes, nil
	}
	group := crossRes.Hits[0].TranslationGroup
	same := own
	same.TranslationGroup = group
	inOwn, err := s.store.SearchHybrid(ctx, same)
	if err != nil {
		return Result{}, err
	}
	if len(inOwn) > 0 {
		s.log.DebugContext(ctx, "answered from the asker's page of a group found in another language", "group", group)
		return Result{Hits: inOwn, Confident: true, Coverage: crossRes.Coverage}, nil
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
			return Result{Hits: fbHits, Confident: true, Fallback: true, Coverage: crossRes.Coverage}, nil
		}
	}
	crossRes.Fallback = true
	return crossRes, nil
}

// judge orders passages by how much of the question they cover (fusion rank breaks ties) and
// decides whether the best is relevant enough to answer from.
func (s *Searcher) judge(ctx context.Context, ix store.Index, question, lang string, hits []store.Hit) (Result, error) {
	if len(hits) == 0 {
		return Result{}, nil
	}
	cov, err := s.newCoverage(ctx, ix, question, lang)
	if err != nil {
		return Result{}, err
	}
	keys := make(map[int64]float64, len(hits))
	for _, h := range hits {
		// What the passage covers, plus what its page's title covers: a page whose title names
		// the question's subject comes first (the coordination number page mentions the
		// personal identity number too). Buckets of a tenth keep the fusion order among
		// passages that score about the same.
		keys[h.ChunkID] = math.Floor((cov.of(h)+cov.of(store.Hit{Title: h.Title}))*10) / 10
	}
	sorted := slices.Clone(hits)
	slices.SortStableFunc(sorted, func(a, b store.Hit) int {
		return cmp.Compare(keys[b.ChunkID], keys[a.ChunkID])
	})
	best := sorted[0]
	res := Result{Hits: sorted, Coverage: cov.of(best)}
	// Relevant: the passage covers enough of the question; or it covers a fair part and both the
	// vector and the full-text list put it at the top; or its vector alone is very close.
	agree := best.VectorRank > 0 && best.VectorRank <= 2 && best.TextRank > 0 && best.TextRank <= 2
	res.Confident = res.Coverage >= s.limits.MinCoverage ||
		(agree && res.Coverage >= s.limits.MinCoverage*2/3) ||
		(s.limits.MinSimilarity > 0 && best.Similarity >= s.limits.MinSimilarity)
	return res, nil
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
			// The cut form may be a function word of its own ("sideen" → "sidee").
			if wordWeight(Normalize(w)) < 0.5 {
				continue
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
