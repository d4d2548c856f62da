package jobs_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/nyisverige/lots/ingest/jobs"
)

// BenchmarkClaimComplete measures the queue's own cost per job: machines (pools) with claimers
// each take and finish b.N queued jobs through FOR UPDATE SKIP LOCKED. One machine with one
// claimer is the baseline: SKIP LOCKED should let more claimers add throughput, not contention.
func BenchmarkClaimComplete(b *testing.B) {
	for _, c := range []struct{ machines, claimers int }{{1, 1}, {2, 4}} {
		b.Run(fmt.Sprintf("%dx%d", c.machines, c.claimers), func(b *testing.B) { benchClaims(b, c.machines, c.claimers) })
	}
}

func benchClaims(b *testing.B, machineCount, claimers int) {
	pools := machines(b, machineCount)
	ctx := b.Context()
	first := jobs.NewQueue(pools[0], jobs.QueueOptions{})
	for i := range b.N {
		if _, err := first.Enqueue(ctx, jobs.Job{Kind: "bench", Key: fmt.Sprint("bench:", i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	for m, pool := range pools {
		q := jobs.NewQueue(pool, jobs.QueueOptions{})
		for w := range claimers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("m%d-w%d", m, w)
				for {
					j, err := q.Claim(ctx, name, []string{"bench"})
					if errors.Is(err, jobs.ErrNoJob) {
						return
					}
					if err == nil {
						err = q.Complete(ctx, j)
					}
					if err != nil {
						mu.Lock()
						failed = err
						mu.Unlock()
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	b.StopTimer()
	if failed != nil {
		b.Fatal(failed)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}
