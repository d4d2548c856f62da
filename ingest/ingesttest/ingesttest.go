// Package ingesttest gives tests a database holding the crawled demo corpus, as lots demo
// builds it: the demo agency sites served on loopback, crawled as vetted sources with the local
// embedder.
package ingesttest

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/demosite"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

// DemoStore returns a fresh database (dropped when the test ends) holding the demo corpus.
func DemoStore(tb testing.TB) *store.Store {
	tb.Helper()
	st := storetest.New(tb)
	CrawlDemo(tb, st)
	return st
}

// CrawlDemo serves the demo agency sites on loopback and crawls them into st. The site stops
// when the crawl is done; citations keep its URLs.
func CrawlDemo(tb testing.TB, st *store.Store) {
	tb.Helper()
	ctx := context.Background()
	site, err := demosite.New()
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(site)
	defer srv.Close()
	srcs, err := ingest.ParseSources(demosite.SourcesYAML(srv.URL))
	if err != nil {
		tb.Fatal(err)
	}
	crawler := ingest.NewCrawler(st, retrieval.NewLocal(0), slog.New(slog.DiscardHandler), ingest.CrawlOptions{})
	for _, src := range srcs {
		saved, err := st.UpsertSource(ctx, src)
		if err != nil {
			tb.Fatal(err)
		}
		src.ID, src.Status = saved.ID, saved.Status
		if _, err := crawler.Crawl(ctx, src); err != nil {
			tb.Fatal(err)
		}
	}
}
