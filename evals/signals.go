package evals

import (
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nyisverige/lots/retrieval"
)

// Kinds of signal: what a user's question says about the content.
const (
	SignalNotCovered    = "not_covered"    // Lots said the sources do not cover the question
	SignalLowConfidence = "low_confidence" // answered, but the best passage covered little of the question
	SignalNotHelpful    = "not_helpful"    // the user rated the answer not helpful
	SignalHelpful       = "helpful"        // the user rated the answer helpful
)

// DefaultLowConfidence is the coverage under which an answer counts as low-confidence: the
// assistant answers from 0.3 (retrieval.DefaultThresholds), so these are the narrow passes.
const DefaultLowConfidence = 0.5

// signalsZone is where the stewards' days and weeks begin.
const signalsZone = "Europe/Stockholm"

// similarGroup is the share of character trigrams two questions must share to be grouped.
const similarGroup = 0.4

var (
	//go:embed queries/signals.sql
	signalsSQL string
	//go:embed queries/signals_per_day.sql
	signalsPerDaySQL string
)

// Signals reads what the questions users asked and their feedback say about the gaps in the
// content: questions Lots could not answer, answers it was unsure of, and ratings.
type Signals struct {
	pool          *pgxpool.Pool
	lowConfidence float64
}

// NewSignals reads signals from pool; lowConfidence ≤ 0 means DefaultLowConfidence.
func NewSignals(pool *pgxpool.Pool, lowConfidence float64) *Signals {
	if lowConfidence <= 0 {
		lowConfidence = DefaultLowConfidence
	}
	return &Signals{pool: pool, lowConfidence: lowConfidence}
}

// SignalFilter narrows a signals report. Zero fields do not filter.
type SignalFilter struct {
	Since    time.Time // default: 8 weeks before Until
	Until    time.Time // default: now
	Language string
	// Agencies keeps answers that cited one of them (a steward's view); questions that were
	// not covered cite nothing and are always kept: they are everyone's gap.
	Agencies []string
	Limit    int // questions read; default 5,000
}

// Signal is one question that says something about the content.
type Signal struct {
	AnswerID   string
	Question   string // redacted when stored
	Language   string
	Answered   bool
	Confidence float64 // -1 when not recorded
	Rating     string  // "helpful", "not_helpful" or ""
	Comment    string  // redacted when stored
	Agencies   []string
	At         time.Time
}

// Kinds lists what the signal says, most telling first.
func (s Signal) Kinds(lowConfidence float64) []string {
	var out []string
	if !s.Answered {
		out = append(out, SignalNotCovered)
	} else if s.Confidence >= 0 && s.Confidence < lowConfidence {
		out = append(out, SignalLowConfidence)
	}
	if s.Rating != "" {
		out = append(out, s.Rating)
	}
	return out
}

// gap reports whether the signal points at missing or weak content.
func (s Signal) gap(lowConfidence float64) bool {
	k := s.Kinds(lowConfidence)
	return len(k) > 0 && k[0] != SignalHelpful
}

// Group is similar questions in one language.
type Group struct {
	Language      string
	Example       string   // the question asked most often in the group (the first if tied)
	Questions     []string // the group's distinct questions, most asked first, at most 10
	Count         int
	NotCovered    int
	LowConfidence int
	NotHelpful    int
	Weekly        []int // questions per week, aligned with SignalReport.Weeks
	Last          time.Time
}

// DayCount is the questions asked on one day.
type DayCount struct {
	Day        time.Time
	Questions  int
	NotCovered int
}

// SignalReport is the stewards' view of the gaps: grouped questions with weekly counts, the
// feedback, and the questions per day.
type SignalReport struct {
	Since, Until  time.Time
	LowConfidence float64
	Weeks         []time.Time // the Monday of each week of the period, oldest first
	Groups        []Group     // most asked first
	Feedback      []Signal    // rated answers, newest first
	Helpful       int
	NotHelpful    int
	PerDay        []DayCount // every day of the period, oldest first
	Questions     int        // all questions asked in the period
	NotCovered    int
}

