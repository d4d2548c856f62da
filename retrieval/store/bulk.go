package store

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	//go:embed queries/load_pages.sql
	loadPagesSQL string
	//go:embed queries/drop_hnsw.sql
	dropHNSWSQL string
)

// BulkPage is a page with its chunks, for loading a corpus that is not crawled.
type BulkPage struct {
	Page
	Agency string
	Chunks []Chunk
}

// BeginBulkLoad drops the index version's HNSW index: building it once after a load is many
// times faster than updating it a row at a time. Vector searches scan the table until
// EndBulkLoad builds it again.
func (s *Store) BeginBulkLoad(ctx context.Context, ix Index) error {
	if _, err := s.pool.Exec(ctx, withIndex(dropHNSWSQL, ix)); err != nil {
		return fmt.Errorf("begin bulk load into index %d: %w", ix.ID, err)
	}
	return nil
}

// EndBulkLoad builds the index version's HNSW index, then vacuums and analyzes chunks: a
// vacuum merges the full-text index's pending entries, and the planner must know the new rows
// to choose the indexes at all.
func (s *Store) EndBulkLoad(ctx context.Context, ix Index) error {
	if _, err := s.pool.Exec(ctx, withIndex(createHNSWSQL, ix)); err != nil {
		return fmt.Errorf("build HNSW index of index %d: %w", ix.ID, err)
	}
	if _, err := s.pool.Exec(ctx, "VACUUM (ANALYZE) chunks"); err != nil {
		return fmt.Errorf("vacuum chunks: %w", err)
	}
	return nil
}

// LoadPages inserts new pages and copies their chunks into the index version in one
// transaction. Unlike SavePage it neither replaces a page's chunks nor touches the crawl
// frontier: it is for corpora loaded whole, such as benchmarks'.
func (s *Store) LoadPages(ctx context.Context, ix Index, pages []BulkPage) error {
	if len(pages) == 0 {
		return nil
	}
	cols := pageColumns{}
	for _, p := range pages {
		if err := cols.add(p.Page); err != nil {
			return fmt.Errorf("load pages: %w", err)
		}
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, loadPagesSQL, cols.sourceIDs, cols.urls, cols.titles, cols.languages, cols.groups,
			cols.alternates, cols.contentTypes, cols.hashes, cols.etags, cols.lastModified, cols.modified, cols.fetched, cols.sections)
		if err != nil {
			return fmt.Errorf("load %d pages: %w", len(pages), err)
		}
		ids := make(map[string]int64, len(pages))
		var id int64
		var url string
		if _, err := pgx.ForEachRow(rows, []any{&id, &url}, func() error { ids[url] = id; return nil }); err != nil {
			return fmt.Errorf("load %d pages: %w", len(pages), err)
		}
		var chunkRows [][]any
		for _, p := range pages {
			if chunkRows, err = appendChunkRows(chunkRows, ix, ids[p.URL], p.Page, p.Agency, p.Chunks); err != nil {
				return fmt.Errorf("load pages: %w", err)
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"chunks"}, chunkColumns, pgx.CopyFromRows(chunkRows)); err != nil {
			return fmt.Errorf("copy chunks of %d pages: %w", len(pages), err)
		}
		return nil
	})
}

// pageColumns are pages as one array per column, for load_pages.sql.
type pageColumns struct {
	sourceIDs                                   []int64
	urls, titles, languages, groups, alternates []string
	contentTypes, etags, lastModified, sections []string
	hashes                                      [][]byte
	modified                                    []*time.Time
	fetched                                     []time.Time
}

func (c *pageColumns) add(p Page) error {
	alternates, err := json.Marshal(p.Alternates)
	if err != nil {
		return fmt.Errorf("page %s: %w", p.URL, err)
	}
	if p.Alternates == nil {
		alternates = []byte("{}")
	}
	sections := p.Sections
	if len(sections) == 0 {
		sections = json.RawMessage("[]")
	}
	var modified *time.Time
	if !p.Modified.IsZero() {
		modified = &p.Modified
	}
	fetched := p.FetchedAt
	if fetched.IsZero() {
		fetched = time.Now()
	}
	c.sourceIDs = append(c.sourceIDs, p.SourceID)
	c.urls = append(c.urls, p.URL)
	c.titles = append(c.titles, p.Title)
	c.languages = append(c.languages, p.Language)
	c.groups = append(c.groups, p.TranslationGroup)
	c.alternates = append(c.alternates, string(alternates))
	c.contentTypes = append(c.contentTypes, p.ContentType)
	c.hashes = append(c.hashes, nonNilBytes(p.ContentHash))
	c.etags = append(c.etags, p.ETag)
	c.lastModified = append(c.lastModified, p.LastModified)
	c.modified = append(c.modified, modified)
	c.fetched = append(c.fetched, fetched)
	c.sections = append(c.sections, string(sections))
	return nil
}

// nonNilBytes keeps a missing hash from becoming NULL in a NOT NULL column.
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
