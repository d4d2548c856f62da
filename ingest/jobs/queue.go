// Package jobs is a job queue in PostgreSQL, with the worker that runs its jobs and a scheduler
// that enqueues periodic ones. Any number of lots processes on any number of machines may work
// one queue: a job is claimed with SELECT ... FOR UPDATE SKIP LOCKED, its worker beats its heart
// while it runs, and a job whose worker died is queued again.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Job states.
const (
	StateQueued    = "queued"
	StateRunning   = "running"
	StateDone      = "done"
	StateFailed    = "failed"
	StateCancelled = "cancelled"
)

// Errors callers act on.
var (
	// ErrNoJob means no queued job of the asked kinds is due.
	ErrNoJob = errors.New("no job is due")
	// ErrNotFound means no job has the id.
	ErrNotFound = errors.New("job not found")
	// ErrDuplicate means a job with the same key is already queued or running.
	ErrDuplicate = errors.New("a job with this key is already queued or running")
	// ErrLost means the job is no longer this worker's: it was cancelled, or queued again after
	// its heartbeat stopped and perhaps claimed by another worker.
	ErrLost = errors.New("job is no longer held by this worker")
	// ErrFinished means the job is done, failed or cancelled already.
	ErrFinished = errors.New("job has finished")
)

// Job is one unit of work and its state.
type Job struct {
	ID          int64
	Kind        string
	Args        json.RawMessage // the handler's arguments, a JSON object
	Key         string          // at most one queued or running job has a given key; "" for no limit
	State       string
	RunAfter    time.Time
	Attempts    int // claims so far, the one running included
	MaxAttempts int
	LockedBy    string // the worker running it
	LockedAt    time.Time
	HeartbeatAt time.Time
	Progress    Progress
	Error       string // why the last attempt failed
	CreatedBy   string
	CreatedAt   time.Time
	FinishedAt  time.Time // zero until done, failed or cancelled
}

// Progress is how far a running job has come, for the console.
type Progress struct {
	Done    int    `json:"done"`
	Total   int    `json:"total"`
	Message string `json:"message,omitempty"`
}

// Filter selects jobs for List. Zero fields select everything.
type Filter struct {
	Kinds  []string
	States []string
	Key    string
	Limit  int // default 100
}

// QueueOptions tunes retries.
type QueueOptions struct {
	// RetryDelay is the wait before the first retry of a failed job; each later retry waits
	// twice as long as the one before, up to an hour. Default 30s.
	RetryDelay time.Duration
}

// Queue is the job queue in the jobs table. It is safe for concurrent use.
type Queue struct {
	pool *pgxpool.Pool
	opts QueueOptions
}

// NewQueue returns the queue in pool's database.
func NewQueue(pool *pgxpool.Pool, opts QueueOptions) *Queue {
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 30 * time.Second
	}
	return &Queue{pool: pool, opts: opts}
}

const jobColumns = `id, kind, args, coalesce(key, ''), state, run_after, attempts, max_attempts,
	coalesce(locked_by, ''), locked_at, heartbeat_at, progress, coalesce(error, ''), created_by, created_at, finished_at`

func scanJob(row pgx.Row) (Job, error) {
	var j Job
	var lockedAt, heartbeatAt, finishedAt *time.Time
	var progress []byte
	err := row.Scan(&j.ID, &j.Kind, &j.Args, &j.Key, &j.State, &j.RunAfter, &j.Attempts, &j.MaxAttempts,
		&j.LockedBy, &lockedAt, &heartbeatAt, &progress, &j.Error, &j.CreatedBy, &j.CreatedAt, &finishedAt)
	if err != nil {
		return j, err
	}
	for _, t := range []struct {
		from *time.Time
		to   *time.Time
	}{{lockedAt, &j.LockedAt}, {heartbeatAt, &j.HeartbeatAt}, {finishedAt, &j.FinishedAt}} {
		if t.from != nil {
			*t.to = *t.from
		}
	}
	if len(progress) > 0 {
		if err := json.Unmarshal(progress, &j.Progress); err != nil {
			return j, fmt.Errorf("progress of job %d: %w", j.ID, err)
		}
	}
	return j, nil
}

