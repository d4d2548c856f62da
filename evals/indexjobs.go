package evals

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval/store"
)

// EvalHandler runs the evaluation jobs (KindIndexEval, with EvalArgs): it answers the cases
// loadCases reads from the job's sets with the answerer answererAt gives for the version, keeps
// the report with the version in the name of who queued the job, and reports its progress in
// cases. Bad arguments, sets that cannot be read and a version that does not exist fail the job
// for good.
func EvalHandler(st *store.Store, answererAt func(id int) (Answerer, error), loadCases func(sets []string) ([]Case, error)) jobs.Handler {
	return func(ctx context.Context, j jobs.Job, report func(context.Context, jobs.Progress) error) error {
		var args EvalArgs
		if err := json.Unmarshal(j.Args, &args); err != nil || args.Index <= 0 {
			return jobs.Permanent(fmt.Errorf("index eval job %d: args must be {\"index\": id, \"sets\": [files]}: %s", j.ID, j.Args))
		}
		cases, err := loadCases(args.Sets)
		if err != nil {
			return jobs.Permanent(fmt.Errorf("index eval job %d: %w", j.ID, err))
		}
		a, err := answererAt(args.Index)
		if err != nil {
			return err
		}
		_, err = EvalIndex(ctx, st, args.Index, a, cases, j.CreatedBy, func(ctx context.Context, done, total int) error {
			return report(ctx, jobs.Progress{Done: done, Total: total, Message: "cases"})
		})
		if errors.Is(err, store.ErrNotFound) {
			return jobs.Permanent(err)
		}
		return err
	}
}
