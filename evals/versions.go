package evals

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
)

// Errors of evaluating and publishing index versions.
var (
	// ErrNoEval means a version has not been evaluated: run lots index eval first.
	ErrNoEval = errors.New("the index version has not been evaluated")
	// ErrDifferentCases means two versions' reports answer different cases and cannot be compared.
	ErrDifferentCases = errors.New("the versions were evaluated with different cases")
	// ErrGateFailed means the candidate is worse than the live version by more than the
	// tolerance, or could not be compared with it, and no override reason was given.
	ErrGateFailed = errors.New("the index version fails the evaluation gate")
)

// KindIndexEval is the job kind of an index version's evaluation (lots worker runs it); its args
// are EvalArgs.
const KindIndexEval = "index.eval"

// EvalArgs are the arguments of an evaluation job, as JSON.
type EvalArgs struct {
	Index int      `json:"index"`
	Sets  []string `json:"sets,omitempty"` // JSONL files on the worker; none for the demo sets
}

// DefaultKeepRetired is how many retired versions publishing keeps for rollbacks.
const DefaultKeepRetired = 2

// EvalIndex answers the cases with a — which must search index version id: an assistant over
// retrieval.Searcher.AtIndex(id) — and stores the report as the version's latest evaluation.
// progress (may be nil) is told how many cases are done; an error from it stops the evaluation.
func EvalIndex(ctx context.Context, st *store.Store, id int, a Answerer, cases []Case, actor string,
	progress func(ctx context.Context, done, total int) error) (Report, error) {
	ix, err := st.IndexByID(ctx, id)
	if err != nil {
		return Report{}, fmt.Errorf("evaluate index %d: %w", id, err)
	}
	if ix.State == store.IndexBuilding || ix.State == store.IndexFailed {
		return Report{}, fmt.Errorf("evaluate index %d: it is %s", id, ix.State)
	}
	if len(cases) == 0 {
		return Report{}, fmt.Errorf("evaluate index %d: no cases", id)
	}
	const batch = 10
	outcomes := make([]Outcome, 0, len(cases))
	for start := 0; start < len(cases); start += batch {
		if progress != nil {
			if err := progress(ctx, start, len(cases)); err != nil {
				return Report{}, err
			}
		}
		out, err := Run(ctx, a, cases[start:min(start+batch, len(cases))], nil)
		if err != nil {
			return Report{}, fmt.Errorf("evaluate index %d: %w", id, err)
		}
		outcomes = append(outcomes, out...)
	}
	r := NewReport(outcomes)
	if err := SaveIndexReport(ctx, st, id, r, actor); err != nil {
		return r, err
	}
	if progress != nil {
		if err := progress(ctx, len(cases), len(cases)); err != nil {
			return r, err
		}
	}
	return r, nil
}

// SaveIndexReport stores r as the latest evaluation of index version id.
func SaveIndexReport(ctx context.Context, st *store.Store, id int, r Report, actor string) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("save evaluation of index %d: %w", id, err)
	}
	return st.SaveIndexEval(ctx, id, data, actor)
}

// IndexReport returns the latest evaluation of index version id and when it was made, or
// ErrNoEval.
func IndexReport(ctx context.Context, st *store.Store, id int) (Report, time.Time, error) {
	e, err := st.LatestIndexEval(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Report{}, time.Time{}, fmt.Errorf("index %d: %w (run lots index eval %d)", id, ErrNoEval, id)
	}
	if err != nil {
		return Report{}, time.Time{}, err
	}
	var r Report
	if err := json.Unmarshal(e.Report, &r); err != nil {
		return Report{}, time.Time{}, fmt.Errorf("evaluation of index %d: %w", id, err)
	}
	return r, e.CreatedAt, nil
}

// GroupComparison is one group's metrics in the live version and in the candidate.
type GroupComparison struct {
	Group     string  `json:"group"` // a language code, or "all"
	Live      Metrics `json:"live"`
	Candidate Metrics `json:"candidate"`
}

