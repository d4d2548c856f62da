package evals_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nyisverige/lots/evals"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

// turn is one stored question for the signals tests.
type turn struct {
	question   string
	lang       string
	answered   bool
	confidence float64 // < 0: not recorded
	agency     string  // of the one citation; "" for none
	rating     string
	comment    string
	daysAgo    int
}

// storeTurns stores each turn in a conversation of its own, daysAgo days before now.
func storeTurns(t *testing.T, pool *pgxpool.Pool, now time.Time, turns ...turn) {
	t.Helper()
	ctx := context.Background()
	for _, tu := range turns {
		at := now.AddDate(0, 0, -tu.daysAgo)
		var conv, answer string
		if err := pool.QueryRow(ctx, `INSERT INTO conversations (language, created_at, expires_at) VALUES ($1, $2::timestamptz, $2::timestamptz + interval '30 days')
			RETURNING id::text, gen_random_uuid()::text`, tu.lang, at).Scan(&conv, &answer); err != nil {
			t.Fatal(err)
		}
		cites := "[]"
		if tu.agency != "" {
			cites = `[{"n": 1, "agency": "` + tu.agency + `"}]`
		}
		var conf *float64
		if tu.confidence >= 0 {
			conf = &tu.confidence
		}
		if _, err := pool.Exec(ctx, `INSERT INTO turns (conversation_id, n, answer_id, question, language, answer, answered, citations, confidence, created_at)
			VALUES ($1, 1, $2, $3, $4, 'answer', $5, $6, $7, $8)`, conv, answer, tu.question, tu.lang, tu.answered, cites, conf, at); err != nil {
			t.Fatal(err)
		}
		if tu.rating != "" {
			if _, err := pool.Exec(ctx, `INSERT INTO feedback (answer_id, rating, comment, created_at) VALUES ($1, $2, $3, $4)`,
				answer, tu.rating, tu.comment, at); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestSignalsReport(t *testing.T) {
	pool := storetest.New(t).Pool()
	now := time.Date(2025, 3, 20, 12, 0, 0, 0, time.UTC) // a Thursday
	storeTurns(t, pool, now,
		turn{question: "Hur byter jag körkort från Iran?", lang: "sv", confidence: -1, daysAgo: 1},
		turn{question: "Hur byter jag mitt körkort från Iran", lang: "sv", confidence: -1, daysAgo: 9},
		turn{question: "hur byter jag körkort från iran?", lang: "sv", confidence: -1, daysAgo: 2},
		turn{question: "Kan min katt flytta med till Sverige?", lang: "sv", confidence: -1, daysAgo: 3},
		turn{question: "How do I swap my driving licence from Iran?", lang: "en", confidence: -1, daysAgo: 1},
		// answered, but narrowly: low confidence
		turn{question: "Vad kostar SFI för pensionärer?", lang: "sv", answered: true, confidence: 0.32, agency: "Skolverket", daysAgo: 4},
		// answered well and rated helpful: feedback, not a gap
		turn{question: "Hur får jag ett personnummer?", lang: "sv", answered: true, confidence: 0.9, agency: "Skatteverket", rating: "helpful", comment: "Tack!", daysAgo: 1},
		// answered well but rated not helpful: a gap
		turn{question: "Hur lång tid tar uppehållstillstånd?", lang: "sv", answered: true, confidence: 0.8, agency: "Migrationsverket", rating: "not_helpful", comment: "=säger inget om tiden", daysAgo: 5},
		// answered well, no rating: nothing to say
		turn{question: "Vad är barnbidrag?", lang: "sv", answered: true, confidence: 0.95, agency: "Försäkringskassan", daysAgo: 1},
		// outside the period
		turn{question: "Hur byter jag körkort från Iran?", lang: "sv", confidence: -1, daysAgo: 80},
	)
	signals := evals.NewSignals(pool, 0)
	ctx := context.Background()
	since := now.AddDate(0, 0, -28)

	t.Run("groups similar questions per language with weekly counts", func(t *testing.T) {
		rep, err := signals.Report(ctx, evals.SignalFilter{Since: since, Until: now})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Weeks) != 5 {
			t.Fatalf("weeks %v; want the 5 Mondays from 2025-02-17 to 2025-03-17", rep.Weeks)
		}
		top := rep.Groups[0]
		if top.Language != "sv" || top.Count != 3 || top.NotCovered != 3 || !strings.Contains(top.Example, "körkort") {
			t.Fatalf("top group %+v; want the three Swedish driving-licence questions, not covered", top)
		}
		if got := top.Weekly[len(top.Weekly)-2:]; !slices.Equal(got, []int{1, 2}) {
			t.Errorf("weekly counts of the last two weeks %v; want [1 2]", got)
		}
		langs := map[string]int{}
		for _, g := range rep.Groups {
			langs[g.Language] += g.Count
			if g.Example == "Hur får jag ett personnummer?" || g.Example == "Vad är barnbidrag?" {
				t.Errorf("group %q is no gap: answered with confidence", g.Example)
			}
		}
		if langs["en"] != 1 || langs["sv"] != 6 {
			t.Errorf("questions per language in groups %v; want sv 6 (3 licence, cat, SFI, permit) and en 1", langs)
		}
		if rep.Helpful != 1 || rep.NotHelpful != 1 || len(rep.Feedback) != 2 || rep.Feedback[0].Comment != "Tack!" {
			t.Errorf("feedback %+v (helpful %d, not %d); want both rated answers, newest first", rep.Feedback, rep.Helpful, rep.NotHelpful)
		}
		if rep.Questions != 9 || rep.NotCovered != 5 {
			t.Errorf("questions %d, not covered %d; want 9 and 5", rep.Questions, rep.NotCovered)
		}
		if len(rep.PerDay) != 29 || rep.PerDay[len(rep.PerDay)-2].Questions != 4 {
			t.Errorf("per day: %d days, yesterday %+v; want 29 days and 4 questions yesterday", len(rep.PerDay), rep.PerDay[len(rep.PerDay)-2])
		}
	})

	t.Run("a steward sees their agency's answers and every uncovered question", func(t *testing.T) {
		rep, err := signals.Report(ctx, evals.SignalFilter{Since: since, Until: now, Agencies: []string{"Skolverket"}})
		if err != nil {
			t.Fatal(err)
		}
		var examples []string
		for _, g := range rep.Groups {
			examples = append(examples, g.Example)
		}
		for _, want := range []string{"Vad kostar SFI för pensionärer?", "Kan min katt flytta med till Sverige?"} {
			if !slices.Contains(examples, want) {
				t.Errorf("groups %q lack %q", examples, want)
			}
		}
		if slices.Contains(examples, "Hur lång tid tar uppehållstillstånd?") || len(rep.Feedback) != 0 {
			t.Errorf("a Skolverket steward sees Migrationsverket's feedback: %q, %+v", examples, rep.Feedback)
		}
	})

	t.Run("language filter", func(t *testing.T) {
		rep, err := signals.Report(ctx, evals.SignalFilter{Since: since, Until: now, Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Groups) != 1 || rep.Groups[0].Language != "en" || rep.Questions != 1 {
			t.Errorf("English groups %+v, questions %d; want the one English question", rep.Groups, rep.Questions)
		}
	})

	t.Run("CSV export is safe to open in a spreadsheet", func(t *testing.T) {
		rep, err := signals.Report(ctx, evals.SignalFilter{Since: since, Until: now})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := evals.WriteGroupsCSV(&b, rep); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(rep.Groups)+1 || rows[0][7] != "week_2025-02-17" || rows[1][2] != "3" {
			t.Errorf("groups CSV %q; want a header with weekly columns and the top group counted 3", rows)
		}
		b.Reset()
		if err := evals.WriteFeedbackCSV(&b, rep); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "'=säger inget om tiden") {
			t.Errorf("feedback CSV does not neutralise a formula in a comment:\n%s", b.String())
		}
	})
}
