package jobs_test

import (
	"testing"
	"time"

	"github.com/nyisverige/lots/ingest/jobs"
)

func TestPruneKeepsUnfinishedAndRecentJobs(t *testing.T) {
	pool := machines(t, 1)[0]
	q := jobs.NewQueue(pool, jobs.QueueOptions{})
	ids := map[string]int64{}
	for _, name := range []string{"old done", "old failed", "old cancelled", "recent done", "old queued"} {
		ids[name] = enqueue(t, q, jobs.Job{Kind: "k", Key: name})
	}
	for name, sql := range map[string]string{
		"old done":      "UPDATE jobs SET state = 'done', finished_at = now() - interval '40 days' WHERE id = $1",
		"old failed":    "UPDATE jobs SET state = 'failed', finished_at = now() - interval '40 days' WHERE id = $1",
		"old cancelled": "UPDATE jobs SET state = 'cancelled', finished_at = now() - interval '40 days' WHERE id = $1",
		"recent done":   "UPDATE jobs SET state = 'done', finished_at = now() - interval '1 day' WHERE id = $1",
		"old queued":    "UPDATE jobs SET created_at = now() - interval '40 days' WHERE id = $1",
	} {
		if _, err := pool.Exec(t.Context(), sql, ids[name]); err != nil {
			t.Fatal(err)
		}
	}
	n, err := q.Prune(t.Context(), 30*24*time.Hour)
	if err != nil || n != 3 {
		t.Fatalf("Prune: %d, %v; want the 3 jobs finished 40 days ago", n, err)
	}
	for name, id := range ids {
		_, err := q.Get(t.Context(), id)
		if gone := err != nil; gone != (name != "recent done" && name != "old queued") {
			t.Errorf("%s: gone %v (%v)", name, gone, err)
		}
	}
}
