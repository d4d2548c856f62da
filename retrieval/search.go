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
	"sync"
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

// Searcher finds passages for a question in the live index version (or, for an evaluation,
// in one chosen version), applying the stewards' pins and suppressions.
type Searcher struct {
	store    *store.Store
	embedder Embedder
	log      *slog.Logger
	limits   Thresholds
	indexID  int             // the version searched; 0 for the live one, looked up at every search
	pinned   *store.Index    // the version searched, looked up once by Pinned
	others   *otherEmbedders // embedders of versions built by another embedder; shared by copies
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

// NewSearcher returns a Searcher that embeds questions with e. It searches only index versions
// that e built, unless WithEmbedders gives it a way to make the others' embedders.
func NewSearcher(st *store.Store, e Embedder, limits Thresholds, log *slog.Logger) *Searcher {
	return &Searcher{store: st, embedder: e, log: log, limits: limits, others: &otherEmbedders{}}
}

// EmbedderSource makes the embedder that built an index version, from the embedder's name and
// dimension, with the thresholds to judge its results by; it fails when it cannot. A Searcher
// uses it when a version built by another embedder than its own is searched — say one published
// after the process started — so questions are embedded as that version's passages were.
type EmbedderSource func(ctx context.Context, name string, dims int) (Embedder, Thresholds, error)

// LocalEmbedders is an EmbedderSource for the local embedder of any dimension.
func LocalEmbedders(_ context.Context, name string, dims int) (Embedder, Thresholds, error) {
	if l := NewLocal(dims); l.Name() == name {
		return l, DefaultThresholds["local"], nil
	}
	return nil, Thresholds{}, fmt.Errorf("%s is not a local embedder", name)
}

// WithEmbedders returns a copy of the Searcher that makes the embedders of versions built by
// other embedders than its own with src, once each.
func (s *Searcher) WithEmbedders(src EmbedderSource) *Searcher {
	c := *s
	c.others = &otherEmbedders{source: src, made: map[string]madeEmbedder{}}
	return &c
}

// AtIndex returns a copy of the Searcher that searches index version id instead of the live
// one, whatever its state but building or failed: for evaluating a version before publishing it.
func (s *Searcher) AtIndex(id int) *Searcher {
	c := *s
	c.indexID, c.pinned = id, nil
	return &c
}

// Pinned returns a copy of the Searcher that searches the version live now, for every search:
// a caller that searches more than once for one question uses one version throughout, even if
// another is published meanwhile.
func (s *Searcher) Pinned(ctx context.Context) (*Searcher, error) {
	ix, err := s.index(ctx)
	if err != nil {
		return nil, err
	}
	c := *s
	c.indexID, c.pinned = ix.ID, &ix
	return &c, nil
}

// otherEmbedders are the embedders a Searcher made for versions its own embedder did not build.
type otherEmbedders struct {
	source EmbedderSource
	mu     sync.Mutex
	made   map[string]madeEmbedder // by name and dimension
}

type madeEmbedder struct {
	embedder Embedder
	limits   Thresholds
}

// index is the version to search: the live one, or the one AtIndex chose.
func (s *Searcher) index(ctx context.Context) (store.Index, error) {
	if s.pinned != nil {
		return *s.pinned, nil
	}
	if s.indexID == 0 {
		ix, err := s.store.LiveIndex(ctx)
		if errors.Is(err, store.ErrNotFound) {
			return ix, ErrNoIndex
		}
		return ix, err
	}
	ix, err := s.store.IndexByID(ctx, s.indexID)
	if err != nil {
		return ix, fmt.Errorf("search: %w", err)
	}
	if ix.State == store.IndexBuilding || ix.State == store.IndexFailed {
		return ix, fmt.Errorf("search: index %d is %s", ix.ID, ix.State)
	}
	return ix, nil
}

// forIndex returns a copy of the Searcher that embeds questions with the embedder that built ix,
// and judges results by that embedder's thresholds.
func (s *Searcher) forIndex(ctx context.Context, ix store.Index) (*Searcher, error) {
	if ix.Embedder == s.embedder.Name() && ix.Dimensions == s.embedder.Dimensions() {
		return s, nil
	}
	mismatch := func(why string) error {
		return fmt.Errorf("search: index %d was built by %s (%d dimensions), configured embedder is %s%s: %w",
			ix.ID, ix.Embedder, ix.Dimensions, s.embedder.Name(), why, store.ErrEmbedderMismatch)
	}
	o := s.others
	if o.source == nil {
		return nil, mismatch("")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	key := fmt.Sprintf("%s/%d", ix.Embedder, ix.Dimensions)
	m, ok := o.made[key]
	if !ok {
		e, limits, err := o.source(ctx, ix.Embedder, ix.Dimensions)
		if err != nil {
			return nil, mismatch(" (" + err.Error() + ")")
		}
		if e.Name() != ix.Embedder || e.Dimensions() != ix.Dimensions {
			return nil, mismatch(fmt.Sprintf(" (made %s, %d dimensions, instead)", e.Name(), e.Dimensions()))
		}
		m = madeEmbedder{embedder: e, limits: limits}
		o.made[key] = m
	}
	c := *s
	c.embedder, c.limits = m.embedder, m.limits
	return &c, nil
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
	Confident bool    // the best passage clears the relevance threshold, or a steward pinned it
	Fallback  bool    // the passages are in another language: the asker's language has no page on this
	Coverage  float64 // how much of the question the best passage covers, 0 to 1
	Index     int     // the index version every passage comes from
	Rules     []int64 // the stewards' rules that pinned or suppressed passages of this result
}

// Search looks in the asker's language first. When that finds nothing relevant it searches the
// other languages; if the best passage's translation group has a page in the asker's language
// it answers from that page, otherwise from the Swedish or English page of the group. Passages
// stewards suppressed for questions like this one are left out, and those they pinned go first.
// One index version answers the whole search.
func (s *Searcher) Search(ctx context.Context, q Query) (Result, error) {
	if q.Limit <= 0 {
		q.Limit = 5
	}
	ix, err := s.index(ctx)
	if err != nil {
		return Result{}, err
	}
	at, err := s.forIndex(ctx, ix)
	if err != nil {
		return Result{}, err
	}
	vecs, err := at.embedder.Embed(ctx, []string{q.Text})
	if err != nil {
		return Result{}, fmt.Errorf("search: %w", err)
	}
	rules, err := at.rulesFor(ctx, ix, q, vecs[0])
	if err != nil {
		return Result{}, err
	}
	res, err := at.search(ctx, ix, q, vecs[0], rules)
	if err != nil {
		return Result{}, err
	}
	res = rules.apply(res, q)
	res.Index = ix.ID
	return res, nil
}

// search is Search in one index version.
func (s *Searcher) search(ctx context.Context, ix store.Index, q Query, vec []float32, rules stewardRules) (Result, error) {
	base := store.SearchQuery{Index: ix, Vector: vec, Agencies: q.Agencies, TranslationGroup: q.TranslationGroup, Limit: q.Limit}

	own := base
	own.Languages = []string{q.Language}
	own.Terms, own.Prefix = SearchTerms(q.Text, q.Language)
	own.TermsLanguage = q.Language
	hits, err := rules.search(ctx, s.store, own)
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
	cross, err := rules.search(ctx, s.store, others)
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
	inOwn, err := rules.search(ctx, s.store, same)
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
		fbHits, err := rules.search(ctx, s.store, fb)
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