// Comparison is a candidate version's evaluation against the live version's: what stewards
// see before publishing, and what the gate decides on.
type Comparison struct {
	Candidate   store.IndexVersion `json:"candidate"`
	Live        store.IndexVersion `json:"live"` // ID 0 when no version is live
	Languages   []GroupComparison  `json:"languages"`
	Overall     GroupComparison    `json:"overall"`
	Tolerance   float64            `json:"tolerance"`
	Regressions []Regression       `json:"regressions"`       // the candidate's drops beyond the tolerance
	Problem     string             `json:"problem,omitempty"` // why the versions could not be compared
	Override    string             `json:"override,omitempty"`
	Dropped     []int              `json:"dropped,omitempty"` // old retired versions dropped after publishing
}

// Passed reports whether the gate lets the candidate go live without an override.
func (c Comparison) Passed() bool { return c.Problem == "" && len(c.Regressions) == 0 }

// CompareIndexes compares the latest evaluations of the candidate and the live version with the
// gate's tolerance (Baseline.Compare, with the live version's report as the baseline). The
// error is ErrNoEval when the candidate has no evaluation; when only the live version has
// none, or the two answered different cases, the comparison says so in Problem and fails.
func CompareIndexes(ctx context.Context, st *store.Store, candidate int) (Comparison, error) {
	c := Comparison{Tolerance: DefaultTolerance}
	var err error
	if c.Candidate, err = st.IndexVersion(ctx, candidate); err != nil {
		return c, err
	}
	candReport, _, err := IndexReport(ctx, st, candidate)
	if err != nil {
		return c, err
	}
	live, err := st.LiveIndex(ctx)
	if errors.Is(err, store.ErrNotFound) {
		c.Overall = GroupComparison{Group: "all", Candidate: candReport.Overall}
		c.Languages = groups(Report{}, candReport)
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if c.Live, err = st.IndexVersion(ctx, live.ID); err != nil {
		return c, err
	}
	if live.ID == candidate {
		return c, fmt.Errorf("compare index %d: it is the live version", candidate)
	}
	liveReport, _, err := IndexReport(ctx, st, live.ID)
	if errors.Is(err, ErrNoEval) {
		c.Problem = err.Error()
		c.Overall = GroupComparison{Group: "all", Candidate: candReport.Overall}
		c.Languages = groups(Report{}, candReport)
		return c, nil
	}
	if err != nil {
		return c, err
	}
	c.Overall = GroupComparison{Group: "all", Live: liveReport.Overall, Candidate: candReport.Overall}
	c.Languages = groups(liveReport, candReport)
	if !sameCases(liveReport, candReport) {
		c.Problem = fmt.Sprintf("index %d and index %d: %v (evaluate both with the same sets)", live.ID, candidate, ErrDifferentCases)
		return c, nil
	}
	c.Regressions = NewBaseline(liveReport, DefaultTolerance).Compare(candReport)
	return c, nil
}

// groups pairs the per-language metrics of two reports, in the supported languages' order.
func groups(live, cand Report) []GroupComparison {
	all := map[string]Metrics{}
	for l, m := range live.ByLanguage {
		all[l] = m
	}
	for l, m := range cand.ByLanguage {
		all[l] = m
	}
	var out []GroupComparison
	for _, l := range sortedKeys(all, retrieval.Languages) {
		out = append(out, GroupComparison{Group: l, Live: live.ByLanguage[l], Candidate: cand.ByLanguage[l]})
	}
	return out
}

func sameCases(a, b Report) bool {
	ids := func(r Report) []string {
		out := make([]string, len(r.Outcomes))
		for i, o := range r.Outcomes {
			out[i] = o.ID
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(ids(a), ids(b))
}

// PublishOptions say who publishes a version and, when the gate fails, why anyway.
type PublishOptions struct {
	Actor string
	// Override is the reason to publish although the gate fails; only admins may give one (the
	// caller checks the role). It is recorded with the version and in the audit log.
	Override    string
	KeepRetired int // retired versions kept for rollbacks; default DefaultKeepRetired
}

// PublishIndex makes the candidate version live if its evaluation is as good as the live
// version's (within the tolerance), or if an override reason is given; a candidate without an
// evaluation is always refused. The switch is atomic; the replaced version is retired and kept
// for a rollback, and retired versions beyond opts.KeepRetired are dropped. The comparison is
// returned whether the candidate was published or refused (ErrGateFailed).
func PublishIndex(ctx context.Context, st *store.Store, candidate int, opts PublishOptions) (Comparison, error) {
	if opts.KeepRetired <= 0 {
		opts.KeepRetired = DefaultKeepRetired
	}
	c, err := CompareIndexes(ctx, st, candidate)
	if err != nil {
		return c, fmt.Errorf("publish index %d: %w", candidate, err)
	}
	override := strings.TrimSpace(opts.Override)
	if !c.Passed() {
		if override == "" {
			return c, fmt.Errorf("publish index %d: %w: %s", candidate, ErrGateFailed, c.failure())
		}
		c.Override = override
	}
	detail, err := json.Marshal(map[string]any{"overall": c.Overall, "languages": c.Languages,
		"regressions": c.Regressions, "problem": c.Problem})
	if err != nil {
		return c, fmt.Errorf("publish index %d: %w", candidate, err)
	}
	err = st.Publish(ctx, candidate, store.PublishOptions{ExpectLive: c.Live.ID, Actor: opts.Actor, Override: c.Override, Detail: detail})
	if err != nil {
		return c, err
	}
	if c.Dropped, err = st.DropRetired(ctx, opts.KeepRetired, opts.Actor); err != nil {
		return c, fmt.Errorf("index %d is live, but dropping old retired versions failed: %w", candidate, err)
	}
	return c, nil
}

// failure says in one line why the gate fails.
func (c Comparison) failure() string {
	if c.Problem != "" {
		return c.Problem
	}
	s := make([]string, len(c.Regressions))
	for i, r := range c.Regressions {
		s[i] = r.String()
	}
	return strings.Join(s, "; ")
}

// WriteTable prints the per-language comparison and the gate's decision for a terminal.
func (c Comparison) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 4, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "live %d → candidate %d\tcases\tR@1\tR@5\tMRR\tanswered\tcite prec\trefusal\t\n", c.Live.ID, c.Candidate.ID)
	noLive := c.Live.ID == 0 || c.Live.EvaluatedAt.IsZero()
	pair := func(a, b float64) string {
		if noLive {
			return fmt.Sprintf("-→%.2f", b)
		}
		return fmt.Sprintf("%.2f→%.2f", a, b)
	}
	for _, g := range append(slices.Clone(c.Languages), c.Overall) {
		l, n := g.Live, g.Candidate
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", g.Group, n.Cases, pair(l.Recall1, n.Recall1), pair(l.Recall5, n.Recall5),
			pair(l.MRR, n.MRR), pair(l.AnswerRate, n.AnswerRate), pair(l.CitationPrec, n.CitationPrec), pair(l.RefusalAccuracy, n.RefusalAccuracy))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	switch {
	case c.Live.ID == 0:
		fmt.Fprintln(w, "\nGate: no version is live; nothing to compare with.")
	case c.Passed():
		fmt.Fprintf(w, "\nGate: passed (no metric fell by more than %.2f).\n", c.Tolerance)
	default:
		fmt.Fprintln(w, "\nGate: FAILED")
		if c.Problem != "" {
			fmt.Fprintln(w, "  ", c.Problem)
		}
		for _, r := range c.Regressions {
			fmt.Fprintln(w, "  ", r)
		}
	}
	if c.Override != "" {
		fmt.Fprintf(w, "Overridden: %s\n", c.Override)
	}
	return nil
}
