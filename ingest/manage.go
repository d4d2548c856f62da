package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval/store"
)

// KindRecrawl is the job kind that crawls one source; its args are {"source": name}.
const KindRecrawl = "recrawl"

// ErrSourceExists means a source of that name is already registered.
var ErrSourceExists = errors.New("a source of that name exists")

// Manager is what the stewards' console drives on the ingest side: the sources and their
// crawls, change review and exclusions.
type Manager struct {
	store   *store.Store
	crawler *Crawler
	queue   *jobs.Queue
	log     *slog.Logger
}

// NewManager returns a Manager crawling with c and queueing recrawls on q.
func NewManager(st *store.Store, c *Crawler, q *jobs.Queue, log *slog.Logger) *Manager {
	return &Manager{store: st, crawler: c, queue: q, log: log}
}

// SourceStatus is a source as the console shows it: its settings, its crawl and what it holds.
type SourceStatus struct {
	store.Source
	RequireApproval bool
	Job             *jobs.Job        // the queued or running recrawl, if any, with its progress
	LastRun         store.RunSummary // zero ID if never crawled
	PagesByLanguage map[string]int
	ErrorsByKind    map[string]int   // URLs refused, failed or gone in the current (or last) run, by kind
	Errors          []store.URLError // filled by Status only, up to 500
	PendingChanges  int
	Exclusions      int
}

// Statuses lists every source, by name, with its crawl status.
func (m *Manager) Statuses(ctx context.Context) ([]SourceStatus, error) {
	srcs, err := m.store.Sources(ctx)
	if err != nil {
		return nil, err
	}
	overviews, err := m.store.SourceOverviews(ctx)
	if err != nil {
		return nil, err
	}
	active, err := m.queue.List(ctx, jobs.Filter{Kinds: []string{KindRecrawl}, States: []string{jobs.StateQueued, jobs.StateRunning}, Limit: 10000})
	if err != nil {
		return nil, err
	}
	byKey := map[string]*jobs.Job{}
	for i := range active {
		byKey[active[i].Key] = &active[i]
	}
	out := make([]SourceStatus, 0, len(srcs))
	for _, src := range srcs {
		o := overviews[src.ID]
		out = append(out, SourceStatus{Source: src, RequireApproval: o.RequireApproval, Job: byKey[recrawlKey(src.Name)],
			LastRun: o.LastRun, PagesByLanguage: o.PagesByLanguage, ErrorsByKind: o.ErrorsByKind,
			PendingChanges: o.PendingChanges, Exclusions: o.Exclusions})
	}
	return out, nil
}

// Status returns one source's status with the URLs of its current (or last) run that were
// refused, failed or gone.
func (m *Manager) Status(ctx context.Context, name string) (SourceStatus, error) {
	all, err := m.Statuses(ctx)
	if err != nil {
		return SourceStatus{}, err
	}
	for _, s := range all {
		if s.Name == name {
			s.Errors, err = m.store.URLErrors(ctx, s.ID, 500)
			return s, err
		}
	}
	return SourceStatus{}, fmt.Errorf("source %q: %w", name, store.ErrNotFound)
}

// AddSource registers a new source, validated as sources.yaml entries are; it starts as
// proposed unless src.Status says vetted or paused.
func (m *Manager) AddSource(ctx context.Context, src store.Source, requireApproval bool) (store.Source, error) {
	src, err := ValidateSource(src)
	if err != nil {
		return src, err
	}
	if _, err := m.store.SourceByName(ctx, src.Name); err == nil {
		return src, fmt.Errorf("add source %s: %w", src.Name, ErrSourceExists)
	} else if !errors.Is(err, store.ErrNotFound) {
		return src, err
	}
	saved, err := m.store.UpsertSource(ctx, src)
	if err != nil {
		return src, err
	}
	src.ID, src.Status = saved.ID, saved.Status
	return src, m.store.SetRequireApproval(ctx, src.Name, requireApproval)
}

// EditSource changes the settings of the named source (not its name or status). Pages outside
// new allowed prefixes leave the index at its next crawl.
func (m *Manager) EditSource(ctx context.Context, name string, src store.Source, requireApproval bool) (store.Source, error) {
	old, err := m.store.SourceByName(ctx, name)
	if err != nil {
		return src, err
	}
	if src.Name != "" && src.Name != name {
		return src, fmt.Errorf("edit source %s: a source cannot be renamed", name)
	}
	src.Name, src.Status = name, old.Status
	if old.Status == store.StatusRetired {
		src.Status = store.StatusPaused // passes validation; UpsertSource keeps the stored status
	}
	if src, err = ValidateSource(src); err != nil {
		return src, err
	}
	saved, err := m.store.UpsertSource(ctx, src)
	if err != nil {
		return src, err
	}
	src.ID, src.Status = saved.ID, saved.Status
	return src, m.store.SetRequireApproval(ctx, name, requireApproval)
}

