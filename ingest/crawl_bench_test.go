package ingest_test

import (
	"context"
	"testing"

	"github.com/nyisverige/lots/ingest/ingesttest"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

// BenchmarkCrawlDemo crawls the demo agency sites, served on loopback, into a fresh database
// each time: fetch, extract, chunk, embed with the local embedder, store.
func BenchmarkCrawlDemo(b *testing.B) {
	ctx := context.Background()
	pages := 0
	for b.Loop() {
		b.StopTimer()
		st := storetest.New(b)
		b.StartTimer()
		ingesttest.CrawlDemo(b, st)
		b.StopTimer()
		var n int
		if err := st.Pool().QueryRow(ctx, "SELECT count(*) FROM pages").Scan(&n); err != nil {
			b.Fatal(err)
		}
		pages += n
		b.StartTimer()
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
}
