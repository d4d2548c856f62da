package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

func TestMigrateIsIdempotentAndRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, storetest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaOutdated) {
		t.Fatalf("empty database: CheckSchema = %v, want ErrSchemaOutdated", err)
	}
	applied, err := st.Migrate(ctx)
	if err != nil || len(applied) != store.SchemaVersion() {
		t.Fatalf("first Migrate = %v, %v; want %d migrations", applied, err, store.SchemaVersion())
	}
	if applied, err := st.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("second Migrate = %v, %v; want nothing to do", applied, err)
	}
	if err := st.CheckSchema(ctx); err != nil {
		t.Fatalf("CheckSchema after Migrate: %v", err)
	}
	if _, err := st.Pool().Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES (999, '999_future.sql')"); err != nil {
		t.Fatal(err)
	}
	if err := st.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("CheckSchema with a newer schema = %v, want ErrSchemaTooNew", err)
	}
	if _, err := st.Migrate(ctx); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Migrate with a newer schema = %v, want ErrSchemaTooNew", err)
	}
}

func TestUpsertSourceKeepsStatus(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	src := store.Source{Name: "skv", Agency: "Skatteverket", AllowedPrefixes: []string{"https://www.skatteverket.se/"},
		StartURLs: []string{"https://www.skatteverket.se/"}, RecrawlInterval: 24 * time.Hour, CrawlDelay: time.Second, Concurrency: 2}
	saved, err := st.UpsertSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Status != store.StatusProposed {
		t.Fatalf("new source status = %q, want proposed", saved.Status)
	}
	if err := st.SetSourceStatus(ctx, "skv", store.StatusVetted); err != nil {
		t.Fatal(err)
	}
	src.Agency = "Skatteverket (ändrad)"
	src.Status = store.StatusProposed
	if saved, err = st.UpsertSource(ctx, src); err != nil || saved.Status != store.StatusVetted {
		t.Fatalf("re-adding a vetted source: status %q, err %v; want it to stay vetted", saved.Status, err)
	}
	got, err := st.SourceByName(ctx, "skv")
	if err != nil || got.Agency != "Skatteverket (ändrad)" || got.RecrawlInterval != 24*time.Hour || got.CrawlDelay != time.Second {
		t.Fatalf("SourceByName = %+v, %v", got, err)
	}
	if err := st.SetSourceStatus(ctx, "nope", store.StatusVetted); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("vetting an unknown source = %v, want ErrNotFound", err)
	}
	if err := st.SetSourceStatus(ctx, "skv", "approved"); err == nil {
		t.Fatal("an unknown status was accepted")
	}
}

func TestSearchHybridFiltersAndRanks(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	ix, err := st.EnsureLiveIndex(ctx, "test-3", 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.EnsureLiveIndex(ctx, "other-3", 3); !errors.Is(err, store.ErrEmbedderMismatch) {
		t.Fatalf("second embedder = %v, want ErrEmbedderMismatch", err)
	}
	vetted := addSource(t, st, "vetted", store.StatusVetted)
	paused := addSource(t, st, "paused", store.StatusPaused)
	save := func(src int64, url, lang, text string, vec []float32) {
		t.Helper()
		if _, err := st.AddURLs(ctx, src, []string{url}, 0); err != nil {
			t.Fatal(err)
		}
		p := store.Page{SourceID: src, URL: url, Title: "T " + url, Language: lang, TranslationGroup: "g-" + url[len(url)-1:],
			ContentType: "text/html", ContentHash: []byte(url), FetchedAt: time.Now(), Sections: []byte("[]")}
		if err := st.SavePage(ctx, url, p, ix, "Agency", []store.Chunk{{Ord: 0, Headings: []string{"H"}, Text: text, Embedding: vec}}); err != nil {
			t.Fatal(err)
		}
	}
	save(vetted, "http://x/sv/1", "sv", "Så får du ett personnummer hos Skatteverket", []float32{1, 0, 0})
	save(vetted, "http://x/sv/2", "sv", "Barnbidrag betalas ut varje månad", []float32{0, 1, 0})
	save(vetted, "http://x/en/1", "en", "How to get a personal identity number", []float32{1, 0, 0})
	save(paused, "http://y/sv/1", "sv", "Personnummer från en pausad källa", []float32{1, 0, 0})

	hits, err := st.SearchHybrid(ctx, store.SearchQuery{Index: ix, Vector: []float32{1, 0.1, 0}, Terms: []string{"personnummer"},
		TermsLanguage: "sv", Languages: []string{"sv"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 {
		t.Fatalf("got %d hits, want the 2 Swedish chunks of the vetted source: %+v", len(hits), hits)
	}
	if hits[0].URL != "http://x/sv/1" || hits[0].VectorRank != 1 || hits[0].TextRank != 1 {
		t.Fatalf("top hit = %+v, want http://x/sv/1 first in both lists", hits[0])
	}
	if hits[0].Similarity < 0.99 || hits[0].Language != "sv" || hits[0].Agency != "Agency" {
		t.Fatalf("top hit fields = %+v", hits[0])
	}
	// A stemmed match: "Skatteverkets" shares the Swedish stem of "Skatteverket".
	hits, err = st.SearchHybrid(ctx, store.SearchQuery{Index: ix, Vector: []float32{0, 0, 1}, Terms: []string{"Skatteverkets"},
		TermsLanguage: "sv", Languages: []string{"sv"}})
	if err != nil || len(hits) == 0 || hits[0].URL != "http://x/sv/1" || hits[0].TextRank != 1 {
		t.Fatalf("stemmed search: %+v, %v", hits, err)
	}
	// Removing a page removes its chunks.
	if removed, err := st.RemovePage(ctx, vetted, "http://x/sv/1", "http://x/sv/1"); err != nil || !removed {
		t.Fatalf("RemovePage = %v, %v", removed, err)
	}
	hits, err = st.SearchHybrid(ctx, store.SearchQuery{Index: ix, Vector: []float32{1, 0, 0}, Languages: []string{"sv"}})
	if err != nil || len(hits) != 1 || hits[0].URL != "http://x/sv/2" {
		t.Fatalf("after removal: %+v, %v", hits, err)
	}
	// Terms cannot inject tsquery syntax.
	if _, err := st.SearchHybrid(ctx, store.SearchQuery{Index: ix, Vector: []float32{1, 0, 0}, Terms: []string{"a' & !b:*", `\`, "(c"},
		TermsLanguage: "sv", Languages: []string{"sv"}}); err != nil {
		t.Fatalf("hostile terms: %v", err)
	}
}

func addSource(t *testing.T, st *store.Store, name, status string) int64 {
	t.Helper()
	src, err := st.UpsertSource(context.Background(), store.Source{Name: name, Agency: "Agency", AllowedPrefixes: []string{"http://x/"},
		StartURLs: []string{"http://x/"}, RecrawlInterval: time.Hour, Concurrency: 1, Status: status})
	if err != nil {
		t.Fatal(err)
	}
	return src.ID
}
