package evals

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"text/tabwriter"

	"github.com/nyisverige/lots/retrieval"
)

// Report is the metrics overall, per language and per kind.
type Report struct {
	Overall    Metrics            `json:"overall"`
	ByLanguage map[string]Metrics `json:"by_language"`
	ByKind     map[string]Metrics `json:"by_kind"`
	Outcomes   []Outcome          `json:"outcomes"`
}

// NewReport groups outcomes.
func NewReport(outcomes []Outcome) Report {
	r := Report{Overall: Summarize(outcomes), ByLanguage: map[string]Metrics{}, ByKind: map[string]Metrics{}, Outcomes: outcomes}
	byLang, byKind := map[string][]Outcome{}, map[string][]Outcome{}
	for _, o := range outcomes {
		byLang[o.Language] = append(byLang[o.Language], o)
		byKind[o.Kind] = append(byKind[o.Kind], o)
	}
	for l, os := range byLang {
		r.ByLanguage[l] = Summarize(os)
	}
	for k, os := range byKind {
		r.ByKind[k] = Summarize(os)
	}
	return r
}

// WriteTable prints the per-language and per-kind tables for a terminal.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 4, 4, 2, ' ', tabwriter.AlignRight)
	header := "group\tcases\tR@1\tR@5\tMRR\tanswered\tcite prec\tlang\trefusal\tinjection\tp50 ms\tp95 ms\t"
	row := func(name string, m Metrics) {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.1f\t%.1f\t\n", name, m.Cases, m.Recall1, m.Recall5,
			m.MRR, m.AnswerRate, m.CitationPrec, m.LanguageMatch, m.RefusalAccuracy, m.InjectionResist, m.LatencyP50Millis, m.LatencyP95Millis)
	}
	fmt.Fprintln(tw, header)
	for _, l := range sortedKeys(r.ByLanguage, retrieval.Languages) {
		row(l, r.ByLanguage[l])
	}
	row("all", r.Overall)
	fmt.Fprintln(tw, "\t\t\t\t\t\t\t\t\t\t\t\t")
	fmt.Fprintln(tw, header)
	for _, k := range sortedKeys(r.ByKind, Kinds) {
		row(k, r.ByKind[k])
	}
	return tw.Flush()
}

// sortedKeys lists the keys in the preferred order first, then the rest alphabetically.
func sortedKeys(m map[string]Metrics, order []string) []string {
	var keys, rest []string
	for _, k := range order {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	for k := range m {
		if !slices.Contains(order, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(keys, rest...)
}
