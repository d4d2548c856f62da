package assistant_test

import (
	"context"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/retrieval"
)

func stem5(w string) string {
	if utf8.RuneCountInString(w) <= 5 {
		return w
	}
	return string([]rune(w)[:5])
}

func TestExploreCov(t *testing.T) {
	st := demoIndex(t)
	ctx := context.Background()
	msgs, _ := assistant.LoadMessages(retrieval.Languages)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := retrieval.NewSearcher(st, retrieval.NewLocal(0), retrieval.Thresholds{MinCoverage: 0.3, MinSimilarity: 0.7}, log)
	a := assistant.New(s, nil, msgs, log, assistant.Config{})
	ix, _ := st.LiveIndex(ctx)
	for _, q := range []struct{ lang, text string }{
		{"ar", "كيف أحصل على رقم شخصي؟"}, {"fa", "چگونه شماره شخصی بگیرم؟"}, {"so", "Sideen ku helaa lambarka aqoonsiga shakhsiga?"},
		{"ar", "كيف أبلغ عن تغيير عنواني عندما أنتقل داخل السويد؟"},
	} {
		ans, err := a.Answer(ctx, assistant.Question{Text: q.text, Language: q.lang})
		if err != nil {
			t.Fatal(err)
		}
		terms, prefix := retrieval.SearchTerms(q.text, q.lang)
		stats, _ := st.TermStats(ctx, ix, q.lang, terms, prefix)
		t.Logf("Q %s %q answered=%v cov=%.2f terms=%q", q.lang, q.text, ans.Answered, ans.Coverage, terms)
		for _, s := range stats {
			idf := math.Log(1 + (float64(s.N-s.DF)+0.5)/(float64(s.DF)+0.5))
			t.Logf("  term %q indexed=%v df=%d n=%d idf=%.2f", s.Term, s.Indexed, s.DF, s.N, idf)
		}
		for i, h := range ans.Retrieved {
			words := retrieval.Words(retrieval.Normalize(h.Title + " " + strings.Join(h.Headings, " ") + " " + h.Text))
			stems := map[string]bool{}
			for _, w := range words {
				stems[stem5(w)] = true
			}
			var has []string
			for _, s := range stats {
				if stems[stem5(retrieval.Normalize(s.Term))] {
					has = append(has, s.Term)
				}
			}
			t.Logf("  hit %d %s sim=%.2f vr=%d tr=%d score=%.4f stems=%q  %.80q", i, h.URL[22:], h.Similarity, h.VectorRank, h.TextRank, h.Score, has, h.Text)
		}
	}
}