// Report reads the signals of the period and groups them.
func (s *Signals) Report(ctx context.Context, f SignalFilter) (SignalReport, error) {
	loc, err := time.LoadLocation(signalsZone)
	if err != nil {
		return SignalReport{}, fmt.Errorf("signals: time zone: %w", err)
	}
	if f.Until.IsZero() {
		f.Until = time.Now()
	}
	if f.Since.IsZero() || !f.Since.Before(f.Until) {
		f.Since = f.Until.AddDate(0, 0, -7*8)
	}
	if f.Limit <= 0 {
		f.Limit = 5000
	}
	rep := SignalReport{Since: f.Since, Until: f.Until, LowConfidence: s.lowConfidence}
	rows, err := s.pool.Query(ctx, signalsSQL, f.Since, f.Until, f.Language, f.Agencies, s.lowConfidence, f.Limit)
	if err != nil {
		return rep, fmt.Errorf("signals: %w", err)
	}
	sigs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Signal, error) {
		var sig Signal
		var conf *float32
		err := row.Scan(&sig.AnswerID, &sig.Question, &sig.Language, &sig.Answered, &conf, &sig.Rating, &sig.Comment, &sig.Agencies, &sig.At)
		sig.Confidence = -1
		if conf != nil {
			sig.Confidence = float64(*conf)
		}
		return sig, err
	})
	if err != nil {
		return rep, fmt.Errorf("signals: %w", err)
	}
	rep.Weeks = weeks(f.Since, f.Until, loc)
	var gaps []Signal
	for _, sig := range sigs {
		switch sig.Rating {
		case SignalHelpful:
			rep.Helpful++
		case SignalNotHelpful:
			rep.NotHelpful++
		}
		if sig.Rating != "" {
			rep.Feedback = append(rep.Feedback, sig)
		}
		if sig.gap(s.lowConfidence) {
			gaps = append(gaps, sig)
		}
	}
	rep.Groups = groupSignals(gaps, rep.Weeks, s.lowConfidence, loc)
	rep.PerDay, err = s.perDay(ctx, f, loc)
	if err != nil {
		return rep, err
	}
	for _, d := range rep.PerDay {
		rep.Questions += d.Questions
		rep.NotCovered += d.NotCovered
	}
	return rep, nil
}

// perDay counts the questions of every day of the period, days without any included.
func (s *Signals) perDay(ctx context.Context, f SignalFilter, loc *time.Location) ([]DayCount, error) {
	rows, err := s.pool.Query(ctx, signalsPerDaySQL, f.Since, f.Until, f.Language, signalsZone)
	if err != nil {
		return nil, fmt.Errorf("signals per day: %w", err)
	}
	days, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (DayCount, error) {
		var d DayCount
		err := row.Scan(&d.Day, &d.Questions, &d.NotCovered)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("signals per day: %w", err)
	}
	counts := map[string]DayCount{}
	for _, d := range days {
		counts[d.Day.Format(time.DateOnly)] = d
	}
	var out []DayCount
	first := f.Since.In(loc)
	last := f.Until.In(loc)
	for d := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, loc); !d.After(last); d = d.AddDate(0, 0, 1) {
		c := counts[d.Format(time.DateOnly)]
		c.Day = d
		out = append(out, c)
	}
	return out, nil
}

// weeks lists the Monday of every week from since to until in loc.
func weeks(since, until time.Time, loc *time.Location) []time.Time {
	var out []time.Time
	for w := weekOf(since, loc); !w.After(until); w = w.AddDate(0, 0, 7) {
		out = append(out, w)
	}
	return out
}

// weekOf is the midnight starting the Monday of t's week in loc.
func weekOf(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	back := (int(t.Weekday()) + 6) % 7
	return time.Date(t.Year(), t.Month(), t.Day()-back, 0, 0, 0, 0, loc)
}

