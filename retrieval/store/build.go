package store

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrBuildRunning means another index version is being built; one build runs at a time.
var ErrBuildRunning = errors.New("another index version is being built")

// buildLock is the advisory lock a build holds on its own connection while it runs. A version
// left "building" while nobody holds the lock was abandoned by a process that died.
const buildLock = 4242005

var (
	//go:embed queries/build_pages.sql
	buildPagesSQL string
	//go:embed queries/build_hnsw.sql
	buildHNSWSQL string
)

// NewIndex describes an index version to build.
type NewIndex struct {
	Embedder   string
	Dimensions int
	Chunking   Chunking
	Note       string
	CreatedBy  string
}

// Build is an index version being built beside the live one. Searches never see it: they read
// the live version, and it goes live only by Publish. Finish or Fail ends it; Close releases it.
type Build struct {
	store *Store
	conn  *pgxpool.Conn // holds buildLock
	ix    Index
}

// BeginBuild creates an index version in state building. Versions an interrupted build left
// building are marked failed first.
func (s *Store) BeginBuild(ctx context.Context, spec NewIndex) (*Build, error) {
	if spec.Embedder == "" || spec.Dimensions < 1 || spec.Dimensions > 16000 {
		return nil, fmt.Errorf("begin index build: embedder %q with %d dimensions", spec.Embedder, spec.Dimensions)
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin index build: %w", err)
	}
	var locked bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", buildLock).Scan(&locked); err != nil {
		conn.Release()
		return nil, fmt.Errorf("begin index build: %w", err)
	}
	if !locked {
		conn.Release()
		return nil, fmt.Errorf("begin index build: %w", ErrBuildRunning)
	}
	b := &Build{store: s, conn: conn}
	chunking, err := json.Marshal(spec.Chunking)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("begin index build: %w", err)
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM chunks WHERE index_id IN (SELECT id FROM index_versions WHERE state = 'building')`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE index_versions SET state = 'failed',
			error = 'interrupted: the process building it stopped' WHERE state = 'building'`); err != nil {
			return err
		}
		return scanIndex(tx.QueryRow(ctx, `INSERT INTO index_versions (embedder, dimensions, state, chunking, note, created_by, pages_as_of)
			VALUES ($1, $2, 'building', $3, $4, $5, now()) RETURNING `+indexColumns,
			spec.Embedder, spec.Dimensions, chunking, spec.Note, spec.CreatedBy), &b.ix)
	})
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("begin index build: %w", err)
	}
	return b, nil
}

// Index is the version being built.
func (b *Build) Index() Index { return b.ix }

// SourcePage is a stored page with what a build needs to chunk it again: its extracted sections.
type SourcePage struct {
	ID               int64
	SourceID         int64
	URL              string
	Title            string
	Language         string
	TranslationGroup string
	Agency           string
	Sections         json.RawMessage
	FetchedAt        time.Time
}

// CountPages counts the stored pages.
func (s *Store) CountPages(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM pages").Scan(&n); err != nil {
		return 0, fmt.Errorf("count pages: %w", err)
	}
	return n, nil
}

// PagesAfter returns up to limit stored pages whose id is greater than after and that were
// fetched after fetchedAfter (the zero time for all), in id order: a build reads the corpus in
// batches without holding a cursor open.
func (s *Store) PagesAfter(ctx context.Context, after int64, fetchedAfter time.Time, limit int) ([]SourcePage, error) {
	rows, err := s.pool.Query(ctx, buildPagesSQL, after, limit, fetchedAfter)
	if err != nil {
		return nil, fmt.Errorf("read pages after %d: %w", after, err)
	}
	pages, err := pgx.CollectRows(rows, pgx.RowToStructByPos[SourcePage])
	if err != nil {
		return nil, fmt.Errorf("read pages after %d: %w", after, err)
	}
	return pages, nil
}

// ReplaceChunks replaces the chunks of pages (chunks[i] are pages[i]'s) in an index version, in
// one transaction. A page deleted since it was read (a crawl found it gone) is skipped.
func (s *Store) ReplaceChunks(ctx context.Context, ix Index, pages []SourcePage, chunks [][]Chunk) error {
	if len(pages) != len(chunks) {
		return fmt.Errorf("replace chunks in index %d: %d pages, %d chunk lists", ix.ID, len(pages), len(chunks))
	}
	ids := make([]int64, len(pages))
	for i, p := range pages {
		ids[i] = p.ID
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Keep the pages from being deleted until their chunks are in.
		rows, err := tx.Query(ctx, "SELECT id FROM pages WHERE id = ANY($1) FOR KEY SHARE", ids)
		if err != nil {
			return err
		}
		alive, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM chunks WHERE index_id = $1 AND page_id = ANY($2)", ix.ID, alive); err != nil {
			return err
		}
		var copyRows [][]any
		for i, p := range pages {
			if !slices.Contains(alive, p.ID) {
				continue
			}
			page := Page{SourceID: p.SourceID, URL: p.URL, Language: p.Language, TranslationGroup: p.TranslationGroup}
			if copyRows, err = appendChunkRows(copyRows, ix, p.ID, page, p.Agency, chunks[i]); err != nil {
				return err
			}
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"chunks"}, chunkColumns, pgx.CopyFromRows(copyRows))
		return err
	})
	if err != nil {
		return fmt.Errorf("replace chunks of %d pages in index %d: %w", len(pages), ix.ID, err)
	}
	return nil
}

