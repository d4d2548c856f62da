package store

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pgvector/pgvector-go"
)

// URL states in a source's frontier.
const (
	URLPending = "pending"
	URLDone    = "done"
	URLGone    = "gone"
	URLFailed  = "failed"
	URLSkipped = "skipped" // refused by robots.txt, out of scope, excluded, or not a page we read
)

// Kinds of the reason a URL was refused, failed or gone, for grouping in the stewards' console.
const (
	FailRobots      = "robots"       // robots.txt refuses it, or could not be read
	FailTimeout     = "timeout"      // the site did not answer in time
	FailTooLarge    = "too_large"    // the body exceeded the size limit
	FailNotFound    = "not_found"    // 404 or 410: a broken link, or a page the agency removed
	FailHTTPStatus  = "http_status"  // another status than 2xx, 304, 404 and 410
	FailExtract     = "extract"      // the page could not be read into text
	FailBlocked     = "blocked"      // the host is not a public address
	FailOutOfScope  = "out_of_scope" // outside the allowed prefixes, or redirected outside them
	FailRedirect    = "redirect"     // too many redirects
	FailUnsupported = "unsupported"  // not a page Lots reads, or in a language it does not
	FailExcluded    = "excluded"     // a steward keeps it out of the index
	FailOther       = "other"
)

var (
	//go:embed queries/save_page.sql
	savePageSQL string
	//go:embed queries/start_run.sql
	startRunSQL string
	//go:embed queries/finish_run.sql
	finishRunSQL string
)

// Run is one crawl of one source.
type Run struct {
	ID       int64
	SourceID int64
	Resumed  bool // an interrupted run is being continued
}

// RunStats counts what a run did.
type RunStats struct {
	Fetched, Unchanged, Removed, Failed int
	Held                                int // new, changed or gone pages waiting for a steward
}

// FrontierURL is a URL waiting to be fetched.
type FrontierURL struct {
	URL      string
	Depth    int
	Attempts int
}

// PageState is what the store remembers of a fetched page, for conditional requests and for
// telling what changed.
type PageState struct {
	ID           int64
	ETag         string
	LastModified string
	ContentHash  []byte
	Title        string
	Language     string
	Sections     json.RawMessage
}

// Page is a fetched, extracted page ready to be stored with its chunks.
type Page struct {
	SourceID         int64
	URL              string
	Title            string
	Language         string
	TranslationGroup string
	Alternates       map[string]string
	ContentType      string
	ContentHash      []byte
	ETag             string
	LastModified     string
	Modified         time.Time
	FetchedAt        time.Time
	Sections         json.RawMessage // the extracted sections, kept so an index can be rebuilt without a recrawl
}

// Chunk is one searchable passage of a page.
type Chunk struct {
	Ord       int
	Headings  []string
	Text      string
	Embedding []float32
}

// StartRun continues the source's interrupted run if there is one, or starts a new run that
// reopens every URL the source's frontier knows.
func (s *Store) StartRun(ctx context.Context, sourceID int64) (Run, error) {
	run := Run{SourceID: sourceID}
	err := s.pool.QueryRow(ctx, "SELECT id FROM crawl_runs WHERE source_id = $1 AND finished_at IS NULL", sourceID).Scan(&run.ID)
	if err == nil {
		run.Resumed = true
		return run, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return run, fmt.Errorf("find open run of source %d: %w", sourceID, err)
	}
	if err := s.pool.QueryRow(ctx, startRunSQL, sourceID).Scan(&run.ID); err != nil {
		return run, fmt.Errorf("start run of source %d: %w", sourceID, err)
	}
	return run, nil
}

// FinishRun closes a run and adds its counts.
func (s *Store) FinishRun(ctx context.Context, run Run, stats RunStats) error {
	if _, err := s.pool.Exec(ctx, finishRunSQL, run.ID, stats.Fetched, stats.Unchanged, stats.Removed, stats.Failed, stats.Held); err != nil {
		return fmt.Errorf("finish run %d: %w", run.ID, err)
	}
	return nil
}

