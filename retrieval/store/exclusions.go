package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Exclusion is a page a steward keeps out of the index.
type Exclusion struct {
	URL       string
	SourceID  int64 // 0 when no source's prefixes hold the URL
	Source    string
	Note      string
	CreatedBy string
	CreatedAt time.Time
}

// Exclude keeps the page at url out of the index: it is removed with its chunks, its pending
// changes are rejected, and crawls skip it until Include. Excluding again updates the note.
func (s *Store) Exclude(ctx context.Context, url, note, by string) (Exclusion, error) {
	x := Exclusion{URL: url, Note: note, CreatedBy: by}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id, name FROM sources s WHERE
			EXISTS (SELECT 1 FROM pages p WHERE p.url = $1 AND p.source_id = s.id)
			OR EXISTS (SELECT 1 FROM unnest(s.allowed_prefixes) AS pre WHERE starts_with($1, pre))
			ORDER BY EXISTS (SELECT 1 FROM pages p WHERE p.url = $1 AND p.source_id = s.id) DESC, id LIMIT 1`, url).
			Scan(&x.SourceID, &x.Source)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO page_exclusions (url, source_id, note, created_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (url) DO UPDATE SET note = excluded.note RETURNING created_by, created_at`,
			url, nullID(x.SourceID), note, by).Scan(&x.CreatedBy, &x.CreatedAt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM pages WHERE url = $1", url); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE page_changes SET state = 'rejected', reviewed_by = $2, reviewed_at = now(),
			note = 'excluded: ' || $3, held = NULL WHERE url = $1 AND state = 'pending'`, url, by, note); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE crawl_urls SET state = 'skipped', error_kind = 'excluded',
			last_error = 'excluded by a steward', updated_at = now() WHERE url = $1`, url)
		return err
	})
	if err != nil {
		return x, fmt.Errorf("exclude %s: %w", url, err)
	}
	return x, nil
}

// Include undoes Exclude: the next crawl of the page's source fetches it again.
func (s *Store) Include(ctx context.Context, url string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM page_exclusions WHERE url = $1", url)
		if err != nil {
			return fmt.Errorf("include %s: %w", url, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("include %s: exclusion %w", url, ErrNotFound)
		}
		_, err = tx.Exec(ctx, `UPDATE crawl_urls SET state = 'pending', error_kind = NULL, last_error = NULL,
			attempts = 0, updated_at = now() WHERE url = $1 AND error_kind = 'excluded'`, url)
		if err != nil {
			return fmt.Errorf("include %s: %w", url, err)
		}
		return nil
	})
}

// Exclusions lists the excluded pages of a source (0: of all sources), by URL.
func (s *Store) Exclusions(ctx context.Context, sourceID int64) ([]Exclusion, error) {
	rows, err := s.pool.Query(ctx, `SELECT x.url, coalesce(x.source_id, 0), coalesce(s.name, ''), x.note, x.created_by, x.created_at
		FROM page_exclusions x LEFT JOIN sources s ON s.id = x.source_id
		WHERE $1 = 0 OR x.source_id = $1 ORDER BY x.url`, sourceID)
	if err != nil {
		return nil, fmt.Errorf("list exclusions: %w", err)
	}
	xs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Exclusion])
	if err != nil {
		return nil, fmt.Errorf("list exclusions: %w", err)
	}
	return xs, nil
}

// ExcludedURLs returns the set of excluded URLs a crawl of the source must skip.
func (s *Store) ExcludedURLs(ctx context.Context, sourceID int64) (map[string]bool, error) {
	set, err := s.urlSet(ctx, "SELECT url FROM page_exclusions WHERE source_id = $1 OR source_id IS NULL", sourceID)
	if err != nil {
		return nil, fmt.Errorf("excluded urls of source %d: %w", sourceID, err)
	}
	return set, nil
}
