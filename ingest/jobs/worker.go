package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
	"time"
)

// Handler does one job. It reports progress with report (which is also a heartbeat) and must
// return soon after ctx is done: the job was cancelled, or the worker is shutting down. A nil
// error completes the job; an error fails it (and retries it unless Permanent).
type Handler func(ctx context.Context, j Job, report func(context.Context, Progress) error) error

// WorkerOptions tunes a Worker; zero values take the defaults.
type WorkerOptions struct {
	Name        string        // unique among the workers sharing the queue; default host-pid
	Concurrency int           // jobs run at once; default 2
	Poll        time.Duration // wait before asking again when no job is due; default 1s
	Heartbeat   time.Duration // how often a running job's heartbeat is recorded; default 10s
	// StaleAfter is how old a running job's heartbeat may get before the job is taken to have lost
	// its worker and queued again; default 6 heartbeats.
	StaleAfter time.Duration
}

// Worker claims jobs of the kinds it has handlers for and runs them, Concurrency at a time.
type Worker struct {
	q        *Queue
	handlers map[string]Handler
	kinds    []string
	log      *slog.Logger
	opts     WorkerOptions
}

// NewWorker returns a worker running handlers (by job kind) from q.
func NewWorker(q *Queue, handlers map[string]Handler, log *slog.Logger, opts WorkerOptions) *Worker {
	if opts.Name == "" {
		host, _ := os.Hostname()
		opts.Name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 2
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 10 * time.Second
	}
	if opts.StaleAfter <= opts.Heartbeat {
		opts.StaleAfter = 6 * opts.Heartbeat
	}
	return &Worker{q: q, handlers: handlers, kinds: slices.Sorted(maps.Keys(handlers)), log: log.With("worker", opts.Name), opts: opts}
}

// Name is the worker's name, recorded on the jobs it runs.
func (w *Worker) Name() string { return w.opts.Name }

// Run works until ctx is done, then puts the jobs it was running back in the queue for another
// worker and returns nil.
func (w *Worker) Run(ctx context.Context) error {
	if len(w.kinds) == 0 {
		return errors.New("worker: no handlers")
	}
	w.log.InfoContext(ctx, "worker started", "kinds", w.kinds, "concurrency", w.opts.Concurrency)
	var wg sync.WaitGroup
	for range w.opts.Concurrency {
		wg.Go(func() { w.loop(ctx) })
	}
	wg.Go(func() { w.recoverLoop(ctx) })
	wg.Wait()
	w.log.Info("worker stopped")
	return nil
}

func (w *Worker) loop(ctx context.Context) {
	for ctx.Err() == nil {
		j, err := w.q.Claim(ctx, w.opts.Name, w.kinds)
		if err != nil {
			if !errors.Is(err, ErrNoJob) && ctx.Err() == nil {
				w.log.ErrorContext(ctx, "claim", "err", err)
			}
			sleep(ctx, w.opts.Poll)
			continue
		}
		w.run(ctx, j)
	}
}

// recoverLoop queues again the jobs of workers that died, whichever worker notices first.
func (w *Worker) recoverLoop(ctx context.Context) {
	for {
		n, err := w.q.Recover(ctx, w.opts.StaleAfter)
		if err != nil && ctx.Err() == nil {
			w.log.ErrorContext(ctx, "recover stale jobs", "err", err)
		}
		if n > 0 {
			w.log.WarnContext(ctx, "queued again the jobs of a worker that stopped responding", "jobs", n)
		}
		if !sleep(ctx, w.opts.StaleAfter/2) {
			return
		}
	}
}

// run runs one claimed job to its end: done, failed, lost or released.
func (w *Worker) run(ctx context.Context, j Job) {
	log := w.log.With("job", j.ID, "kind", j.Kind, "attempt", j.Attempts)
	log.InfoContext(ctx, "job started")
	start := time.Now()
	jctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lost := func(err error) {
		if errors.Is(err, ErrLost) {
			cancel(err)
		}
	}
	beats := make(chan struct{})
	go func() {
		defer close(beats)
		t := time.NewTicker(w.opts.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-jctx.Done():
				return
			case <-t.C:
				if err := w.q.Heartbeat(jctx, j); err != nil && jctx.Err() == nil {
					log.WarnContext(ctx, "heartbeat", "err", err)
					lost(err)
				}
			}
		}
	}()
	report := func(rctx context.Context, p Progress) error {
		err := w.q.Report(rctx, j, p)
		lost(err)
		return err
	}
	err := call(jctx, w.handlers[j.Kind], j, report)
	cancel(nil)
	<-beats

	// The job's end is recorded even when the worker is stopping.
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer fcancel()
	took := time.Since(start).Round(time.Millisecond)
	switch {
	case errors.Is(context.Cause(jctx), ErrLost):
		log.WarnContext(ctx, "job stopped: cancelled, or taken over after a missed heartbeat", "took", took)
	case err == nil:
		if err := w.q.Complete(fctx, j); err != nil {
			log.ErrorContext(ctx, "complete job", "err", err)
			return
		}
		log.InfoContext(ctx, "job done", "took", took)
	case ctx.Err() != nil:
		if err := w.q.Release(fctx, j); err != nil {
			log.ErrorContext(fctx, "release job", "err", err)
			return
		}
		log.InfoContext(fctx, "job released: the worker is stopping", "took", took)
	default:
		if ferr := w.q.Fail(fctx, j, err); ferr != nil {
			log.ErrorContext(ctx, "fail job", "err", ferr, "cause", err)
			return
		}
		log.WarnContext(ctx, "job failed", "err", err, "took", took, "attempts_left", j.MaxAttempts-j.Attempts)
	}
}

// call runs h, turning a panic into the job's error so one bad job does not stop the worker.
func call(ctx context.Context, h Handler, j Job, report func(context.Context, Progress) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = Permanent(fmt.Errorf("job %d (%s) panicked: %v", j.ID, j.Kind, r))
		}
	}()
	return h(ctx, j, report)
}

// sleep waits d or until ctx is done; it reports whether the wait ran its course.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
