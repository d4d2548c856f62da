package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// StatusRetired is a source no longer crawled or searched, its pages gone from the index.
const StatusRetired = "retired"

// RunSummary is one crawl run of a source and its counts.
type RunSummary struct {
	ID                                  int64
	StartedAt                           time.Time
	FinishedAt                          time.Time // zero while the run is open
	Fetched, Unchanged, Removed, Failed int
	Held                                int
}

// SourceOverview is what the stewards' console shows of a source besides its settings.
type SourceOverview struct {
	SourceID        int64
	RequireApproval bool
	LastRun         RunSummary // zero ID if never crawled
	PagesByLanguage map[string]int
	ErrorsByKind    map[string]int // URLs of the current (or last) run refused, failed or gone, by kind
	PendingChanges  int
	Exclusions      int
}

// URLError is a URL of a source's frontier that was refused, failed or gone, and why.
type URLError struct {
	URL       string
	State     string // failed, skipped or gone
	Kind      string // FailRobots, FailTimeout, ...
	Reason    string
	UpdatedAt time.Time
}

//go:embed queries/source_overview.sql
var sourceOverviewSQL string

// SourceOverviews returns the overview of every source, by source id.
func (s *Store) SourceOverviews(ctx context.Context) (map[int64]SourceOverview, error) {
	rows, err := s.pool.Query(ctx, sourceOverviewSQL)
	if err != nil {
		return nil, fmt.Errorf("source overviews: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (SourceOverview, error) {
		var o SourceOverview
		var started, finished *time.Time
		err := row.Scan(&o.SourceID, &o.RequireApproval, &o.LastRun.ID, &started, &finished, &o.LastRun.Fetched,
			&o.LastRun.Unchanged, &o.LastRun.Removed, &o.LastRun.Failed, &o.LastRun.Held, &o.PagesByLanguage, &o.ErrorsByKind,
			&o.PendingChanges, &o.Exclusions)
		if started != nil {
			o.LastRun.StartedAt = *started
		}
		if finished != nil {
			o.LastRun.FinishedAt = *finished
		}
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("source overviews: %w", err)
	}
	out := make(map[int64]SourceOverview, len(list))
	for _, o := range list {
		out[o.SourceID] = o
	}
	return out, nil
}

// Runs lists a source's crawl runs, newest first.
func (s *Store) Runs(ctx context.Context, sourceID int64, limit int) ([]RunSummary, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, started_at, finished_at, fetched, unchanged, removed, failed, held
		FROM crawl_runs WHERE source_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2`, sourceID, max(limit, 1))
	if err != nil {
		return nil, fmt.Errorf("runs of source %d: %w", sourceID, err)
	}
	runs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (RunSummary, error) {
		var r RunSummary
		var finished *time.Time
		err := row.Scan(&r.ID, &r.StartedAt, &finished, &r.Fetched, &r.Unchanged, &r.Removed, &r.Failed, &r.Held)
		if finished != nil {
			r.FinishedAt = *finished
		}
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("runs of source %d: %w", sourceID, err)
	}
	return runs, nil
}

// URLErrors lists up to limit URLs of the source that were refused, failed or gone, by kind and URL.
func (s *Store) URLErrors(ctx context.Context, sourceID int64, limit int) ([]URLError, error) {
	rows, err := s.pool.Query(ctx, `SELECT url, state, error_kind, coalesce(last_error, ''), updated_at FROM crawl_urls
		WHERE source_id = $1 AND error_kind IS NOT NULL ORDER BY error_kind, url LIMIT $2`, sourceID, max(limit, 1))
	if err != nil {
		return nil, fmt.Errorf("url errors of source %d: %w", sourceID, err)
	}
	errs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[URLError])
	if err != nil {
		return nil, fmt.Errorf("url errors of source %d: %w", sourceID, err)
	}
	return errs, nil
}

// RequiresApproval reports whether the source's changes wait for a steward.
func (s *Store) RequiresApproval(ctx context.Context, sourceID int64) (bool, error) {
	var on bool
	if err := s.pool.QueryRow(ctx, "SELECT require_approval FROM sources WHERE id = $1", sourceID).Scan(&on); err != nil {
		return false, fmt.Errorf("require_approval of source %d: %w", sourceID, err)
	}
	return on, nil
}

// SetRequireApproval says whether the named source's changes wait for a steward.
func (s *Store) SetRequireApproval(ctx context.Context, name string, on bool) error {
	tag, err := s.pool.Exec(ctx, "UPDATE sources SET require_approval = $2, updated_at = now() WHERE name = $1", name, on)
	if err != nil {
		return fmt.Errorf("set require_approval of %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("source %q: %w", name, ErrNotFound)
	}
	return nil
}

// RetireSource stops crawling and searching a source for good: its pages leave the index, its
// open run is closed and its pending changes are rejected. It returns how many pages it removed.
func (s *Store) RetireSource(ctx context.Context, name, by string) (int64, error) {
	var removed int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, "UPDATE sources SET status = 'retired', updated_at = now() WHERE name = $1 RETURNING id", name).Scan(&id)
		if err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("source %q: %w", name, ErrNotFound)
			}
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM pages WHERE source_id = $1", id)
		if err != nil {
			return err
		}
		removed = tag.RowsAffected()
		if _, err := tx.Exec(ctx, "UPDATE crawl_runs SET finished_at = now() WHERE source_id = $1 AND finished_at IS NULL", id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE page_changes SET state = 'rejected', reviewed_by = $2, reviewed_at = now(),
			note = 'source retired', held = NULL WHERE source_id = $1 AND state = 'pending'`, id, by)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("retire %s: %w", name, err)
	}
	return removed, nil
}
