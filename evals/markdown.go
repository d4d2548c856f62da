package evals

import (
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/nyisverige/lots/retrieval"
)

// chartMetrics are the rates drawn in each language's chart.
var chartMetrics = []struct {
	label string
	get   func(Metrics) float64
}{
	{"R@1", func(m Metrics) float64 { return m.Recall1 }},
	{"R@5", func(m Metrics) float64 { return m.Recall5 }},
	{"MRR", func(m Metrics) float64 { return m.MRR }},
	{"answered", func(m Metrics) float64 { return m.AnswerRate }},
	{"cite prec", func(m Metrics) float64 { return m.CitationPrec }},
	{"refusal", func(m Metrics) float64 { return m.RefusalAccuracy }},
}

// WriteMarkdown writes the report as Markdown to path, with one SVG bar chart per language in
// the same folder (report-<lang>.svg), and the regressions against a baseline if any.
func (r Report) WriteMarkdown(path string, regressions []Regression) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("markdown report: %w", err)
	}
	var b strings.Builder
	b.WriteString("# Lots evaluation\n\n")
	fmt.Fprintf(&b, "%d cases. Rates from 0 to 1; latency in milliseconds.\n\n", r.Overall.Cases)
	writeTable(&b, "Language", sortedKeys(r.ByLanguage, retrieval.Languages), r.ByLanguage, r.Overall)
	b.WriteString("\n")
	writeTable(&b, "Kind", sortedKeys(r.ByKind, Kinds), r.ByKind, r.Overall)
	if regressions != nil {
		b.WriteString("\n## Against the baseline\n\n")
		if len(regressions) == 0 {
			b.WriteString("No metric fell by more than the tolerance.\n")
		}
		for _, reg := range regressions {
			fmt.Fprintf(&b, "- **%s**\n", reg)
		}
	}
	b.WriteString("\n## Per language\n\n")
	for _, l := range sortedKeys(r.ByLanguage, retrieval.Languages) {
		name := "report-" + l + ".svg"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(barChart(l, r.ByLanguage[l])), 0o644); err != nil {
			return fmt.Errorf("markdown report: %w", err)
		}
		fmt.Fprintf(&b, "![%s: quality metrics](%s)\n\n", l, name)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("markdown report: %w", err)
	}
	return nil
}

func writeTable(w io.Writer, first string, keys []string, groups map[string]Metrics, overall Metrics) {
	fmt.Fprintf(w, "| %s | cases | R@1 | R@5 | MRR | answered | cite prec | lang | refusal | injection | p50 | p95 |\n", first)
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	row := func(name string, m Metrics) {
		fmt.Fprintf(w, "| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f |\n", name, m.Cases,
			m.Recall1, m.Recall5, m.MRR, m.AnswerRate, m.CitationPrec, m.LanguageMatch, m.RefusalAccuracy, m.InjectionResist,
			m.LatencyP50Millis, m.LatencyP95Millis)
	}
	for _, k := range keys {
		row(k, groups[k])
	}
	row("**all**", overall)
}

// barChart draws one language's rates as horizontal bars, with a text alternative.
func barChart(lang string, m Metrics) string {
	const width, barX, barW, rowH = 420, 90, 280, 26
	height := 40 + rowH*len(chartMetrics)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-labelledby="t-%s">`,
		width, height, width, height, lang)
	var desc []string
	for _, c := range chartMetrics {
		desc = append(desc, fmt.Sprintf("%s %.2f", c.label, c.get(m)))
	}
	fmt.Fprintf(&b, `<title id="t-%s">%s: %s</title>`, lang, html.EscapeString(lang), html.EscapeString(strings.Join(desc, ", ")))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`, width, height)
	fmt.Fprintf(&b, `<text x="10" y="24" font-family="sans-serif" font-size="16" font-weight="bold" fill="#1a1a1a">%s (%d cases)</text>`,
		html.EscapeString(lang), m.Cases)
	for i, c := range chartMetrics {
		y := 36 + i*rowH
		v := c.get(m)
		fmt.Fprintf(&b, `<text x="10" y="%d" font-family="sans-serif" font-size="13" fill="#1a1a1a">%s</text>`, y+15, c.label)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="18" fill="#e6e6e6"/>`, barX, y+2, barW)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="18" fill="#1f5fa8"/>`, barX, y+2, v*barW)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-family="sans-serif" font-size="13" fill="#1a1a1a">%.2f</text>`, barX+barW+8, y+15, v)
	}
	b.WriteString("</svg>\n")
	return b.String()
}
