package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Index states. A version is built (building), then ready or failed; publishing makes a ready
// version live and retires the live one, which a rollback can make live again.
const (
	IndexBuilding = "building"
	IndexReady    = "ready"
	IndexLive     = "live"
	IndexRetired  = "retired"
	IndexFailed   = "failed"
)

// ErrEmbedderMismatch means the live index was built by another embedder than the one configured.
var ErrEmbedderMismatch = errors.New("the live index was built by another embedder")

//go:embed queries/create_hnsw.sql
var createHNSWSQL string

// Index is an index version: the chunks one embedder made, searched together.
type Index struct {
	ID         int
	Embedder   string
	Dimensions int
	State      string
	Chunking   Chunking // how its pages were split; zero means the crawler's defaults
}

// Chunking is how an index version's pages were split into passages, in words.
type Chunking struct {
	Words   int `json:"words,omitempty"`
	Overlap int `json:"overlap,omitempty"`
}

// indexColumns are the columns scanIndex reads, in its order.
const indexColumns = "id, embedder, dimensions, state, chunking"

func scanIndex(row pgx.Row, ix *Index) error {
	return row.Scan(&ix.ID, &ix.Embedder, &ix.Dimensions, &ix.State, &ix.Chunking)
}

// withIndex fills the index version's id and dimension into a query template.
func withIndex(query string, ix Index) string {
	return strings.NewReplacer("{{ID}}", strconv.Itoa(ix.ID), "{{DIMS}}", strconv.Itoa(ix.Dimensions)).Replace(query)
}

// LiveIndex returns the index version searches use, or ErrNotFound before the first ingest.
func (s *Store) LiveIndex(ctx context.Context) (Index, error) {
	var ix Index
	err := scanIndex(s.pool.QueryRow(ctx, "SELECT "+indexColumns+" FROM index_versions WHERE state = 'live'"), &ix)
	if errors.Is(err, pgx.ErrNoRows) {
		return ix, fmt.Errorf("live index: %w", ErrNotFound)
	}
	if err != nil {
		return ix, fmt.Errorf("live index: %w", err)
	}
	return ix, nil
}

// IndexByID returns the index version with the given id, whatever its state, or ErrNotFound.
func (s *Store) IndexByID(ctx context.Context, id int) (Index, error) {
	var ix Index
	err := scanIndex(s.pool.QueryRow(ctx, "SELECT "+indexColumns+" FROM index_versions WHERE id = $1", id), &ix)
	if errors.Is(err, pgx.ErrNoRows) {
		return ix, fmt.Errorf("index %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return ix, fmt.Errorf("index %d: %w", id, err)
	}
	return ix, nil
}

// EnsureLiveIndex returns the live index version, creating the first one for this embedder
// when there is none. A live index of another embedder or dimension is ErrEmbedderMismatch:
// its vectors cannot be compared with this embedder's, so changing the model means a re-index.
func (s *Store) EnsureLiveIndex(ctx context.Context, embedder string, dims int) (Index, error) {
	ix, err := s.LiveIndex(ctx)
	if err == nil {
		if ix.Embedder != embedder || ix.Dimensions != dims {
			return ix, fmt.Errorf("index %d uses %s (%d dimensions), configured %s (%d): %w",
				ix.ID, ix.Embedder, ix.Dimensions, embedder, dims, ErrEmbedderMismatch)
		}
		return ix, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return ix, err
	}
	ix = Index{Embedder: embedder, Dimensions: dims, State: IndexLive}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Two ingests starting at once must not both create a first index.
		if _, err := tx.Exec(ctx, lockIndexVersionsSQL); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, "SELECT id FROM index_versions WHERE state = 'live'").Scan(&ix.ID)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO index_versions (embedder, dimensions, state, built_at, published_at)
			VALUES ($1, $2, 'live', now(), now()) RETURNING id`, embedder, dims).Scan(&ix.ID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, withIndex(createHNSWSQL, ix))
		return err
	})
	if err != nil {
		return ix, fmt.Errorf("create index for %s: %w", embedder, err)
	}
	return s.EnsureLiveIndex(ctx, embedder, dims)
}
