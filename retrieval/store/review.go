package store

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Kinds of page change a crawl finds.
const (
	ChangeNew     = "new"
	ChangeChanged = "changed" // the page's title or text differs
	ChangeGone    = "gone"    // the page answered 404 or 410
)

// Review states of a page change.
const (
	ReviewLive     = "live"    // applied at once: the source does not require approval
	ReviewPending  = "pending" // held for a steward; the live page is as it was
	ReviewApproved = "approved"
	ReviewRejected = "rejected"
)

// ErrNotPending means a steward decided on a change that is not (or no longer) pending.
var ErrNotPending = errors.New("change is not pending")

// PageChange is a new, changed or gone page a crawl found, with its text before and after.
type PageChange struct {
	ID          int64
	RunID       int64 // 0 when the run has been deleted
	SourceID    int64
	Source      string // the source's name
	URL         string
	PageID      int64 // the live page when the change was found; 0 for a new page
	Kind        string
	Title       string
	Language    string
	OldText     string // empty in lists; see Store.Change
	NewText     string // empty in lists
	ContentHash []byte
	Held        *Page // the page as it would be saved, while pending
	State       string
	ReviewedBy  string
	ReviewedAt  time.Time
	Note        string
	CreatedAt   time.Time
}

// ChangeFilter selects changes; zero fields select everything.
type ChangeFilter struct {
	SourceID int64
	RunID    int64
	State    string
	Kind     string
	Limit    int // default 200
}

//go:embed queries/insert_change.sql
var insertChangeSQL string

// insertChange records ch in its state; a pending one replaces the change pending for its URL.
func insertChange(ctx context.Context, tx pgx.Tx, ch *PageChange) error {
	held, err := heldJSON(ch.Held)
	if err != nil {
		return err
	}
	if ch.State == ReviewLive {
		// A version held before the source stopped requiring approval is out of date now.
		if _, err := withdrawPending(ctx, tx, ch.URL); err != nil {
			return err
		}
	}
	err = tx.QueryRow(ctx, insertChangeSQL, nullID(ch.RunID), ch.SourceID, ch.URL, nullID(ch.PageID), ch.Kind, ch.Title,
		ch.Language, ch.OldText, ch.NewText, ch.ContentHash, held, ch.State).Scan(&ch.ID, &ch.CreatedAt)
	if err != nil {
		return fmt.Errorf("record %s change of %s: %w", ch.Kind, ch.URL, err)
	}
	return nil
}

func heldJSON(p *Page) ([]byte, error) {
	if p == nil {
		return nil, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("hold page %s: %w", p.URL, err)
	}
	return b, nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// HoldChange records a change of a source that requires approval as pending, leaving the live
// page as it is, and marks the frontier URL (done, or gone with reason for a gone page). A
// version already pending or rejected is not offered again: held is false then. A newer
// version replaces the pending one.
func (s *Store) HoldChange(ctx context.Context, frontierURL, reason string, ch *PageChange) (held bool, err error) {
	ch.State = ReviewPending
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var lastState, lastKind string
		var lastHash []byte
		err := tx.QueryRow(ctx, `SELECT state, kind, content_hash FROM page_changes WHERE url = $1 ORDER BY id DESC LIMIT 1`,
			ch.URL).Scan(&lastState, &lastKind, &lastHash)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("last change of %s: %w", ch.URL, err)
		}
		seen := (lastState == ReviewPending || lastState == ReviewRejected) && lastKind == ch.Kind && string(lastHash) == string(ch.ContentHash)
		if !seen {
			if err := insertChange(ctx, tx, ch); err != nil {
				return err
			}
			held = true
		}
		if ch.Kind == ChangeGone {
			return markURL(ctx, tx, ch.SourceID, frontierURL, URLGone, FailNotFound, reason)
		}
		return markURL(ctx, tx, ch.SourceID, frontierURL, URLDone, "", "")
	})
	return held, err
}

// HeldURLs returns the URLs of the source that have a change pending.
func (s *Store) HeldURLs(ctx context.Context, sourceID int64) (map[string]bool, error) {
	set, err := s.urlSet(ctx, "SELECT url FROM page_changes WHERE source_id = $1 AND state = 'pending'", sourceID)
	if err != nil {
		return nil, fmt.Errorf("held urls of source %d: %w", sourceID, err)
	}
	return set, nil
}

// urlSet runs a query of one text column and returns its values as a set.
func (s *Store) urlSet(ctx context.Context, query string, args ...any) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	urls, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(urls))
	for _, u := range urls {
		set[u] = true
	}
	return set, nil
}

// WithdrawPending drops the changes of url still pending: the site is back to the live version.
func (s *Store) WithdrawPending(ctx context.Context, url string) (int, error) {
	return withdrawPending(ctx, s.pool, url)
}

func withdrawPending(ctx context.Context, db execer, url string) (int, error) {
	tag, err := db.Exec(ctx, "DELETE FROM page_changes WHERE url = $1 AND state = 'pending'", url)
	if err != nil {
		return 0, fmt.Errorf("withdraw pending changes of %s: %w", url, err)
	}
	return int(tag.RowsAffected()), nil
}

