package store_test

import (
	"testing"
	"time"

	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

func TestPruneChangesKeepsPendingAndRecent(t *testing.T) {
	st := storetest.New(t)
	ctx := t.Context()
	src, err := st.UpsertSource(ctx, store.Source{Name: "s", Agency: "A", AllowedPrefixes: []string{"https://a.example/"},
		StartURLs: []string{"https://a.example/"}, RecrawlInterval: 24 * time.Hour, CrawlDelay: time.Second, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	add := func(url, state, age string) {
		t.Helper()
		if _, err := st.Pool().Exec(ctx, `INSERT INTO page_changes (source_id, url, kind, state, old_text, new_text, created_at)
			VALUES ($1, $2, 'changed', $3, 'old', 'new', now() - $4::interval)`, src.ID, url, state, age); err != nil {
			t.Fatal(err)
		}
	}
	add("https://a.example/old-live", "live", "200 days")
	add("https://a.example/old-approved", "approved", "200 days")
	add("https://a.example/old-pending", "pending", "200 days")
	add("https://a.example/recent", "live", "10 days")
	n, err := st.PruneChanges(ctx, 180*24*time.Hour)
	if err != nil || n != 2 {
		t.Fatalf("PruneChanges: %d, %v; want the 2 reviewed or live changes of 200 days ago", n, err)
	}
	var left []string
	rows, _ := st.Pool().Query(ctx, "SELECT url FROM page_changes ORDER BY url")
	for rows.Next() {
		var u string
		rows.Scan(&u)
		left = append(left, u)
	}
	if len(left) != 2 || left[0] != "https://a.example/old-pending" || left[1] != "https://a.example/recent" {
		t.Errorf("left %v; want the pending one and the recent one", left)
	}
}