// AddURLs puts URLs into the source's frontier as pending; URLs it already has keep their state.
// It returns how many were new.
func (s *Store) AddURLs(ctx context.Context, sourceID int64, urls []string, depth int) (int, error) {
	if len(urls) == 0 {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO crawl_urls (source_id, url, depth)
		SELECT $1, u, $3 FROM unnest($2::text[]) AS u ON CONFLICT DO NOTHING`, sourceID, urls, depth)
	if err != nil {
		return 0, fmt.Errorf("add %d urls to frontier of source %d: %w", len(urls), sourceID, err)
	}
	return int(tag.RowsAffected()), nil
}

// PendingURLs returns up to limit URLs of the source still to fetch in this run, shallowest first.
func (s *Store) PendingURLs(ctx context.Context, sourceID int64, limit int) ([]FrontierURL, error) {
	rows, err := s.pool.Query(ctx, `SELECT url, depth, attempts FROM crawl_urls
		WHERE source_id = $1 AND state = 'pending' ORDER BY depth, url LIMIT $2`, sourceID, limit)
	if err != nil {
		return nil, fmt.Errorf("pending urls of source %d: %w", sourceID, err)
	}
	urls, err := pgx.CollectRows(rows, pgx.RowToStructByPos[FrontierURL])
	if err != nil {
		return nil, fmt.Errorf("pending urls of source %d: %w", sourceID, err)
	}
	return urls, nil
}

// MarkURL records what became of a frontier URL (done, failed, skipped, gone) and, when it did
// not go well, the kind of reason (FailRobots, ...) and the reason in words.
func (s *Store) MarkURL(ctx context.Context, sourceID int64, url, state, kind, reason string) error {
	return markURL(ctx, s.pool, sourceID, url, state, kind, reason)
}

// CountURLs counts the source's frontier: the URLs this run has dealt with, and all of them.
func (s *Store) CountURLs(ctx context.Context, sourceID int64) (done, total int, err error) {
	err = s.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state <> 'pending'), count(*)
		FROM crawl_urls WHERE source_id = $1`, sourceID).Scan(&done, &total)
	if err != nil {
		return 0, 0, fmt.Errorf("count urls of source %d: %w", sourceID, err)
	}
	return done, total, nil
}

// PageState returns what the store knows of the page at url, or ErrNotFound.
func (s *Store) PageState(ctx context.Context, url string) (PageState, error) {
	var st PageState
	err := s.pool.QueryRow(ctx, "SELECT id, etag, last_modified, content_hash, title, language, sections FROM pages WHERE url = $1", url).
		Scan(&st.ID, &st.ETag, &st.LastModified, &st.ContentHash, &st.Title, &st.Language, &st.Sections)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, fmt.Errorf("page %s: %w", url, ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("page %s: %w", url, err)
	}
	return st, nil
}

// TouchPage records that an unchanged page was checked, and marks its frontier URL done.
func (s *Store) TouchPage(ctx context.Context, sourceID int64, frontierURL, pageURL string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE pages SET checked_at = now() WHERE url = $1", pageURL); err != nil {
			return fmt.Errorf("touch page %s: %w", pageURL, err)
		}
		return markURL(ctx, tx, sourceID, frontierURL, URLDone, "", "")
	})
}

// RemovePage takes a page that answered 404 or 410 out of the index, with its chunks.
func (s *Store) RemovePage(ctx context.Context, sourceID int64, frontierURL, pageURL string) (removed bool, err error) {
	return s.RemoveGonePage(ctx, sourceID, frontierURL, pageURL, "", nil)
}

// RemoveGonePage takes a page that answered 404 or 410 out of the index, with its chunks, records
// the reason on its frontier URL, and records the change (when given) as live — all in one
// transaction.
func (s *Store) RemoveGonePage(ctx context.Context, sourceID int64, frontierURL, pageURL, reason string, ch *PageChange) (removed bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if ch != nil {
			ch.State = ReviewLive
			if err := insertChange(ctx, tx, ch); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, "DELETE FROM pages WHERE url = $1", pageURL)
		if err != nil {
			return fmt.Errorf("remove page %s: %w", pageURL, err)
		}
		removed = tag.RowsAffected() > 0
		kind := ""
		if reason != "" {
			kind = FailNotFound
		}
		return markURL(ctx, tx, sourceID, frontierURL, URLGone, kind, reason)
	})
	return removed, err
}

// SavePage stores a page and replaces its chunks in the given index version, and marks its
// frontier URL done — all in one transaction, so an interrupted crawl never leaves half a page.
func (s *Store) SavePage(ctx context.Context, frontierURL string, p Page, ix Index, agency string, chunks []Chunk) error {
	return s.SaveChangedPage(ctx, frontierURL, p, ix, agency, chunks, nil)
}

