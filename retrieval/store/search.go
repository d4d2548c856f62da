package store

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
)

var (
	//go:embed queries/search_hybrid.sql
	searchHybridSQL string
	//go:embed queries/search_exact.sql
	searchExactSQL string
)

// SearchQuery is one hybrid search over the vetted sources of an index version.
type SearchQuery struct {
	Index            Index
	Vector           []float32
	Terms            []string // words of the question for the full-text list; none means vector only
	TermsLanguage    string   // language of Terms, which picks the stemmer
	Prefix           bool     // match Terms as prefixes (for languages without a stemmer)
	Languages        []string // only chunks in these languages
	Agencies         []string // only these agencies; none means all
	TranslationGroup string   // only this translation group; "" means all
	Candidates       int      // length of each ranked list before fusion (default 40)
	Limit            int      // results (default 10)
}

// Hit is one retrieved passage with its provenance and scores.
type Hit struct {
	ChunkID          int64
	PageID           int64
	URL              string
	Title            string
	Agency           string
	Language         string
	TranslationGroup string
	Headings         []string
	Text             string
	FetchedAt        time.Time
	Score            float64 // reciprocal rank fusion score
	Similarity       float64 // cosine similarity to the query vector
	VectorRank       int     // 1-based rank in the vector list, 0 if absent
	TextRank         int     // 1-based rank in the full-text list, 0 if absent
}

// rrfK is the usual reciprocal rank fusion constant: it damps the weight of the first ranks.
const rrfK = 60

// SearchHybrid runs the vector kNN list and the full-text list and fuses them.
func (s *Store) SearchHybrid(ctx context.Context, q SearchQuery) ([]Hit, error) {
	if len(q.Vector) != q.Index.Dimensions {
		return nil, fmt.Errorf("search: query vector has %d dimensions, index %d has %d", len(q.Vector), q.Index.ID, q.Index.Dimensions)
	}
	if q.Candidates <= 0 {
		q.Candidates = 40
	}
	if q.Limit <= 0 {
		q.Limit = 10
	}
	rows, err := s.pool.Query(ctx, withIndex(searchHybridSQL, q.Index), pgvector.NewVector(q.Vector),
		TSQuery(q.Terms, q.Prefix), q.TermsLanguage, nonNil(q.Languages), nonNil(q.Agencies), q.TranslationGroup,
		q.Candidates, q.Limit, rrfK)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	hits, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Hit])
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return hits, nil
}

// SearchExact returns the ids of the limit nearest chunks by a sequential scan, the exact
// answer that the HNSW index approximates.
func (s *Store) SearchExact(ctx context.Context, ix Index, vector []float32, languages []string, limit int) ([]int64, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("exact search: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL enable_indexscan = off"); err != nil {
		return nil, fmt.Errorf("exact search: %w", err)
	}
	rows, err := tx.Query(ctx, withIndex(searchExactSQL, ix), pgvector.NewVector(vector), nonNil(languages), limit)
	if err != nil {
		return nil, fmt.Errorf("exact search: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("exact search: %w", err)
	}
	return ids, nil
}

// TSQuery joins words into a to_tsquery expression that matches any of them. Each word is
// quoted, so no input can inject tsquery operators.
func TSQuery(terms []string, prefix bool) string {
	var b strings.Builder
	for _, t := range terms {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(" | ")
		}
		b.WriteByte('\'')
		b.WriteString(strings.NewReplacer(`'`, `''`, `\`, `\\`).Replace(t))
		b.WriteByte('\'')
		if prefix {
			b.WriteString(":*")
		}
	}
	return b.String()
}

//go:embed queries/term_stats.sql
var termStatsSQL string

// TermStat is how common a query term is among one language's chunks.
type TermStat struct {
	Term    string
	Indexed bool // false for the language's stop words, which full text ignores
	DF      int  // chunks containing the term
	N       int  // chunks in the language
}

// TermStats returns document frequencies of terms among the chunks in lang.
func (s *Store) TermStats(ctx context.Context, ix Index, lang string, terms []string, prefix bool) ([]TermStat, error) {
	rows, err := s.pool.Query(ctx, withIndex(termStatsSQL, ix), nonNil(terms), lang, prefix)
	if err != nil {
		return nil, fmt.Errorf("term stats: %w", err)
	}
	stats, err := pgx.CollectRows(rows, pgx.RowToStructByPos[TermStat])
	if err != nil {
		return nil, fmt.Errorf("term stats: %w", err)
	}
	return stats, nil
}
