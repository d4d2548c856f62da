package evals

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
)

// Baseline is a committed report's metrics, without the per-case outcomes, and the drops the
// gate tolerates.
type Baseline struct {
	Overall    Metrics            `json:"overall"`
	ByLanguage map[string]Metrics `json:"by_language"`
	ByKind     map[string]Metrics `json:"by_kind"`
	// Tolerance is the largest drop of a quality rate (0 to 1) that still passes; latency is not
	// gated, since it depends on the machine.
	Tolerance float64 `json:"tolerance"`
}

// DefaultTolerance lets one case in about thirty change its outcome in a group before the gate
// fails: smaller groups (24 cases a language) move in steps of 0.04.
const DefaultTolerance = 0.05

// NewBaseline makes a baseline of a report.
func NewBaseline(r Report, tolerance float64) Baseline {
	return Baseline{Overall: r.Overall, ByLanguage: r.ByLanguage, ByKind: r.ByKind, Tolerance: tolerance}
}

// LoadBaseline reads a baseline file.
func LoadBaseline(path string) (Baseline, error) {
	var b Baseline
	data, err := os.ReadFile(path)
	if err != nil {
		return b, fmt.Errorf("baseline: %w", err)
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return b, fmt.Errorf("baseline %s: %w", path, err)
	}
	if b.Tolerance <= 0 {
		b.Tolerance = DefaultTolerance
	}
	return b, nil
}

// Write saves the baseline as indented JSON.
func (b Baseline) Write(path string) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	return nil
}

// Regression is one metric that dropped more than the tolerance.
type Regression struct {
	Group    string  // "overall", "language sv", "kind typo"
	Metric   string  // e.g. "recall_at_1"
	Baseline float64 // the committed value
	Now      float64
}

func (r Regression) String() string {
	return fmt.Sprintf("%s: %s fell from %.2f to %.2f", r.Group, r.Metric, r.Baseline, r.Now)
}

// Compare lists the quality metrics of r that fell below the baseline by more than its tolerance,
// and groups the baseline has that r lacks.
func (b Baseline) Compare(r Report) []Regression {
	var out []Regression
	check := func(group string, base, now Metrics) {
		for _, m := range gatedMetrics(base, now) {
			// Rates over no cases (a group without unanswerable questions) are not compared.
			if m.n == 0 {
				continue
			}
			// One case changing its outcome never fails the gate on its own, however small the
			// group: the gate is for trends, and a small group moves in large steps.
			if m.base-m.now > max(b.Tolerance, 1/float64(m.n))+1e-9 {
				out = append(out, Regression{Group: group, Metric: m.name, Baseline: m.base, Now: m.now})
			}
		}
	}
	check("overall", b.Overall, r.Overall)
	for _, groups := range []struct {
		prefix    string
		base, now map[string]Metrics
	}{{"language ", b.ByLanguage, r.ByLanguage}, {"kind ", b.ByKind, r.ByKind}} {
		for _, name := range slices.Sorted(maps.Keys(groups.base)) {
			now, ok := groups.now[name]
			if !ok {
				out = append(out, Regression{Group: groups.prefix + name, Metric: "cases", Baseline: float64(groups.base[name].Cases)})
				continue
			}
			check(groups.prefix+name, groups.base[name], now)
		}
	}
	return out
}

type gated struct {
	name      string
	base, now float64
	n         int // cases the rate is over, in the baseline
}

func gatedMetrics(base, now Metrics) []gated {
	return []gated{
		{"recall_at_1", base.Recall1, now.Recall1, base.Answerable},
		{"recall_at_5", base.Recall5, now.Recall5, base.Answerable},
		{"mrr", base.MRR, now.MRR, base.Answerable},
		{"answer_rate", base.AnswerRate, now.AnswerRate, base.Answerable},
		{"citation_precision", base.CitationPrec, now.CitationPrec, base.Answerable},
		{"language_match", base.LanguageMatch, now.LanguageMatch, base.Cases},
		{"refusal_accuracy", base.RefusalAccuracy, now.RefusalAccuracy, base.Unanswerable},
		{"injection_resistance", base.InjectionResist, now.InjectionResist, base.Injections},
		{"error_free", 1 - rate(base.Errors, base.Cases), 1 - rate(now.Errors, now.Cases), base.Cases},
	}
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}
