package retrieval

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"unicode/utf8"
)

// Local is the default embedder: deterministic, multilingual, and it needs no model download.
// It hashes words and character n-grams of words into a fixed number of signed buckets, with
// sublinear term frequency, damped function words, and L2 normalisation. It matches words and
// their inflections and misspellings within a language (and shared terms such as "personnummer"
// across languages); it does not know that two different words mean the same thing.
type Local struct {
	dims int
}

// NewLocal returns a Local embedder with the given dimension (384 if dims <= 0).
func NewLocal(dims int) *Local {
	if dims <= 0 {
		dims = 384
	}
	return &Local{dims: dims}
}

// Name identifies the feature scheme and dimension; change it whenever the features change.
func (l *Local) Name() string { return fmt.Sprintf("local-hash-v1-%d", l.dims) }

// Dimensions is the vector length.
func (l *Local) Dimensions() int { return l.dims }

// Embed embeds each text. It never fails but for a cancelled context.
func (l *Local) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if i%64 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("local embed: %w", ctx.Err())
		}
		out[i] = l.embed(t)
	}
	return out, nil
}

func (l *Local) embed(text string) []float32 {
	features := make(map[string]float64)
	for _, w := range Words(Normalize(text)) {
		w = BaseForm(w)
		weight := wordWeight(w)
		features["w:"+w] += weight
		grams := charGrams(w)
		for _, g := range grams {
			// A word's n-grams together weigh about as much as the word, so long words do not
			// drown short ones; they carry inflections, compounds and typos.
			features["g:"+g] += weight * 0.8 / float64(len(grams))
		}
	}
	vec := make([]float64, l.dims)
	for f, tf := range features {
		h := fnv.New64a()
		h.Write([]byte(f))
		sum := h.Sum64()
		v := 1 + math.Log(1+tf)
		if tf < 1 {
			v = tf * (1 + math.Log(2)) // keep damped words below a full word
		}
		if sum>>63 == 1 {
			v = -v
		}
		vec[sum%uint64(l.dims)] += v
	}
	var norm float64
	for _, v := range vec {
		norm += v * v
	}
	out := make([]float32, l.dims)
	if norm == 0 {
		return out
	}
	norm = math.Sqrt(norm)
	for i, v := range vec {
		out[i] = float32(v / norm)
	}
	return out
}

// charGrams returns the 3- and 4-grams of a word framed by boundary marks; short words have none.
func charGrams(w string) []string {
	if utf8.RuneCountInString(w) < 4 {
		return nil
	}
	r := []rune("<" + w + ">")
	var grams []string
	for n := 3; n <= 4; n++ {
		for i := 0; i+n <= len(r); i++ {
			grams = append(grams, string(r[i:i+n]))
		}
	}
	return grams
}
