package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nyisverige/lots/ingest/extract"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
)

// KindIndexBuild is the job kind of an index build (lots worker runs it); its args are BuildArgs.
const KindIndexBuild = "index.build"

// BuildArgs are the arguments of an index build job, as JSON.
type BuildArgs struct {
	Embedder     string `json:"embedder,omitempty"`      // local or openai; "" for the configured one
	ChunkSize    int    `json:"chunk_size,omitempty"`    // words; 0 for the default (180)
	ChunkOverlap int    `json:"chunk_overlap,omitempty"` // words; 0 for the default (30), negative for none
	Note         string `json:"note,omitempty"`
}

// BuildOptions say how to build a new index version.
type BuildOptions struct {
	Chunking  ChunkOptions
	Note      string // what the version is for, shown to stewards
	Actor     string // who asked for it
	BatchSize int    // pages chunked, embedded and stored together; default 50
	// Progress, when set, is told how many of the stored pages are done, after every batch; an
	// error from it stops the build (a cancelled job).
	Progress func(ctx context.Context, done, total int) error
}

// BuildIndex builds a new index version beside the live one from the stored pages' extracted
// sections — no page is fetched again — split with opts.Chunking and embedded with e. The version
// is ready to evaluate and publish when BuildIndex returns; searches do not see it until it is
// published. When the build fails the version is marked failed, with the cause, and its chunks
// are deleted.
func BuildIndex(ctx context.Context, st *store.Store, e retrieval.Embedder, log *slog.Logger, opts BuildOptions) (store.Index, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 50
	}
	if opts.Progress == nil {
		opts.Progress = func(context.Context, int, int) error { return nil }
	}
	start := time.Now()
	total, err := st.CountPages(ctx)
	if err != nil {
		return store.Index{}, fmt.Errorf("build index: %w", err)
	}
	if total == 0 {
		return store.Index{}, errors.New("build index: no pages are stored: run lots ingest first")
	}
	b, err := st.BeginBuild(ctx, store.NewIndex{Embedder: e.Name(), Dimensions: e.Dimensions(),
		Chunking: effectiveChunking(opts.Chunking), Note: opts.Note, CreatedBy: opts.Actor})
	if err != nil {
		return store.Index{}, err
	}
	ix := b.Index()
	log.InfoContext(ctx, "index build started", "index", ix.ID, "embedder", ix.Embedder, "pages", total)
	if err := opts.Progress(ctx, 0, total); err != nil {
		return ix, failBuild(ctx, b, log, err)
	}
	done := 0
	chunks, err := fill(ctx, st, ix, e, opts.Chunking, time.Time{}, opts.BatchSize, func(ctx context.Context, pages int) error {
		done += pages
		// Pages stored during the build make done outgrow the count taken at its start.
		return opts.Progress(ctx, done, max(total, done))
	})
	if err != nil {
		return ix, failBuild(ctx, b, log, err)
	}
	// Pages the crawler saved while the build read the others.
	if _, err := refresh(ctx, st, ix, e, opts.Chunking, opts.BatchSize); err != nil {
		return ix, failBuild(ctx, b, log, err)
	}
	if ix, err = b.Finish(ctx); err != nil {
		return ix, failBuild(ctx, b, log, err)
	}
	log.InfoContext(ctx, "index build finished", "index", ix.ID, "pages", done, "chunks", chunks,
		"took", time.Since(start).Round(time.Millisecond))
	return ix, nil
}

func failBuild(ctx context.Context, b *store.Build, log *slog.Logger, cause error) error {
	err := fmt.Errorf("build index %d: %w", b.Index().ID, cause)
	if ferr := b.Fail(ctx, err); ferr != nil {
		return errors.Join(err, ferr)
	}
	log.WarnContext(ctx, "index build failed", "index", b.Index().ID, "err", err)
	return err
}

// RefreshIndex brings index version id up to date with the pages fetched since it was built
// (or last refreshed), chunked as the version was and embedded with e, which must be the
// version's embedder: run it before publishing a version built a while ago, or after rolling
// back to one. It returns how many pages it chunked again.
func RefreshIndex(ctx context.Context, st *store.Store, e retrieval.Embedder, id int) (int, error) {
	ix, err := st.IndexByID(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("refresh index %d: %w", id, err)
	}
	if ix.Embedder != e.Name() || ix.Dimensions != e.Dimensions() {
		return 0, fmt.Errorf("refresh index %d: it was built by %s, not %s: %w", id, ix.Embedder, e.Name(), store.ErrEmbedderMismatch)
	}
	if ix.State == store.IndexBuilding || ix.State == store.IndexFailed {
		return 0, fmt.Errorf("refresh index %d: it is %s", id, ix.State)
	}
	opts := chunkingOf(ix.Chunking)
	n, err := refresh(ctx, st, ix, e, opts, 50)
	if err != nil {
		return n, fmt.Errorf("refresh index %d: %w", id, err)
	}
	return n, nil
}

// refresh chunks the pages fetched since the version was last current into it, and marks it
// current up to the time the refresh began.
func refresh(ctx context.Context, st *store.Store, ix store.Index, e retrieval.Embedder, opts ChunkOptions, batch int) (int, error) {
	asOf, now, err := st.RefreshWindow(ctx, ix.ID)
	if err != nil || asOf.IsZero() {
		return 0, err
	}
	n := 0
	if _, err := fill(ctx, st, ix, e, opts, asOf, batch, func(_ context.Context, pages int) error { n += pages; return nil }); err != nil {
		return n, err
	}
	return n, st.SetPagesAsOf(ctx, ix.ID, now)
}

// fill chunks, embeds and stores the pages fetched after since (all for the zero time) into the
// version, batch by batch, telling done how many pages each batch held. It returns the chunks
// stored.
func fill(ctx context.Context, st *store.Store, ix store.Index, e retrieval.Embedder, opts ChunkOptions, since time.Time,
	batch int, done func(ctx context.Context, pages int) error) (int, error) {
	var after int64
	chunks := 0
	for {
		pages, err := st.PagesAfter(ctx, after, since, batch)
		if err != nil || len(pages) == 0 {
			return chunks, err
		}
		perPage, err := chunkPages(ctx, e, opts, pages)
		if err != nil {
			return chunks, err
		}
		if err := st.ReplaceChunks(ctx, ix, pages, perPage); err != nil {
			return chunks, err
		}
		for _, c := range perPage {
			chunks += len(c)
		}
		after = pages[len(pages)-1].ID
		if err := done(ctx, len(pages)); err != nil {
			return chunks, err
		}
	}
}

// chunkPages splits the pages' sections into passages and embeds them, in one call to the
// embedder for the batch.
func chunkPages(ctx context.Context, e retrieval.Embedder, opts ChunkOptions, pages []store.SourcePage) ([][]store.Chunk, error) {
	titles := make([]string, len(pages))
	passages := make([][]Passage, len(pages))
	for i, p := range pages {
		var sections []extract.Section
		if err := json.Unmarshal(p.Sections, &sections); err != nil {
			return nil, fmt.Errorf("sections of %s: %w", p.URL, err)
		}
		titles[i] = p.Title
		passages[i] = Chunk(&extract.Document{Title: p.Title, Sections: sections}, opts)
	}
	return embedPassages(ctx, e, titles, passages)
}

// effectiveChunking is what Chunk makes of opts, recorded with the version.
func effectiveChunking(opts ChunkOptions) store.Chunking {
	o := opts.Effective()
	return store.Chunking{Words: o.Words, Overlap: o.Overlap}
}
