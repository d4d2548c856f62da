package web

import (
	"fmt"
	"html"
	"html/template"
	"sort"
	"strings"
)

// Charts are drawn on the server as inline SVG: no script, nothing to load, and they print.
// Each has a title and a description for screen readers, and the page shows the same numbers
// in a table beside it. Colours come from console.css (classes series-0…series-6), and every
// line also carries its label at its end, so colour is never the only way to tell lines apart.

// chartLabel is the label at the end of a line.
type chartLabel struct {
	series int
	x, y   float64
	text   string
}

// chartSeries is one line of a line chart.
type chartSeries struct {
	Label  string
	Values []float64 // aligned with the chart's X labels; a negative value is a gap
}

const (
	chartW, chartH         = 640, 280
	chartLeft, chartRight  = 48, 56
	chartTop, chartBottom  = 16, 40
	chartPlotW, chartPlotH = chartW - chartLeft - chartRight, chartH - chartTop - chartBottom
	chartMaxXLabels        = 12
	chartDotRadius         = 3.5
	chartBarGap            = 0.2 // share of a bar's slot left empty
	chartGridLines         = 4
	chartLabelGap          = 13 // px between two lines' labels
)

// lineChart draws values from 0 to 1 (quality rates) over xs, one line per series.
func lineChart(id, title, desc string, xs []string, series []chartSeries) template.HTML {
	var b strings.Builder
	chartOpen(&b, id, title, desc)
	chartGrid(&b, 1, func(v float64) string { return fmt.Sprintf("%.2g", v) })
	chartXLabels(&b, xs, func(i int) float64 { return pointX(i, len(xs)) })
	var labels []chartLabel
	for si, s := range series {
		var pts []string
		lastX, lastY := -1.0, 0.0
		for i, v := range s.Values {
			if v < 0 {
				continue
			}
			x, y := pointX(i, len(xs)), chartTop+chartPlotH*(1-clamp01(v))
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
			fmt.Fprintf(&b, `<circle class="series-%d" cx="%.1f" cy="%.1f" r="%.1f"/>`, si%7, x, y, chartDotRadius)
			lastX, lastY = x, y
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline class="line series-%d" points="%s"/>`, si%7, strings.Join(pts, " "))
		}
		if lastX >= 0 {
			labels = append(labels, chartLabel{series: si % 7, x: lastX + 8, y: lastY + 4, text: s.Label})
		}
	}
	// Lines that end at the same value would put their labels on top of each other: spread them.
	sort.SliceStable(labels, func(i, j int) bool { return labels[i].y < labels[j].y })
	for i := 1; i < len(labels); i++ {
		labels[i].y = max(labels[i].y, labels[i-1].y+chartLabelGap)
	}
	if n := len(labels); n > 0 && labels[n-1].y > chartH-4 {
		up := labels[n-1].y - (chartH - 4)
		for i := range labels {
			labels[i].y -= up
		}
	}
	for _, l := range labels {
		fmt.Fprintf(&b, `<text class="series-label series-%d" x="%.1f" y="%.1f">%s</text>`, l.series, l.x, l.y, html.EscapeString(l.text))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// barChart draws counts over xs as stacked bars: the whole bar is total, its lower part part
// (e.g. questions, and of them not covered).
func barChart(id, title, desc string, xs []string, total, part []int) template.HTML {
	var b strings.Builder
	chartOpen(&b, id, title, desc)
	top := 1
	for _, v := range total {
		top = max(top, v)
	}
	top = niceCeil(top)
	chartGrid(&b, float64(top), func(v float64) string { return fmt.Sprintf("%.0f", v) })
	n := max(len(xs), 1)
	slot := float64(chartPlotW) / float64(n)
	barW := slot * (1 - chartBarGap)
	chartXLabels(&b, xs, func(i int) float64 { return chartLeft + slot*float64(i) + slot/2 })
	for i := range total {
		x := chartLeft + slot*float64(i) + slot*chartBarGap/2
		h := chartPlotH * float64(total[i]) / float64(top)
		if h > 0 {
			fmt.Fprintf(&b, `<rect class="bar series-0" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, x, chartTop+chartPlotH-h, barW, h)
		}
		if i < len(part) && part[i] > 0 {
			ph := chartPlotH * float64(part[i]) / float64(top)
			fmt.Fprintf(&b, `<rect class="bar bar-part" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, x, chartTop+chartPlotH-ph, barW, ph)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func chartOpen(b *strings.Builder, id, title, desc string) {
	fmt.Fprintf(b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d" focusable="false">`, chartW, chartH, id, id)
	fmt.Fprintf(b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, html.EscapeString(title), id, html.EscapeString(desc))
}

// chartGrid draws horizontal grid lines with their values, from 0 to top.
func chartGrid(b *strings.Builder, top float64, format func(float64) string) {
	for i := 0; i <= chartGridLines; i++ {
		v := top * float64(i) / chartGridLines
		y := chartTop + chartPlotH*(1-float64(i)/chartGridLines)
		fmt.Fprintf(b, `<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, chartLeft, y, chartLeft+chartPlotW, y)
		fmt.Fprintf(b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%s</text>`, chartLeft-6, y+4, format(v))
	}
}

// chartXLabels writes at most chartMaxXLabels labels under the plot, evenly spread.
func chartXLabels(b *strings.Builder, xs []string, at func(int) float64) {
	step := max(1, (len(xs)+chartMaxXLabels-1)/chartMaxXLabels)
	for i, x := range xs {
		if i%step != 0 && i != len(xs)-1 {
			continue
		}
		fmt.Fprintf(b, `<text class="axis" x="%.1f" y="%d" text-anchor="middle">%s</text>`, at(i), chartTop+chartPlotH+20, html.EscapeString(x))
	}
}

func pointX(i, n int) float64 {
	if n <= 1 {
		return chartLeft + chartPlotW/2
	}
	return chartLeft + float64(chartPlotW)*float64(i)/float64(n-1)
}

func clamp01(v float64) float64 { return min(1, max(0, v)) }

// niceCeil rounds a count up to four grid steps of 1, 2 or 5 times a power of ten, so that every
// grid line is a whole number.
func niceCeil(n int) int {
	need := (max(n, 1) + chartGridLines - 1) / chartGridLines
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p >= need {
				return m * p * chartGridLines
			}
		}
	}
}
