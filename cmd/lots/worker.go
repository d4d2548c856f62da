package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"strconv"
	"time"

	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/jobs"
)

// workerFlags are the flags of lots worker.
type workerFlags struct {
	name        string
	concurrency int
	schedule    bool
	every       time.Duration
}

// bindWorker registers the flags of lots worker.
func bindWorker(fs *flag.FlagSet) *workerFlags {
	f := &workerFlags{}
	fs.StringVar(&f.name, "name", env("LOTS_WORKER_NAME", ""), "this worker's name, unique among the machines sharing the queue; default host-pid (env LOTS_WORKER_NAME)")
	concurrency, _ := strconv.Atoi(env("LOTS_WORKER_CONCURRENCY", "2"))
	fs.IntVar(&f.concurrency, "concurrency", concurrency, "jobs run at once (env LOTS_WORKER_CONCURRENCY)")
	fs.BoolVar(&f.schedule, "schedule", true, "also enqueue the recrawls that are due (any number of workers may)")
	fs.DurationVar(&f.every, "schedule-every", time.Minute, "how often to look for due recrawls")
	return f
}

func (a *app) newQueue() *jobs.Queue { return jobs.NewQueue(a.store.Pool(), jobs.QueueOptions{}) }

// newManager manages the sources, queueing their recrawls on q.
func (a *app) newManager(q *jobs.Queue) *ingest.Manager {
	return ingest.NewManager(a.store, a.newCrawler(), q, a.log)
}

// worker runs the job worker, and the scheduler of recrawls, until interrupted. It runs the
// ingest side's jobs and those of more (other packages' job kinds, wired in by main).
func (a *app) worker(ctx context.Context, f workerFlags, more map[string]jobs.Handler, out io.Writer) error {
	if f.concurrency < 1 || f.concurrency > 64 {
		return fmt.Errorf("worker: --concurrency must be 1 to 64, not %d", f.concurrency)
	}
	if err := a.checkSchema(ctx); err != nil {
		return err
	}
	q := a.newQueue()
	m := a.newManager(q)
	handlers := m.Handlers()
	maps.Copy(handlers, more)
	w := jobs.NewWorker(q, handlers, a.log, jobs.WorkerOptions{Name: f.name, Concurrency: f.concurrency})
	fmt.Fprintf(out, "worker %s is running %d jobs at a time (Ctrl-C stops it)\n", w.Name(), f.concurrency)
	errs := make(chan error, 2)
	go func() { errs <- w.Run(ctx) }()
	running := 1
	if f.schedule {
		s := jobs.NewScheduler(q, a.log, f.every, m.DueRecrawls)
		go func() { errs <- s.Run(ctx) }()
		running++
	}
	var err error
	for range running {
		err = errors.Join(err, <-errs)
	}
	return err
}

// sourcesRecrawl queues a crawl of one source now: lots sources recrawl NAME.
func (a *app) sourcesRecrawl(ctx context.Context, args []string, out io.Writer) error {
	if len(args) != 1 {
		return errors.New("sources recrawl: name one source")
	}
	id, err := a.newManager(a.newQueue()).Recrawl(ctx, args[0], "cli")
	if errors.Is(err, jobs.ErrDuplicate) {
		fmt.Fprintf(out, "%s: a recrawl is already queued or running (job %d)\n", args[0], id)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: recrawl queued as job %d; lots worker runs it\n", args[0], id)
	return nil
}

// jobsCommand lists, cancels or retries jobs: lots jobs list [--state S] [--kind K] [--limit N],
// lots jobs cancel ID, lots jobs retry ID.
func (a *app) jobsCommand(ctx context.Context, args []string, out, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("jobs: say list, cancel or retry")
	}
	if err := a.checkSchema(ctx); err != nil {
		return err
	}
	q := a.newQueue()
	switch args[0] {
	case "list":
		fs := flag.NewFlagSet("lots jobs list", flag.ContinueOnError)
		fs.SetOutput(stderr)
		state := fs.String("state", "", "only jobs in this state (queued, running, done, failed, cancelled)")
		kind := fs.String("kind", "", "only jobs of this kind (e.g. recrawl)")
		limit := fs.Int("limit", 50, "at most this many, newest first")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		f := jobs.Filter{Limit: *limit}
		if *state != "" {
			f.States = []string{*state}
		}
		if *kind != "" {
			f.Kinds = []string{*kind}
		}
		list, err := q.List(ctx, f)
		if err != nil {
			return err
		}
		return printJobs(out, list)
	case "cancel", "retry":
		if len(args) != 2 {
			return fmt.Errorf("jobs %s: give one job id", args[0])
		}
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			return fmt.Errorf("jobs %s: %q is not a job id", args[0], args[1])
		}
		if args[0] == "cancel" {
			err = q.Cancel(ctx, id)
		} else {
			err = q.Retry(ctx, id)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "job %d: %s\n", id, map[string]string{"cancel": "cancelled", "retry": "queued again"}[args[0]])
		return nil
	default:
		return fmt.Errorf("jobs: unknown subcommand %q (list, cancel, retry)", args[0])
	}
}

func printJobs(out io.Writer, list []jobs.Job) error {
	return writeTable(out, list, "", "ID\tKIND\tKEY\tSTATE\tATTEMPTS\tPROGRESS\tWORKER\tCREATED\tERROR", func(j jobs.Job) string {
		progress := "-"
		if j.Progress.Total > 0 {
			progress = fmt.Sprintf("%d/%d", j.Progress.Done, j.Progress.Total)
		}
		return fmt.Sprintf("%d\t%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\t%s", j.ID, j.Kind, j.Key, j.State, j.Attempts, j.MaxAttempts,
			progress, cmp.Or(j.LockedBy, "-"), j.CreatedAt.Local().Format(time.DateTime), j.Error)
	})
}
