package assistant_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/demosite"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

// demoIndex crawls the demo agency sites into a fresh database with the local embedder.
func demoIndex(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	site, err := demosite.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(site)
	t.Cleanup(srv.Close)
	srcs, err := ingest.ParseSources(demosite.SourcesYAML(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	crawler := ingest.NewCrawler(st, retrieval.NewLocal(0), slog.New(slog.NewTextHandler(io.Discard, nil)), ingest.CrawlOptions{})
	for _, src := range srcs {
		saved, err := st.UpsertSource(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		src.ID, src.Status = saved.ID, saved.Status
		if _, err := crawler.Crawl(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	return st
}
