package retrieval_test

import (
	"context"
	"testing"

	"github.com/nyisverige/lots/evals"
	"github.com/nyisverige/lots/retrieval"
)

// BenchmarkLocalEmbed measures the local embedder on synthetic passages of 60 to 250 words,
// one language at a time.
func BenchmarkLocalEmbed(b *testing.B) {
	byLang := map[string][]string{}
	for _, c := range evals.Synthetic(1, 2000) {
		byLang[c.Language] = append(byLang[c.Language], c.Text)
	}
	emb := retrieval.NewLocal(0)
	ctx := context.Background()
	for _, lang := range retrieval.Languages {
		texts := byLang[lang]
		b.Run(lang, func(b *testing.B) {
			bytes := 0
			i := 0
			for b.Loop() {
				t := texts[i%len(texts)]
				if _, err := emb.Embed(ctx, []string{t}); err != nil {
					b.Fatal(err)
				}
				bytes += len(t)
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "passages/s")
			b.ReportMetric(float64(bytes)/float64(i), "B/passage")
		})
	}
}
