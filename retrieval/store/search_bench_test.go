package store_test

import (
	"context"
	"testing"

	"github.com/nyisverige/lots/evals"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

// BenchmarkSearchHybrid measures the assistant's search (the hybrid query in the asker's
// language, and the term statistics that judge its result) over 10,000 synthetic passages, and
// the exact vector search it approximates.
func BenchmarkSearchHybrid(b *testing.B) {
	ctx := context.Background()
	st, ix, queries := loadSynthetic(b, 10_000, 200)
	searches := synthSearches(b, ix, queries)
	b.Run("hybrid", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := st.SearchHybrid(ctx, searches[i%len(searches)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	// The relevance judgement's document frequencies of the question's words, run after every
	// hybrid search.
	b.Run("term stats", func(b *testing.B) {
		i := 0
		for b.Loop() {
			q := searches[i%len(searches)]
			if _, err := st.TermStats(ctx, ix, q.TermsLanguage, q.Terms, q.Prefix); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("exact", func(b *testing.B) {
		i := 0
		for b.Loop() {
			q := searches[i%len(searches)]
			if _, err := st.SearchExact(ctx, ix, q.Vector, q.Languages, 10); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// loadSynthetic fills a fresh test database with n synthetic passages, embedded by the local
// embedder and indexed, and returns queries sampled from them.
func loadSynthetic(tb testing.TB, n, queries int) (*store.Store, store.Index, []evals.SynthQuery) {
	tb.Helper()
	ctx := context.Background()
	st := storetest.New(tb)
	emb := retrieval.NewLocal(0)
	ix, err := st.EnsureLiveIndex(ctx, emb.Name(), emb.Dimensions())
	if err != nil {
		tb.Fatal(err)
	}
	src, err := st.UpsertSource(ctx, store.Source{Name: "synthetic", Agency: "Synthetic", AllowedPrefixes: []string{evals.SynthBase + "/"},
		Concurrency: 1, Status: store.StatusVetted})
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.BeginBulkLoad(ctx, ix); err != nil {
		tb.Fatal(err)
	}
	qs, err := evals.LoadSynthetic(ctx, st, ix, emb, evals.SynthLoad{Seed: 1, Chunks: n, Queries: queries, SourceID: src.ID})
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.EndBulkLoad(ctx, ix); err != nil {
		tb.Fatal(err)
	}
	return st, ix, qs
}

// synthSearches turns queries into the searches the assistant runs first: in the asker's
// language, with the question's words for the full-text list.
func synthSearches(tb testing.TB, ix store.Index, queries []evals.SynthQuery) []store.SearchQuery {
	tb.Helper()
	texts := make([]string, len(queries))
	for i, q := range queries {
		texts[i] = q.Text
	}
	vecs, err := retrieval.NewLocal(0).Embed(context.Background(), texts)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]store.SearchQuery, len(queries))
	for i, q := range queries {
		terms, prefix := retrieval.SearchTerms(q.Text, q.Language)
		out[i] = store.SearchQuery{Index: ix, Vector: vecs[i], Terms: terms, TermsLanguage: q.Language, Prefix: prefix,
			Languages: []string{q.Language}, Limit: 8}
	}
	return out
}