// Enqueue adds a job: j.Kind is required; j.Args (default {}), j.Key, j.RunAfter (default now),
// j.MaxAttempts (default 3) and j.CreatedBy are used, the rest is ignored. A job whose key is
// held by a queued or running job is not added: the other job's id comes back with ErrDuplicate.
func (q *Queue) Enqueue(ctx context.Context, j Job) (int64, error) {
	if j.Kind == "" {
		return 0, errors.New("enqueue: a job needs a kind")
	}
	args := j.Args
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	if !json.Valid(args) {
		return 0, fmt.Errorf("enqueue %s: args are not valid JSON", j.Kind)
	}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = 3
	}
	var runAfter *time.Time
	if !j.RunAfter.IsZero() {
		runAfter = &j.RunAfter
	}
	var key *string
	if j.Key != "" {
		key = &j.Key
	}
	var id int64
	err := q.pool.QueryRow(ctx, `INSERT INTO jobs (kind, args, key, run_after, max_attempts, created_by)
		VALUES ($1, $2, $3, coalesce($4, now()), $5, $6)
		ON CONFLICT (key) WHERE key IS NOT NULL AND state IN ('queued', 'running') DO NOTHING
		RETURNING id`, j.Kind, args, key, runAfter, j.MaxAttempts, j.CreatedBy).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		err = q.pool.QueryRow(ctx, `SELECT id FROM jobs WHERE key = $1 AND state IN ('queued', 'running')`, j.Key).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			// The other job finished in between: try once more.
			return q.Enqueue(ctx, j)
		}
		if err != nil {
			return 0, fmt.Errorf("enqueue %s: %w", j.Kind, err)
		}
		return id, fmt.Errorf("enqueue %s (%s): job %d: %w", j.Kind, j.Key, id, ErrDuplicate)
	}
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", j.Kind, err)
	}
	return id, nil
}

// claimSQL takes the oldest due job of the kinds; SKIP LOCKED lets concurrent claimers pass over
// a row another is taking instead of waiting for it, and never returns one row to two of them.
const claimSQL = `UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1,
	locked_at = now(), heartbeat_at = now(), progress = '{}'
WHERE id = (
	SELECT id FROM jobs
	WHERE state = 'queued' AND run_after <= now() AND kind = ANY($2::text[])
	ORDER BY run_after, id
	LIMIT 1
	FOR UPDATE SKIP LOCKED
)
RETURNING ` + jobColumns

// Claim takes the oldest due job of the given kinds for worker, or returns ErrNoJob. The
// returned Job is the lease: pass it to Heartbeat, Report, Complete, Fail and Release.
func (q *Queue) Claim(ctx context.Context, worker string, kinds []string) (Job, error) {
	j, err := scanJob(q.pool.QueryRow(ctx, claimSQL, worker, kinds))
	if errors.Is(err, pgx.ErrNoRows) {
		return j, ErrNoJob
	}
	if err != nil {
		return j, fmt.Errorf("claim job for %s: %w", worker, err)
	}
	return j, nil
}

// held is the condition that the claimed job is still the caller's: the same worker and the
// same attempt (a worker restarted under the same name must not finish its earlier attempt).
const held = `id = $1 AND state = 'running' AND locked_by = $2 AND attempts = $3`

func (q *Queue) update(ctx context.Context, what string, j Job, set string, args ...any) error {
	tag, err := q.pool.Exec(ctx, "UPDATE jobs SET "+set+" WHERE "+held, append([]any{j.ID, j.LockedBy, j.Attempts}, args...)...)
	if err != nil {
		return fmt.Errorf("%s job %d: %w", what, j.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s job %d: %w", what, j.ID, ErrLost)
	}
	return nil
}

// Heartbeat records that the claimed job's worker is alive. ErrLost means it should stop.
func (q *Queue) Heartbeat(ctx context.Context, j Job) error {
	return q.update(ctx, "heartbeat", j, "heartbeat_at = now()")
}

// Report records the claimed job's progress; it is a heartbeat too.
func (q *Queue) Report(ctx context.Context, j Job, p Progress) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("report job %d: %w", j.ID, err)
	}
	return q.update(ctx, "report", j, "progress = $4, heartbeat_at = now()", b)
}

// Complete marks the claimed job done.
func (q *Queue) Complete(ctx context.Context, j Job) error {
	return q.update(ctx, "complete", j, "state = 'done', finished_at = now(), error = NULL, locked_by = NULL")
}

// Fail records why the claimed job failed. It is queued again after a growing delay while it
// has attempts left and the error is not Permanent; otherwise it is failed for good.
func (q *Queue) Fail(ctx context.Context, j Job, cause error) error {
	retry := j.Attempts < j.MaxAttempts && !IsPermanent(cause)
	delay := q.opts.RetryDelay << min(max(j.Attempts-1, 0), 20)
	delay = min(delay, time.Hour)
	if !retry {
		return q.update(ctx, "fail", j, "state = 'failed', finished_at = now(), error = $4, locked_by = NULL", cause.Error())
	}
	return q.update(ctx, "fail", j, `state = 'queued', error = $4, locked_by = NULL,
		run_after = now() + make_interval(secs => $5)`, cause.Error(), delay.Seconds())
}