// Vet lets a source into crawling and search (also a paused or retired one).
func (m *Manager) Vet(ctx context.Context, name string) error {
	return m.store.SetSourceStatus(ctx, name, store.StatusVetted)
}

// Pause takes a source out of crawling and search; its pages stay for when it is vetted again.
func (m *Manager) Pause(ctx context.Context, name string) error {
	return m.store.SetSourceStatus(ctx, name, store.StatusPaused)
}

// Retire stops crawling a source for good and removes its pages from the index; a queued
// recrawl is cancelled (a running one stops at its next heartbeat). It returns how many pages
// it removed.
func (m *Manager) Retire(ctx context.Context, name, by string) (int64, error) {
	removed, err := m.store.RetireSource(ctx, name, by)
	if err != nil {
		return 0, err
	}
	active, err := m.queue.List(ctx, jobs.Filter{Key: recrawlKey(name), States: []string{jobs.StateQueued, jobs.StateRunning}})
	if err != nil {
		return removed, err
	}
	for _, j := range active {
		if err := m.queue.Cancel(ctx, j.ID); err != nil && !errors.Is(err, jobs.ErrFinished) {
			return removed, err
		}
	}
	m.log.InfoContext(ctx, "source retired", "source", name, "pages_removed", removed)
	return removed, nil
}

// recrawlArgs are the arguments of a recrawl job.
type recrawlArgs struct {
	Source string `json:"source"`
}

func recrawlKey(name string) string { return KindRecrawl + ":" + name }

func recrawlJob(name, by string) jobs.Job {
	args, _ := json.Marshal(recrawlArgs{Source: name})
	return jobs.Job{Kind: KindRecrawl, Args: args, Key: recrawlKey(name), CreatedBy: by}
}

// Recrawl queues a crawl of a vetted source now. When one is queued or running already, its id
// comes back with jobs.ErrDuplicate.
func (m *Manager) Recrawl(ctx context.Context, name, by string) (int64, error) {
	src, err := m.store.SourceByName(ctx, name)
	if err != nil {
		return 0, err
	}
	if src.Status != store.StatusVetted {
		return 0, fmt.Errorf("recrawl %s: %w (status %s)", name, ErrNotVetted, src.Status)
	}
	return m.queue.Enqueue(ctx, recrawlJob(name, by))
}

// Handlers are the job handlers of the ingest side, for the worker.
func (m *Manager) Handlers() map[string]jobs.Handler {
	return map[string]jobs.Handler{KindRecrawl: m.HandleRecrawl}
}

// HandleRecrawl is the handler of recrawl jobs: it crawls the source, reporting the frontier
// URLs dealt with out of those known.
func (m *Manager) HandleRecrawl(ctx context.Context, j jobs.Job, report func(context.Context, jobs.Progress) error) error {
	var args recrawlArgs
	if err := json.Unmarshal(j.Args, &args); err != nil || args.Source == "" {
		return jobs.Permanent(fmt.Errorf("recrawl job %d: args must be {\"source\": name}: %s", j.ID, j.Args))
	}
	src, err := m.store.SourceByName(ctx, args.Source)
	if errors.Is(err, store.ErrNotFound) {
		return jobs.Permanent(err)
	}
	if err != nil {
		return err
	}
	if src.Status != store.StatusVetted {
		return jobs.Permanent(fmt.Errorf("recrawl %s: %w (status %s)", src.Name, ErrNotVetted, src.Status))
	}
	_, err = m.crawler.CrawlReporting(ctx, src, func(done, total int) {
		if err := report(ctx, jobs.Progress{Done: done, Total: total}); err != nil && ctx.Err() == nil {
			m.log.WarnContext(ctx, "report recrawl progress", "job", j.ID, "err", err)
		}
	})
	return err
}

// retryScheduledAfter is how long the scheduler leaves a source alone after its recrawl failed or
// was cancelled.
const retryScheduledAfter = time.Hour

// DueRecrawls is the scheduler's plan for crawls: a recrawl of every vetted source whose last
// finished crawl is older than its recrawl interval (or that was never crawled), unless its last
// recrawl failed or was cancelled within the hour.
func (m *Manager) DueRecrawls(ctx context.Context) ([]jobs.Job, error) {
	srcs, err := m.store.Sources(ctx)
	if err != nil {
		return nil, err
	}
	var due []jobs.Job
	for _, src := range srcs {
		if src.Status != store.StatusVetted || (!src.LastCrawl.IsZero() && time.Since(src.LastCrawl) < src.RecrawlInterval) {
			continue
		}
		last, err := m.queue.List(ctx, jobs.Filter{Key: recrawlKey(src.Name), Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(last) > 0 {
			j := last[0]
			if j.State == jobs.StateQueued || j.State == jobs.StateRunning {
				continue
			}
			if (j.State == jobs.StateFailed || j.State == jobs.StateCancelled) && time.Since(j.FinishedAt) < retryScheduledAfter {
				continue
			}
		}
		due = append(due, recrawlJob(src.Name, "scheduler"))
	}
	return due, nil
}
