package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/evals"
)

// evalOptions are the flags of lots eval.
type evalOptions struct {
	sets          stringList
	jsonOut       string
	mdOut         string
	baseline      string
	writeBaseline string
	verbose       bool
	index         int    // evaluate this index version instead of the live one; 0: the live one
	actor         string // who evaluates, recorded with an index version's report
}

// evalLive answers the cases from the live index version.
func (a *app) evalLive(ctx context.Context, cases []evals.Case, progress io.Writer) (evals.Report, error) {
	asst, err := a.newAssistant()
	if err != nil {
		return evals.Report{}, err
	}
	outcomes, err := evals.Run(ctx, asst, cases, progress)
	if err != nil {
		return evals.Report{}, err
	}
	return evals.NewReport(outcomes), nil
}

// errRegression is returned when quality fell below the baseline; lots exits non-zero.
var errRegression = errors.New("quality fell below the baseline")

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func (a *app) eval(ctx context.Context, opts evalOptions, out, progress io.Writer) error {
	if err := a.checkSchema(ctx); err != nil {
		return err
	}
	cases, err := loadEvalCases(opts.sets)
	if err != nil {
		return err
	}
	var report evals.Report
	if opts.index != 0 {
		// The report is kept with the version, for the comparison lots index publish gates on.
		report, err = a.evalIndex(ctx, opts.index, cases, cmp.Or(opts.actor, env("USER", "cli")), nil)
	} else {
		report, err = a.evalLive(ctx, cases, progress)
	}
	if err != nil {
		return err
	}
	if opts.verbose {
		for _, o := range report.Outcomes {
			fmt.Fprintf(out, "%-8s %-12s answered=%-5v rank=%d cited=%d/%d  %s\n", o.ID, o.Kind, o.Answered, o.Rank, o.CitedExpect, o.Cited, o.Question)
		}
	}
	if err := report.WriteTable(out); err != nil {
		return err
	}
	var regressions []evals.Regression
	if opts.baseline != "" {
		base, err := evals.LoadBaseline(opts.baseline)
		if err != nil {
			return err
		}
		regressions = base.Compare(report)
		if regressions == nil {
			regressions = []evals.Regression{}
		}
	}
	if opts.mdOut != "" {
		if err := report.WriteMarkdown(opts.mdOut, regressions); err != nil {
			return err
		}
	}
	if opts.writeBaseline != "" {
		if err := evals.NewBaseline(report, evals.DefaultTolerance).Write(opts.writeBaseline); err != nil {
			return err
		}
	}
	if opts.jsonOut != "" {
		data, err := json.MarshalIndent(report, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(opts.jsonOut, data, 0o644); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	if len(regressions) > 0 {
		fmt.Fprintf(out, "\n%d metric(s) fell by more than the tolerance:\n", len(regressions))
		for _, r := range regressions {
			fmt.Fprintln(out, "  ", r)
		}
		return errRegression
	}
	if opts.baseline != "" {
		fmt.Fprintf(out, "\nNo metric fell below %s by more than the tolerance.\n", opts.baseline)
	}
	return nil
}

// evalQuestions are the demo evaluation sets' questions, follow-ups with the question before
// them, for lots bench and lots loadtest; or the demo's own questions when the sets are not at
// hand (the binary run outside the repository).
func evalQuestions() ([]assistant.Question, error) {
	var out []assistant.Question
	sets, err := demoSets()
	if err != nil {
		for _, q := range demoQuestions {
			out = append(out, assistant.Question{Text: q.text, Language: q.lang})
		}
		return out, nil
	}
	cases, err := evals.LoadCases(sets...)
	if err != nil {
		return nil, err
	}
	for _, c := range cases {
		out = append(out, assistant.Question{Text: c.Question, Language: c.Language, Previous: c.Previous})
	}
	return out, nil
}
