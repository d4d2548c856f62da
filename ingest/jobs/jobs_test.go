package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// machines returns n pools on one fresh database, as n lots processes on n machines would have.
func machines(t testing.TB, n int) []*pgxpool.Pool {
	t.Helper()
	url := storetest.URL(t)
	ctx := context.Background()
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	pools := []*pgxpool.Pool{st.Pool()}
	for len(pools) < n {
		p, err := pgxpool.New(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		pools = append(pools, p)
	}
	return pools
}

var fast = jobs.WorkerOptions{Concurrency: 8, Poll: 10 * time.Millisecond, Heartbeat: 50 * time.Millisecond, StaleAfter: 300 * time.Millisecond}

func named(opts jobs.WorkerOptions, name string) jobs.WorkerOptions {
	opts.Name = name
	return opts
}

// waitFor polls until cond holds, failing the test after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// enqueue adds j to q, failing the test when it cannot.
func enqueue(t *testing.T, q *jobs.Queue, j jobs.Job) int64 {
	t.Helper()
	id, err := q.Enqueue(t.Context(), j)
	if err != nil {
		t.Fatalf("enqueue %s: %v", j.Kind, err)
	}
	return id
}

func state(t *testing.T, q *jobs.Queue, id int64) jobs.Job {
	t.Helper()
	j, err := q.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// Two machines working one queue share the work, and no job runs twice.
func TestTwoWorkersShareTheQueue(t *testing.T) {
	pools := machines(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	queues := []*jobs.Queue{jobs.NewQueue(pools[0], jobs.QueueOptions{}), jobs.NewQueue(pools[1], jobs.QueueOptions{})}
	const n = 200
	for i := range n {
		if _, err := queues[i%2].Enqueue(ctx, jobs.Job{Kind: "quick", Args: json.RawMessage(fmt.Sprintf(`{"n": %d}`, i))}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	runs := map[int64]int{}
	byWorker := map[string]int{}
	var finished atomic.Int32
	handler := func(name string) jobs.Handler {
		return func(ctx context.Context, j jobs.Job, report func(context.Context, jobs.Progress) error) error {
			time.Sleep(5 * time.Millisecond)
			if err := report(ctx, jobs.Progress{Done: 1, Total: 1}); err != nil {
				return err
			}
			mu.Lock()
			runs[j.ID]++
			byWorker[name]++
			mu.Unlock()
			finished.Add(1)
			return nil
		}
	}
	var wg sync.WaitGroup
	for i, q := range queues {
		name := fmt.Sprintf("machine-%d", i+1)
		w := jobs.NewWorker(q, map[string]jobs.Handler{"quick": handler(name)}, quietLog(), named(fast, name))
		wg.Go(func() { w.Run(ctx) })
	}
	waitFor(t, "all jobs to run", func() bool { return finished.Load() >= n })
	waitFor(t, "all jobs to be done", func() bool {
		done, err := queues[0].List(ctx, jobs.Filter{States: []string{jobs.StateDone}, Limit: 1000})
		return err == nil && len(done) == n
	})
	cancel()
	wg.Wait()

	if len(runs) != n {
		t.Errorf("%d distinct jobs ran, want %d", len(runs), n)
	}
	for id, c := range runs {
		if c != 1 {
			t.Errorf("job %d ran %d times", id, c)
		}
	}
	if byWorker["machine-1"] == 0 || byWorker["machine-2"] == 0 {
		t.Errorf("one machine did all the work: %v", byWorker)
	}
}

// A worker that dies holding a job (no heartbeat any more) loses it to another worker.
func TestDeadWorkersJobIsTakenOver(t *testing.T) {
	pools := machines(t, 2)
	ctx := t.Context()
	dead := jobs.NewQueue(pools[0], jobs.QueueOptions{})
	id := enqueue(t, dead, jobs.Job{Kind: "work"})
	claimed, err := dead.Claim(ctx, "dead-machine", []string{"work"})
	if err != nil || claimed.ID != id {
		t.Fatalf("claim = %v, %v", claimed.ID, err)
	}
	// ... and the process is killed: nothing more is heard from it.

	alive := jobs.NewQueue(pools[1], jobs.QueueOptions{})
	var ranBy atomic.Value
	w := jobs.NewWorker(alive, map[string]jobs.Handler{"work": func(ctx context.Context, j jobs.Job, _ func(context.Context, jobs.Progress) error) error {
		ranBy.Store(fmt.Sprintf("attempt %d", j.Attempts))
		return nil
	}}, quietLog(), named(fast, "alive"))
	go w.Run(ctx)
	waitFor(t, "the job to be taken over", func() bool { return state(t, alive, id).State == jobs.StateDone })
	if got := ranBy.Load(); got != "attempt 2" {
		t.Errorf("the job ran as %v, want attempt 2", got)
	}
	// The dead worker, should it wake, can no longer finish the job it lost.
	if err := dead.Complete(ctx, claimed); !errors.Is(err, jobs.ErrLost) {
		t.Errorf("the dead worker completed a job it lost: %v", err)
	}
}

// A worker stopped mid-job (its context cancelled) puts the job back, and another finishes it.
func TestStoppedWorkerReleasesItsJob(t *testing.T) {
	pools := machines(t, 2)
	ctx := context.Background()
	q1, q2 := jobs.NewQueue(pools[0], jobs.QueueOptions{}), jobs.NewQueue(pools[1], jobs.QueueOptions{})
	id := enqueue(t, q1, jobs.Job{Kind: "crawl"})
	started := make(chan struct{})
	blocking := func(ctx context.Context, j jobs.Job, report func(context.Context, jobs.Progress) error) error {
		report(ctx, jobs.Progress{Done: 3, Total: 10, Message: "crawling"})
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}
	ctx1, stop1 := context.WithCancel(ctx)
	w1 := jobs.NewWorker(q1, map[string]jobs.Handler{"crawl": blocking}, quietLog(), named(fast, "one"))
	stopped := make(chan struct{})
	go func() { w1.Run(ctx1); close(stopped) }()
	<-started
	if j := state(t, q1, id); j.State != jobs.StateRunning || j.LockedBy != "one" || j.Progress.Done != 3 || j.Progress.Total != 10 {
		t.Errorf("running job: %+v", j)
	}
	stop1()
	<-stopped
	if j := state(t, q1, id); j.State != jobs.StateQueued || j.Attempts != 0 {
		t.Errorf("after its worker stopped the job is %s with %d attempts, want queued with 0", j.State, j.Attempts)
	}

	ctx2, stop2 := context.WithCancel(ctx)
	defer stop2()
	w2 := jobs.NewWorker(q2, map[string]jobs.Handler{"crawl": func(context.Context, jobs.Job, func(context.Context, jobs.Progress) error) error { return nil }}, quietLog(), named(fast, "two"))
	go w2.Run(ctx2)
	waitFor(t, "the second worker to finish the job", func() bool { return state(t, q2, id).State == jobs.StateDone })
}

func TestFailureRetriesThenFails(t *testing.T) {
	pools := machines(t, 1)
	q := jobs.NewQueue(pools[0], jobs.QueueOptions{RetryDelay: time.Millisecond})
	flaky := enqueue(t, q, jobs.Job{Kind: "flaky", MaxAttempts: 3})
	broken := enqueue(t, q, jobs.Job{Kind: "broken", MaxAttempts: 3})
	hopeless := enqueue(t, q, jobs.Job{Kind: "hopeless", MaxAttempts: 5})
	var flakyRuns, hopelessRuns atomic.Int32
	w := jobs.NewWorker(q, map[string]jobs.Handler{
		"flaky": func(context.Context, jobs.Job, func(context.Context, jobs.Progress) error) error {
			if flakyRuns.Add(1) < 3 {
				return errors.New("site did not answer")
			}
			return nil
		},
		"broken": func(context.Context, jobs.Job, func(context.Context, jobs.Progress) error) error {
			return errors.New("always broken")
		},
		"hopeless": func(context.Context, jobs.Job, func(context.Context, jobs.Progress) error) error {
			hopelessRuns.Add(1)
			return jobs.Permanent(errors.New("source is not vetted"))
		},
	}, quietLog(), fast)
	go w.Run(t.Context())
	tests := []struct {
		name     string
		id       int64
		state    string
		attempts int
		err      string
	}{
		{"succeeds on the third attempt", flaky, jobs.StateDone, 3, ""},
		{"fails after its attempts", broken, jobs.StateFailed, 3, "always broken"},
		{"permanent error is not retried", hopeless, jobs.StateFailed, 1, "source is not vetted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			waitFor(t, tt.name, func() bool { s := state(t, q, tt.id).State; return s == jobs.StateDone || s == jobs.StateFailed })
			j := state(t, q, tt.id)
			if j.State != tt.state || j.Attempts != tt.attempts || j.Error != tt.err || j.FinishedAt.IsZero() {
				t.Errorf("job: %s after %d attempts (%q), want %s after %d (%q)", j.State, j.Attempts, j.Error, tt.state, tt.attempts, tt.err)
			}
		})
	}
}

func TestKeyCancelAndList(t *testing.T) {
	pools := machines(t, 1)
	ctx := context.Background()
	q := jobs.NewQueue(pools[0], jobs.QueueOptions{})
	first := enqueue(t, q, jobs.Job{Kind: "recrawl", Key: "recrawl:skv", CreatedBy: "steward"})
	again, err := q.Enqueue(ctx, jobs.Job{Kind: "recrawl", Key: "recrawl:skv"})
	if !errors.Is(err, jobs.ErrDuplicate) || again != first {
		t.Errorf("second recrawl of one source: id %d, %v; want the first's id %d and ErrDuplicate", again, err, first)
	}
	other := enqueue(t, q, jobs.Job{Kind: "recrawl", Key: "recrawl:fk", RunAfter: time.Now().Add(time.Hour)})
	if _, err := q.Claim(ctx, "w", []string{"recrawl"}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Claim(ctx, "w", []string{"recrawl"}); !errors.Is(err, jobs.ErrNoJob) {
		t.Errorf("claimed a job that is not due yet: %v", err)
	}
	// Running, the key is still taken; cancelled, it is free again.
	if _, err := q.Enqueue(ctx, jobs.Job{Kind: "recrawl", Key: "recrawl:skv"}); !errors.Is(err, jobs.ErrDuplicate) {
		t.Errorf("enqueue while running: %v, want ErrDuplicate", err)
	}
	if err := q.Cancel(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := q.Cancel(ctx, first); !errors.Is(err, jobs.ErrFinished) {
		t.Errorf("cancel twice: %v, want ErrFinished", err)
	}
	if err := q.Cancel(ctx, 9999); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("cancel of a missing job: %v, want ErrNotFound", err)
	}
	third, err := q.Enqueue(ctx, jobs.Job{Kind: "recrawl", Key: "recrawl:skv"})
	if err != nil {
		t.Fatalf("enqueue after cancel: %v", err)
	}
	if err := q.Retry(ctx, first); !errors.Is(err, jobs.ErrDuplicate) {
		t.Errorf("retry while another is queued: %v, want ErrDuplicate", err)
	}
	tests := []struct {
		name string
		f    jobs.Filter
		want []int64
	}{
		{"all, newest first", jobs.Filter{}, []int64{third, other, first}},
		{"queued", jobs.Filter{States: []string{jobs.StateQueued}}, []int64{third, other}},
		{"by key", jobs.Filter{Key: "recrawl:fk"}, []int64{other}},
		{"other kind", jobs.Filter{Kinds: []string{"build"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := q.List(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, j := range got {
				ids = append(ids, j.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
				t.Errorf("ids %v, want %v", ids, tt.want)
			}
		})
	}
	if j := state(t, q, first); j.CreatedBy != "steward" || j.State != jobs.StateCancelled {
		t.Errorf("first job: %+v", j)
	}
}

// Cancelling a running job stops its handler.
func TestCancelStopsRunningJob(t *testing.T) {
	pools := machines(t, 1)
	ctx := t.Context()
	q := jobs.NewQueue(pools[0], jobs.QueueOptions{})
	id := enqueue(t, q, jobs.Job{Kind: "long"})
	stopped := make(chan error, 1)
	w := jobs.NewWorker(q, map[string]jobs.Handler{"long": func(ctx context.Context, j jobs.Job, _ func(context.Context, jobs.Progress) error) error {
		<-ctx.Done()
		stopped <- context.Cause(ctx)
		return ctx.Err()
	}}, quietLog(), fast)
	go w.Run(ctx)
	waitFor(t, "the job to run", func() bool { return state(t, q, id).State == jobs.StateRunning })
	if err := q.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	select {
	case cause := <-stopped:
		if !errors.Is(cause, jobs.ErrLost) {
			t.Errorf("handler stopped because %v, want ErrLost", cause)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the cancelled job kept running")
	}
	if j := state(t, q, id); j.State != jobs.StateCancelled {
		t.Errorf("job is %s, want cancelled", j.State)
	}
}

func TestSchedulerEnqueuesOnce(t *testing.T) {
	pools := machines(t, 2)
	ctx := context.Background()
	plan := func(context.Context) ([]jobs.Job, error) {
		return []jobs.Job{{Kind: "recrawl", Key: "recrawl:a"}, {Kind: "recrawl", Key: "recrawl:b"}}, nil
	}
	// Two processes' schedulers tick at once.
	s1 := jobs.NewScheduler(jobs.NewQueue(pools[0], jobs.QueueOptions{}), quietLog(), time.Minute, plan)
	s2 := jobs.NewScheduler(jobs.NewQueue(pools[1], jobs.QueueOptions{}), quietLog(), time.Minute, plan)
	var n1, n2 int
	var err1, err2 error
	var wg sync.WaitGroup
	wg.Go(func() { n1, err1 = s1.Tick(ctx) })
	wg.Go(func() { n2, err2 = s2.Tick(ctx) })
	wg.Wait()
	if err1 != nil || err2 != nil || n1+n2 != 2 {
		t.Errorf("ticks enqueued %d and %d (%v, %v), want 2 in all", n1, n2, err1, err2)
	}
}
