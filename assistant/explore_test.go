package assistant_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/retrieval"
)

func TestExplore(t *testing.T) {
	start := time.Now()
	st := demoIndex(t)
	t.Logf("crawl took %s", time.Since(start))
	msgs, _ := assistant.LoadMessages(retrieval.Languages)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := retrieval.NewSearcher(st, retrieval.NewLocal(0), retrieval.Thresholds{MinCoverage: 0.3, MinSimilarity: 0.7}, log)
	a := assistant.New(s, nil, msgs, log, assistant.Config{})
	qs := []assistant.Question{}
	data, _ := os.ReadFile("/tmp/explore/q.jsonl")
	dec := json.NewDecoder(bytesReader(data))
	for dec.More() {
		var q assistant.Question
		if err := dec.Decode(&q); err != nil {
			t.Fatal(err)
		}
		qs = append(qs, q)
	}
	for _, q := range qs {
		ans, err := a.Answer(context.Background(), q)
		if err != nil {
			t.Logf("Q %q: err %v", q.Text, err)
			continue
		}
		t.Logf("Q %q [%s] answered=%v lang=%s cov=%.2f\n%s", q.Text, q.Language, ans.Answered, ans.Language, ans.Coverage, ans.Answer)
		for _, c := range ans.Citations {
			t.Logf("   [%d] %s %s", c.N, c.Language, c.URL)
		}
		for i, h := range ans.Retrieved {
			if i < 3 {
				t.Logf("   hit %s sim=%.2f vr=%d tr=%d", h.URL, h.Similarity, h.VectorRank, h.TextRank)
			}
		}
	}
}
