package store

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Source statuses. Only vetted sources are crawled and searched.
const (
	StatusProposed = "proposed"
	StatusVetted   = "vetted"
	StatusPaused   = "paused"
)

// Source is a vetted (or proposed, or paused) agency website Lots may learn from.
type Source struct {
	ID              int64
	Name            string
	Agency          string
	StartURLs       []string
	SitemapURLs     []string
	AllowedPrefixes []string
	Languages       []string
	RecrawlInterval time.Duration
	CrawlDelay      time.Duration
	Concurrency     int
	Local           bool // may be crawled on loopback and private addresses
	Status          string
	LastCrawl       time.Time // zero if never finished
	Pages           int
}

var (
	//go:embed queries/upsert_source.sql
	upsertSourceSQL string
	//go:embed queries/list_sources.sql
	listSourcesSQL string
)

// UpsertSource adds a source or updates its settings by name. A new source gets the given
// status; an existing one keeps its status (vetting is a separate, deliberate step).
func (s *Store) UpsertSource(ctx context.Context, src Source) (Source, error) {
	status := src.Status
	if status == "" {
		status = StatusProposed
	}
	err := s.pool.QueryRow(ctx, upsertSourceSQL, src.Name, src.Agency, nonNil(src.StartURLs), nonNil(src.SitemapURLs),
		nonNil(src.AllowedPrefixes), nonNil(src.Languages), src.RecrawlInterval.Seconds(), src.CrawlDelay.Seconds(),
		src.Concurrency, src.Local, status).Scan(&src.ID, &src.Status)
	if err != nil {
		return src, fmt.Errorf("upsert source %s: %w", src.Name, err)
	}
	return src, nil
}

// Sources lists every source, by name.
func (s *Store) Sources(ctx context.Context) ([]Source, error) {
	return s.sources(ctx, "")
}

// SourceByName returns one source, or ErrNotFound.
func (s *Store) SourceByName(ctx context.Context, name string) (Source, error) {
	if name == "" {
		return Source{}, fmt.Errorf("source %q: %w", name, ErrNotFound)
	}
	srcs, err := s.sources(ctx, name)
	if err != nil {
		return Source{}, err
	}
	if len(srcs) == 0 {
		return Source{}, fmt.Errorf("source %q: %w", name, ErrNotFound)
	}
	return srcs[0], nil
}

func (s *Store) sources(ctx context.Context, name string) ([]Source, error) {
	rows, err := s.pool.Query(ctx, listSourcesSQL, name)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	srcs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Source, error) {
		var src Source
		var recrawl, delay float64
		var last *time.Time
		err := row.Scan(&src.ID, &src.Name, &src.Agency, &src.StartURLs, &src.SitemapURLs, &src.AllowedPrefixes,
			&src.Languages, &recrawl, &delay, &src.Concurrency, &src.Local, &src.Status, &last, &src.Pages)
		src.RecrawlInterval = time.Duration(recrawl * float64(time.Second))
		src.CrawlDelay = time.Duration(delay * float64(time.Second))
		if last != nil {
			src.LastCrawl = *last
		}
		return src, err
	})
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return srcs, nil
}

// SetSourceStatus vets, pauses or re-proposes a source by name.
func (s *Store) SetSourceStatus(ctx context.Context, name, status string) error {
	switch status {
	case StatusProposed, StatusVetted, StatusPaused:
	default:
		return fmt.Errorf("set status of %s: unknown status %q", name, status)
	}
	tag, err := s.pool.Exec(ctx, "UPDATE sources SET status = $2, updated_at = now() WHERE name = $1", name, status)
	if err != nil {
		return fmt.Errorf("set status of %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("source %q: %w", name, ErrNotFound)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
