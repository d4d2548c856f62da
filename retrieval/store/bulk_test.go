package store_test

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/nyisverige/lots/retrieval/store"
)

func TestLoadPagesAndRebuildIndex(t *testing.T) {
	ctx := context.Background()
	st, ix, queries := loadSynthetic(t, 600, 20)
	var chunks int
	var hnsw bool
	err := st.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM chunks WHERE index_id = $1),
		EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'chunks_hnsw_' || $1)`, ix.ID).Scan(&chunks, &hnsw)
	if err != nil || chunks != 600 || !hnsw {
		t.Fatalf("after the load: %d chunks, HNSW index %v, %v; want 600 and the index rebuilt", chunks, hnsw, err)
	}
	found := 0
	for _, s := range synthSearches(t, ix, queries) {
		hits, err := st.SearchHybrid(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) > 0 && hits[0].Agency != "" && hits[0].Language == s.Languages[0] {
			found++
		}
	}
	if found != len(queries) {
		t.Errorf("%d of %d searches found passages in their language", found, len(queries))
	}
	var sourceID int64
	if err := st.Pool().QueryRow(ctx, "SELECT id FROM sources").Scan(&sourceID); err != nil {
		t.Fatal(err)
	}
	again := store.BulkPage{Page: store.Page{SourceID: sourceID, URL: queries[0].URL, Title: "T", Language: "sv",
		TranslationGroup: "g", ContentType: "text/html", FetchedAt: time.Now()}, Agency: "A"}
	if err := st.LoadPages(ctx, ix, []store.BulkPage{again}); err == nil {
		t.Error("loading a stored page again succeeded")
	}
}

// TestSearchPlans checks that the hybrid search's vector list uses the index version's HNSW
// index, whether PostgreSQL plans it for the parameters or generically, and that exact search
// never does and really is exact.
func TestSearchPlans(t *testing.T) {
	ctx := context.Background()
	st, ix, queries := loadSynthetic(t, 6000, 10)
	searches := synthSearches(t, ix, queries)
	hnsw := "chunks_hnsw_" + strconv.Itoa(ix.ID)
	q := searches[0]
	hybridArgs := []any{pgvector.NewVector(q.Vector), store.TSQuery(q.Terms, q.Prefix), q.TermsLanguage, q.Languages,
		[]string{}, "", 40, 8, store.RRFK}
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		plan := explain(t, st, []string{"SET LOCAL plan_cache_mode = " + mode}, store.WithIndex(store.SearchHybridSQL, ix), hybridArgs...)
		if !strings.Contains(plan, "Index Scan using "+hnsw) {
			t.Errorf("%s: the hybrid search does not use %s:\n%s", mode, hnsw, plan)
		}
	}
	plan := explain(t, st, []string{"SET LOCAL enable_indexscan = off"}, store.WithIndex(store.SearchExactSQL, ix),
		pgvector.NewVector(q.Vector), q.Languages, 10)
	if strings.Contains(plan, hnsw) {
		t.Errorf("exact search uses the HNSW index:\n%s", plan)
	}
	for _, s := range searches {
		got, err := st.SearchExact(ctx, ix, s.Vector, s.Languages, 10)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteForce(t, st, ix, s.Vector, s.Languages[0], 10); !slices.Equal(got, want) {
			t.Errorf("SearchExact = %v, want %v", got, want)
		}
	}
}

// explain returns the plan of query with args, after the setup statements in its transaction.
func explain(t *testing.T, st *store.Store, setup []string, query string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	var lines []string
	err := pgx.BeginFunc(ctx, st.Pool(), func(tx pgx.Tx) error {
		for _, s := range setup {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, "EXPLAIN "+query, args...)
		if err != nil {
			return err
		}
		lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	return strings.Join(lines, "\n")
}

// bruteForce ranks every chunk of the language by cosine distance in Go.
func bruteForce(t *testing.T, st *store.Store, ix store.Index, q []float32, lang string, k int) []int64 {
	t.Helper()
	rows, err := st.Pool().Query(context.Background(), "SELECT id, embedding FROM chunks WHERE index_id = $1 AND language = $2", ix.ID, lang)
	if err != nil {
		t.Fatal(err)
	}
	type scored struct {
		id   int64
		dist float64
	}
	var all []scored
	var id int64
	var v pgvector.Vector
	if _, err := pgx.ForEachRow(rows, []any{&id, &v}, func() error {
		all = append(all, scored{id, cosineDistance(q, v.Slice())})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(all, func(a, b scored) int { return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(a.id, b.id)) })
	out := make([]int64, 0, k)
	for _, s := range all[:min(k, len(all))] {
		out = append(out, s.id)
	}
	return out
}

func cosineDistance(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return 1 - dot/math.Sqrt(na*nb)
}