// SaveChangedPage is SavePage that also records the change the crawl found (when given) as live,
// in the same transaction.
func (s *Store) SaveChangedPage(ctx context.Context, frontierURL string, p Page, ix Index, agency string, chunks []Chunk, ch *PageChange) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		pageID, err := savePage(ctx, tx, p, ix, agency, chunks)
		if err != nil {
			return err
		}
		if ch != nil {
			ch.State, ch.PageID = ReviewLive, pageID
			if err := insertChange(ctx, tx, ch); err != nil {
				return err
			}
		}
		return markURL(ctx, tx, p.SourceID, frontierURL, URLDone, "", "")
	})
}

// savePage stores a page and replaces its chunks in the index version, in tx.
func savePage(ctx context.Context, tx pgx.Tx, p Page, ix Index, agency string, chunks []Chunk) (int64, error) {
	alternates, err := json.Marshal(p.Alternates)
	if err != nil {
		return 0, fmt.Errorf("save page %s: %w", p.URL, err)
	}
	var modified *time.Time
	if !p.Modified.IsZero() {
		modified = &p.Modified
	}
	var pageID int64
	err = tx.QueryRow(ctx, savePageSQL, p.SourceID, p.URL, p.Title, p.Language, p.TranslationGroup, alternates,
		p.ContentType, p.ContentHash, p.ETag, p.LastModified, modified, p.FetchedAt, p.Sections).Scan(&pageID)
	if err != nil {
		return 0, fmt.Errorf("save page %s: %w", p.URL, err)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM chunks WHERE page_id = $1 AND index_id = $2", pageID, ix.ID); err != nil {
		return 0, fmt.Errorf("replace chunks of %s: %w", p.URL, err)
	}
	rows, err := appendChunkRows(nil, ix, pageID, p, agency, chunks)
	if err != nil {
		return 0, fmt.Errorf("save page: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"chunks"}, chunkColumns, pgx.CopyFromRows(rows)); err != nil {
		return 0, fmt.Errorf("copy chunks of %s: %w", p.URL, err)
	}
	return pageID, nil
}

// appendChunkRows appends a page's chunks as rows of chunkColumns, checking their dimension.
func appendChunkRows(rows [][]any, ix Index, pageID int64, p Page, agency string, chunks []Chunk) ([][]any, error) {
	for i, c := range chunks {
		if len(c.Embedding) != ix.Dimensions {
			return rows, fmt.Errorf("page %s: chunk %d has %d dimensions, index %d has %d", p.URL, i, len(c.Embedding), ix.ID, ix.Dimensions)
		}
		rows = append(rows, []any{ix.ID, pageID, p.SourceID, c.Ord, p.Language, agency, p.TranslationGroup,
			c.Headings, strings.Join(c.Headings, " › "), c.Text, pgvector.NewVector(c.Embedding)})
	}
	return rows, nil
}

var chunkColumns = []string{"index_id", "page_id", "source_id", "ord", "language", "agency", "translation_group",
	"heading_path", "heading", "text", "embedding"}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func markURL(ctx context.Context, db execer, sourceID int64, url, state, kind, reason string) error {
	if reason != "" && kind == "" {
		kind = FailOther
	}
	_, err := db.Exec(ctx, `UPDATE crawl_urls SET state = $3, error_kind = nullif($4, ''), last_error = nullif($5, ''),
		attempts = attempts + 1, updated_at = now() WHERE source_id = $1 AND url = $2`, sourceID, url, state, kind, reason)
	if err != nil {
		return fmt.Errorf("mark %s %s: %w", url, state, err)
	}
	return nil
}

// PruneOutOfScope removes the pages (with their chunks) and frontier URLs of a source that lie
// outside its allowed prefixes — after a steward narrows them, or a site moves.
func (s *Store) PruneOutOfScope(ctx context.Context, src Source) (int64, error) {
	var removed int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM pages WHERE source_id = $1
			AND NOT EXISTS (SELECT 1 FROM unnest($2::text[]) AS p WHERE starts_with(pages.url, p))`, src.ID, nonNil(src.AllowedPrefixes))
		if err != nil {
			return err
		}
		removed = tag.RowsAffected()
		_, err = tx.Exec(ctx, `DELETE FROM crawl_urls WHERE source_id = $1
			AND NOT EXISTS (SELECT 1 FROM unnest($2::text[]) AS p WHERE starts_with(crawl_urls.url, p))`, src.ID, nonNil(src.AllowedPrefixes))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune pages of %s outside its prefixes: %w", src.Name, err)
	}
	return removed, nil
}
