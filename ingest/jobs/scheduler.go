package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Plan says which jobs are due now, e.g. the recrawls of sources whose last crawl is older than
// their recrawl interval. Give each job a Key, so that a job already queued or running (perhaps
// enqueued by the scheduler of another process) is not enqueued twice.
type Plan func(ctx context.Context) ([]Job, error)

// Scheduler enqueues the jobs its plans say are due, every interval.
type Scheduler struct {
	q     *Queue
	log   *slog.Logger
	every time.Duration
	plans []Plan
}

// NewScheduler returns a scheduler that consults plans every interval (default one minute).
func NewScheduler(q *Queue, log *slog.Logger, every time.Duration, plans ...Plan) *Scheduler {
	if every <= 0 {
		every = time.Minute
	}
	return &Scheduler{q: q, log: log, every: every, plans: plans}
}

// Tick consults every plan once and enqueues the due jobs; it returns how many it enqueued. A
// plan that fails does not keep the others from running.
func (s *Scheduler) Tick(ctx context.Context) (int, error) {
	var errs []error
	n := 0
	for _, plan := range s.plans {
		due, err := plan(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, j := range due {
			id, err := s.q.Enqueue(ctx, j)
			switch {
			case errors.Is(err, ErrDuplicate):
			case err != nil:
				errs = append(errs, err)
			default:
				n++
				s.log.InfoContext(ctx, "scheduled", "job", id, "kind", j.Kind, "key", j.Key)
			}
		}
	}
	return n, errors.Join(errs...)
}

// Run ticks at once and then every interval until ctx is done.
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "schedule", "err", err)
		}
		if !sleep(ctx, s.every) {
			return nil
		}
	}
}
