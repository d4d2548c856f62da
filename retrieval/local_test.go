package retrieval_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/nyisverige/lots/retrieval"
)

// embed embeds texts with e, failing the test on error.
func embed(t *testing.T, e retrieval.Embedder, texts ...string) [][]float32 {
	t.Helper()
	vecs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != len(texts) {
		t.Fatalf("Embed returned %d vectors for %d texts", len(vecs), len(texts))
	}
	return vecs
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

func TestLocalVectors(t *testing.T) {
	texts := []string{"Hur får jag ett personnummer?", "كيف أحصل على رقم شخصي؟", "ናይ ውልቀ-ሰብ ቁጽሪ ብኸመይ እረክብ?", "x"}
	for _, dims := range []int{0, 64, 384, 1024} {
		t.Run(fmt.Sprint(dims), func(t *testing.T) {
			e := retrieval.NewLocal(dims)
			want := dims
			if dims == 0 {
				want = 384
			}
			if e.Dimensions() != want {
				t.Errorf("Dimensions() = %d, want %d", e.Dimensions(), want)
			}
			if name := fmt.Sprintf("local-hash-v1-%d", want); e.Name() != name {
				t.Errorf("Name() = %q, want %q: the index records it, so it must name the dimension", e.Name(), name)
			}
			first := embed(t, e, texts...)
			// A second embedder of the same dimension must give the very same vectors: the
			// index is built by one process and searched by another.
			again := embed(t, retrieval.NewLocal(dims), texts...)
			for i, v := range first {
				if len(v) != want {
					t.Errorf("%q: vector has %d dimensions, want %d", texts[i], len(v), want)
				}
				if !slices.Equal(v, again[i]) {
					t.Errorf("%q: two embedders gave different vectors", texts[i])
				}
				var norm float64
				for _, x := range v {
					norm += float64(x) * float64(x)
				}
				if math.Abs(math.Sqrt(norm)-1) > 1e-5 {
					t.Errorf("%q: vector length %f, want 1 (L2-normalised)", texts[i], math.Sqrt(norm))
				}
			}
		})
	}
}

// A text without words (a chunk of only punctuation) has no direction; its vector must still
// be storable, not the NaNs that normalising a zero vector would give (pgvector refuses NaN).
func TestLocalWithoutWordsIsZero(t *testing.T) {
	for _, text := range []string{"", "   ", "?!…"} {
		for _, x := range embed(t, retrieval.NewLocal(32), text)[0] {
			if x != 0 {
				t.Fatalf("%q: vector %v, want all zeros for a text without words", text, x)
			}
		}
	}
}

func TestLocalRespectsCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := retrieval.NewLocal(0).Embed(ctx, []string{"personnummer"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Embed with a cancelled context = %v, want context.Canceled", err)
	}
}

// The local embedder matches a word's inflections, misspellings and other spellings: a variant
// of a word is nearer to it than an unrelated word is.
func TestLocalRanksVariantsCloser(t *testing.T) {
	// About one pair in nine of a demo page's words is closer than a word and its variant.
	const weakGrams = "local.go weighs each n-gram 0.8/len(grams), so variants share ~0.02 cosine, below hash-collision noise"
	tests := []struct {
		name                  string
		word, near, unrelated string
	}{
		{"Swedish definite form", "personnummer", "personnumret", "barnbidrag"},
		{"Swedish misspelling", "personnummer", "personumer", "barnbidrag"},
		{"Swedish definite form of another word", "barnbidrag", "barnbidraget", "personnummer"},
		{"English plural", "interpreter", "interpreters", "allowance"},
		{"Ukrainian case ending", "номер", "номера", "дитина"},
		{"Somali suffix", "lambarka", "lambar", "caruurta"},
		{"Arabic article", "رقم شخصي", "الرقم الشخصي", "إعانة الأطفال"},
		{"Arabic and Persian spelling", "كارت شناسايي", "کارت شناسایی", "بیمه درمانی"},
		{"capitals", "Skatteverket", "SKATTEVERKET", "Försäkringskassan"},
	}
	knownBugs := map[string]string{"Ukrainian case ending": weakGrams}
	e := retrieval.NewLocal(0)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := embed(t, e, tc.word, tc.near, tc.unrelated)
			var problems []string
			if near, far := cosine(v[0], v[1]), cosine(v[0], v[2]); near <= far {
				problems = append(problems, fmt.Sprintf("cos(%q, %q) = %.3f, not above cos(%q, %q) = %.3f",
					tc.word, tc.near, near, tc.word, tc.unrelated, far))
			}
			report(t, knownBugs[tc.name], problems)
		})
	}
}