// Release puts the claimed job back in the queue without counting the attempt: its worker is
// shutting down, and another may take it at once.
func (q *Queue) Release(ctx context.Context, j Job) error {
	return q.update(ctx, "release", j, "state = 'queued', attempts = attempts - 1, locked_by = NULL, run_after = now()")
}

// Recover queues again the running jobs whose heartbeat is older than stale (their worker died),
// or fails those that have used all their attempts. It returns how many it recovered.
func (q *Queue) Recover(ctx context.Context, stale time.Duration) (int, error) {
	tag, err := q.pool.Exec(ctx, `UPDATE jobs SET
		state = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,
		finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE now() END,
		error = 'the worker ' || coalesce(locked_by, '') || ' stopped responding',
		locked_by = NULL, run_after = now()
		WHERE state = 'running' AND heartbeat_at < now() - make_interval(secs => $1)`, stale.Seconds())
	if err != nil {
		return 0, fmt.Errorf("recover stale jobs: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Cancel stops a queued or running job; a running job's worker notices at its next heartbeat.
func (q *Queue) Cancel(ctx context.Context, id int64) error {
	var state string
	err := q.pool.QueryRow(ctx, `WITH old AS (SELECT state FROM jobs WHERE id = $1 FOR UPDATE)
		UPDATE jobs SET state = CASE WHEN old.state IN ('queued', 'running') THEN 'cancelled' ELSE jobs.state END,
			finished_at = CASE WHEN old.state IN ('queued', 'running') THEN now() ELSE jobs.finished_at END
		FROM old WHERE jobs.id = $1 RETURNING old.state`, id).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("cancel job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("cancel job %d: %w", id, err)
	}
	if state != StateQueued && state != StateRunning {
		return fmt.Errorf("cancel job %d (%s): %w", id, state, ErrFinished)
	}
	return nil
}

// Retry queues a failed or cancelled job again with fresh attempts.
func (q *Queue) Retry(ctx context.Context, id int64) error {
	j, err := q.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("retry: %w", err)
	}
	if j.State != StateFailed && j.State != StateCancelled {
		return fmt.Errorf("retry job %d: it is %s, not failed or cancelled", id, j.State)
	}
	_, err = q.pool.Exec(ctx, `UPDATE jobs SET state = 'queued', attempts = 0, run_after = now(), finished_at = NULL,
		progress = '{}' WHERE id = $1 AND state IN ('failed', 'cancelled')`, id)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("retry job %d: %w", id, ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("retry job %d: %w", id, err)
	}
	return nil
}

// Get returns one job, or ErrNotFound.
func (q *Queue) Get(ctx context.Context, id int64) (Job, error) {
	j, err := scanJob(q.pool.QueryRow(ctx, "SELECT "+jobColumns+" FROM jobs WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return j, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return j, fmt.Errorf("job %d: %w", id, err)
	}
	return j, nil
}

// List returns the jobs the filter selects, newest first.
func (q *Queue) List(ctx context.Context, f Filter) ([]Job, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := q.pool.Query(ctx, "SELECT "+jobColumns+` FROM jobs
		WHERE (cardinality($1::text[]) = 0 OR kind = ANY($1))
		  AND (cardinality($2::text[]) = 0 OR state = ANY($2))
		  AND ($3 = '' OR key = $3)
		ORDER BY created_at DESC, id DESC LIMIT $4`, nonNil(f.Kinds), nonNil(f.States), f.Key, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	jobs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Job, error) { return scanJob(row) })
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return jobs, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// permanent marks an error that retrying cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so that Fail does not retry the job: retrying cannot help (bad arguments,
// a source that is not vetted).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was wrapped by Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// Prune deletes jobs that finished (done, failed or cancelled) longer ago than olderThan, so the
// queue does not grow without end; it returns how many went.
func (q *Queue) Prune(ctx context.Context, olderThan time.Duration) (int, error) {
	tag, err := q.pool.Exec(ctx, `DELETE FROM jobs WHERE state IN ('done', 'failed', 'cancelled')
		AND finished_at < now() - make_interval(secs => $1)`, olderThan.Seconds())
	if err != nil {
		return 0, fmt.Errorf("prune finished jobs: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