// RefreshWindow returns the time up to which index version id holds every fetched page (zero for
// a version the crawler made, which it keeps current itself), and the database's time now: a
// refresh chunks the pages fetched between them and then marks the version current up to now.
func (s *Store) RefreshWindow(ctx context.Context, id int) (asOf, now time.Time, err error) {
	var at *time.Time
	err = s.pool.QueryRow(ctx, "SELECT pages_as_of, now() FROM index_versions WHERE id = $1", id).Scan(&at, &now)
	if errors.Is(err, pgx.ErrNoRows) {
		return asOf, now, fmt.Errorf("refresh index %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return asOf, now, fmt.Errorf("refresh index %d: %w", id, err)
	}
	return orZero(at), now, nil
}

// SetPagesAsOf records that index version id holds every page fetched up to t.
func (s *Store) SetPagesAsOf(ctx context.Context, id int, t time.Time) error {
	if _, err := s.pool.Exec(ctx, "UPDATE index_versions SET pages_as_of = greatest(pages_as_of, $2) WHERE id = $1", id, t); err != nil {
		return fmt.Errorf("mark index %d current: %w", id, err)
	}
	return nil
}

// Finish builds the version's HNSW index, refreshes the planner's statistics, and marks it
// ready to evaluate and publish. It releases the build.
func (b *Build) Finish(ctx context.Context) (Index, error) {
	defer b.Close()
	if _, err := b.store.pool.Exec(ctx, withIndex(buildHNSWSQL, b.ix)); err != nil {
		return b.ix, fmt.Errorf("build HNSW index of index %d: %w", b.ix.ID, err)
	}
	// A vacuum merges the full-text index's pending entries; the planner must know the new rows
	// to use the indexes at all.
	if _, err := b.store.pool.Exec(ctx, "VACUUM (ANALYZE) chunks"); err != nil {
		return b.ix, fmt.Errorf("vacuum chunks: %w", err)
	}
	tag, err := b.store.pool.Exec(ctx, "UPDATE index_versions SET state = 'ready', built_at = now() WHERE id = $1 AND state = 'building'", b.ix.ID)
	if err != nil {
		return b.ix, fmt.Errorf("finish index %d: %w", b.ix.ID, err)
	}
	if tag.RowsAffected() != 1 {
		return b.ix, fmt.Errorf("finish index %d: it is no longer being built", b.ix.ID)
	}
	b.ix.State = IndexReady
	return b.ix, nil
}

// Fail marks the version failed with the cause, deletes its chunks and HNSW index, and releases
// the build. It works on a cancelled context too: a cancelled build must still be cleaned up.
func (b *Build) Fail(ctx context.Context, cause error) error {
	defer b.Close()
	ctx = context.WithoutCancel(ctx)
	msg := cause.Error()
	if len(msg) > 2000 {
		msg = msg[:2000]
		for !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
	}
	err := pgx.BeginFunc(ctx, b.store.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM chunks WHERE index_id = $1", b.ix.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE index_versions SET state = 'failed', error = $2 WHERE id = $1", b.ix.ID, msg)
		return err
	})
	if err != nil {
		return fmt.Errorf("mark index %d failed: %w", b.ix.ID, err)
	}
	if _, err := b.store.pool.Exec(ctx, withIndex(dropHNSWConcurrentlySQL, b.ix)); err != nil {
		return fmt.Errorf("drop HNSW index of failed index %d: %w", b.ix.ID, err)
	}
	b.ix.State = IndexFailed
	return nil
}

// Close releases the build's lock. Finish and Fail close the build; Close after them does nothing.
func (b *Build) Close() {
	if b.conn == nil {
		return
	}
	if _, err := b.conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", buildLock); err != nil {
		// A connection that cannot unlock must not go back to the pool holding the lock.
		b.conn.Conn().Close(context.Background())
	}
	b.conn.Release()
	b.conn = nil
}