const changeColumns = `c.id, coalesce(c.run_id, 0), c.source_id, s.name, c.url, coalesce(c.page_id, 0), c.kind, c.title,
	c.language, c.content_hash, c.state, coalesce(c.reviewed_by, ''), c.reviewed_at, c.note, c.created_at`

func scanChange(row pgx.Row, extra ...any) (PageChange, error) {
	var c PageChange
	var reviewed *time.Time
	err := row.Scan(append([]any{&c.ID, &c.RunID, &c.SourceID, &c.Source, &c.URL, &c.PageID, &c.Kind, &c.Title,
		&c.Language, &c.ContentHash, &c.State, &c.ReviewedBy, &reviewed, &c.Note, &c.CreatedAt}, extra...)...)
	if reviewed != nil {
		c.ReviewedAt = *reviewed
	}
	return c, err
}

// Changes lists changes without their texts, newest first.
func (s *Store) Changes(ctx context.Context, f ChangeFilter) ([]PageChange, error) {
	if f.Limit <= 0 {
		f.Limit = 200
	}
	rows, err := s.pool.Query(ctx, "SELECT "+changeColumns+` FROM page_changes c JOIN sources s ON s.id = c.source_id
		WHERE ($1 = 0 OR c.source_id = $1) AND ($2 = 0 OR c.run_id = $2) AND ($3 = '' OR c.state = $3)
		  AND ($4 = '' OR c.kind = $4)
		ORDER BY c.id DESC LIMIT $5`, f.SourceID, f.RunID, f.State, f.Kind, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	changes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (PageChange, error) { return scanChange(row) })
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	return changes, nil
}

// Change returns one change with its texts and held page, or ErrNotFound.
func (s *Store) Change(ctx context.Context, id int64) (PageChange, error) {
	var held []byte
	var oldText, newText string
	c, err := scanChange(s.pool.QueryRow(ctx, "SELECT "+changeColumns+`, c.old_text, c.new_text, c.held
		FROM page_changes c JOIN sources s ON s.id = c.source_id WHERE c.id = $1`, id), &oldText, &newText, &held)
	c.OldText, c.NewText = oldText, newText
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("change %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("change %d: %w", id, err)
	}
	if len(held) > 0 {
		c.Held = new(Page)
		if err := json.Unmarshal(held, c.Held); err != nil {
			return c, fmt.Errorf("change %d: held page: %w", id, err)
		}
	}
	return c, nil
}

// ApproveChange applies a pending change in one transaction: a gone page leaves the index, a new
// or changed one is saved (p, with its chunks embedded for ix) as the live page.
func (s *Store) ApproveChange(ctx context.Context, id int64, by string, p *Page, ix Index, agency string, chunks []Chunk) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var kind, url string
		err := tx.QueryRow(ctx, "SELECT kind, url FROM page_changes WHERE id = $1 AND state = 'pending' FOR UPDATE", id).Scan(&kind, &url)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("approve change %d: %w", id, ErrNotPending)
		}
		if err != nil {
			return fmt.Errorf("approve change %d: %w", id, err)
		}
		var pageID *int64
		switch {
		case kind == ChangeGone:
			if _, err := tx.Exec(ctx, "DELETE FROM pages WHERE url = $1", url); err != nil {
				return fmt.Errorf("approve change %d: remove %s: %w", id, url, err)
			}
		case p == nil:
			return fmt.Errorf("approve change %d: no page to save", id)
		default:
			saved, err := savePage(ctx, tx, *p, ix, agency, chunks)
			if err != nil {
				return fmt.Errorf("approve change %d: %w", id, err)
			}
			pageID = &saved
		}
		_, err = tx.Exec(ctx, `UPDATE page_changes SET state = 'approved', reviewed_by = $2, reviewed_at = now(), held = NULL,
			page_id = coalesce($3, page_id) WHERE id = $1`, id, by, pageID)
		if err != nil {
			return fmt.Errorf("approve change %d: %w", id, err)
		}
		return nil
	})
}

// RejectChange keeps the live page as it is; the rejected version is not offered again.
func (s *Store) RejectChange(ctx context.Context, id int64, by, note string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE page_changes SET state = 'rejected', reviewed_by = $2, reviewed_at = now(),
		note = $3, held = NULL WHERE id = $1 AND state = 'pending'`, id, by, note)
	if err != nil {
		return fmt.Errorf("reject change %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("reject change %d: %w", id, ErrNotPending)
	}
	return nil
}

// PruneChanges deletes the record of page changes found longer ago than olderThan, with their
// old and new texts; changes still waiting for a steward are kept however old.
func (s *Store) PruneChanges(ctx context.Context, olderThan time.Duration) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM page_changes WHERE state <> 'pending'
		AND created_at < now() - make_interval(secs => $1)`, olderThan.Seconds())
	if err != nil {
		return 0, fmt.Errorf("prune page changes: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