// groupSignals groups similar questions per language: each question joins the first group
// whose leading question shares enough of its character trigrams, or starts a group.
func groupSignals(sigs []Signal, wks []time.Time, lowConfidence float64, loc *time.Location) []Group {
	type building struct {
		Group
		grams  map[string]bool
		counts map[string]int
	}
	var groups []*building
	byLang := map[string][]*building{}
	// Oldest first, so that a group is led by the question that started it.
	sorted := slices.Clone(sigs)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].At.Before(sorted[j].At) })
	for _, sig := range sorted {
		grams := trigrams(sig.Question)
		var g *building
		for _, cand := range byLang[sig.Language] {
			if jaccard(grams, cand.grams) >= similarGroup {
				g = cand
				break
			}
		}
		if g == nil {
			g = &building{Group: Group{Language: sig.Language, Weekly: make([]int, len(wks))}, grams: grams, counts: map[string]int{}}
			groups = append(groups, g)
			byLang[sig.Language] = append(byLang[sig.Language], g)
		}
		g.Count++
		g.counts[strings.TrimSpace(sig.Question)]++
		for _, k := range sig.Kinds(lowConfidence) {
			switch k {
			case SignalNotCovered:
				g.NotCovered++
			case SignalLowConfidence:
				g.LowConfidence++
			case SignalNotHelpful:
				g.NotHelpful++
			}
		}
		if i := weekIndex(wks, sig.At, loc); i >= 0 {
			g.Weekly[i]++
		}
		if sig.At.After(g.Last) {
			g.Last = sig.At
		}
	}
	out := make([]Group, 0, len(groups))
	for _, g := range groups {
		for q := range g.counts {
			g.Questions = append(g.Questions, q)
		}
		sort.Slice(g.Questions, func(i, j int) bool {
			a, b := g.Questions[i], g.Questions[j]
			if g.counts[a] != g.counts[b] {
				return g.counts[a] > g.counts[b]
			}
			return a < b
		})
		g.Example = g.Questions[0]
		if len(g.Questions) > 10 {
			g.Questions = g.Questions[:10]
		}
		out = append(out, g.Group)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Last.After(out[j].Last)
	})
	return out
}

func weekIndex(wks []time.Time, at time.Time, loc *time.Location) int {
	w := weekOf(at, loc)
	for i, start := range wks {
		if start.Equal(w) {
			return i
		}
	}
	return -1
}

// trigrams are the character trigrams of the question's normalised words, each padded with
// spaces, so that inflections and typos of a word still share most of them.
func trigrams(q string) map[string]bool {
	out := map[string]bool{}
	for _, w := range retrieval.Words(retrieval.Normalize(q)) {
		w = " " + w + " "
		if utf8.RuneCountInString(w) < 3 {
			continue
		}
		r := []rune(w)
		for i := 0; i+3 <= len(r); i++ {
			out[string(r[i:i+3])] = true
		}
	}
	return out
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	both := 0
	for g := range a {
		if b[g] {
			both++
		}
	}
	return float64(both) / float64(len(a)+len(b)-both)
}

// WriteGroupsCSV writes the report's groups as CSV: one row per group, with a column per week.
func WriteGroupsCSV(w io.Writer, rep SignalReport) error {
	cw := csv.NewWriter(w)
	header := []string{"language", "example", "count", "not_covered", "low_confidence", "not_helpful", "last_asked"}
	for _, wk := range rep.Weeks {
		header = append(header, "week_"+wk.Format(time.DateOnly))
	}
	header = append(header, "questions")
	cw.Write(header)
	for _, g := range rep.Groups {
		row := []string{g.Language, csvSafe(g.Example), strconv.Itoa(g.Count), strconv.Itoa(g.NotCovered),
			strconv.Itoa(g.LowConfidence), strconv.Itoa(g.NotHelpful), g.Last.UTC().Format(time.RFC3339)}
		for _, n := range g.Weekly {
			row = append(row, strconv.Itoa(n))
		}
		row = append(row, csvSafe(strings.Join(g.Questions, " | ")))
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// WriteFeedbackCSV writes the report's rated answers as CSV, newest first.
func WriteFeedbackCSV(w io.Writer, rep SignalReport) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"at", "language", "rating", "answered", "confidence", "agencies", "question", "comment"})
	for _, s := range rep.Feedback {
		conf := ""
		if s.Confidence >= 0 {
			conf = strconv.FormatFloat(s.Confidence, 'f', 2, 64)
		}
		cw.Write([]string{s.At.UTC().Format(time.RFC3339), s.Language, s.Rating, strconv.FormatBool(s.Answered), conf,
			strings.Join(s.Agencies, " "), csvSafe(s.Question), csvSafe(s.Comment)})
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from running a user's text as a formula (CSV injection).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
