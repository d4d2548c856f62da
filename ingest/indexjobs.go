package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
)

// BuildHandler runs the index build jobs (KindIndexBuild, with BuildArgs): it builds a new
// version with the embedder embedderFor makes of the job's kind of embedder ("" for the
// configured one), in the name of who queued the job, and reports its progress in pages. Bad
// arguments and an unknown embedder fail the job for good.
func BuildHandler(st *store.Store, embedderFor func(ctx context.Context, kind string) (retrieval.Embedder, error), log *slog.Logger) jobs.Handler {
	return func(ctx context.Context, j jobs.Job, report func(context.Context, jobs.Progress) error) error {
		var args BuildArgs
		if err := json.Unmarshal(j.Args, &args); err != nil {
			return jobs.Permanent(fmt.Errorf("index build job %d: args: %w", j.ID, err))
		}
		e, err := embedderFor(ctx, args.Embedder)
		if err != nil {
			return jobs.Permanent(fmt.Errorf("index build job %d: %w", j.ID, err))
		}
		_, err = BuildIndex(ctx, st, e, log, BuildOptions{
			Chunking: ChunkOptions{Words: args.ChunkSize, Overlap: args.ChunkOverlap},
			Note:     args.Note,
			Actor:    j.CreatedBy,
			Progress: func(ctx context.Context, done, total int) error {
				return report(ctx, jobs.Progress{Done: done, Total: total, Message: "pages"})
			},
		})
		return err
	}
}
