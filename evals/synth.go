package evals

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
)

// SynthBase is the site the synthetic pages' URLs are on.
const SynthBase = "https://agencies.example"

// synthLanguages are the languages of the synthetic corpus. Every topic has a Swedish and an
// English page; the other languages translate a topic with probability synthTranslated, as
// agencies translate only some of their pages.
var synthLanguages = []string{"sv", "en", "ar", "fa", "so", "ti", "uk"}

const synthTranslated = 0.6

// Passage lengths in words, as the chunker's passages run.
const (
	synthMinWords = 60
	synthMaxWords = 250
)

// SynthChunk is one passage of the synthetic corpus.
type SynthChunk struct {
	Index            int // position in the corpus, from 0
	URL              string
	Language         string
	TranslationGroup string
	Agency           string
	Title            string
	Headings         []string // heading path: the page title, then the section heading
	Ord              int      // position on its page
	Text             string   // paragraphs separated by blank lines
}

// SynthPage is one synthetic page: one language's version of a topic.
type SynthPage struct {
	URL              string
	Path             string // URL without SynthBase
	Language         string
	TranslationGroup string // the smallest URL among the page and its translations, as the crawler computes it
	Agency           string
	AgencyPath       string
	Title            string
	Alternates       map[string]string // language → URL of every version of the topic, this one included
	Chunks           []SynthChunk      // one per section
}

// SynthQuery is a search for one synthetic passage: a few of its words.
type SynthQuery struct {
	Chunk    int // the Index of the passage the words come from
	URL      string
	Language string
	Text     string
}

// Synth generates the synthetic corpus page by page; the same seed gives the same corpus.
// Pages come a topic at a time, each topic in its languages in the order of synthLanguages.
type Synth struct {
	seed    int64
	topic   int
	pending []SynthPage
	chunks  int
}

// NewSynth returns a generator of the corpus of seed.
func NewSynth(seed int64) *Synth { return &Synth{seed: seed} }

// Synthetic returns the first n passages of the corpus of seed.
func Synthetic(seed int64, n int) []SynthChunk {
	s := NewSynth(seed)
	out := make([]SynthChunk, 0, n)
	for len(out) < n {
		p := s.NextPage()
		out = append(out, p.Chunks[:min(len(p.Chunks), n-len(out))]...)
	}
	return out
}

// SyntheticPages returns the first n pages of the corpus of seed.
func SyntheticPages(seed int64, n int) []SynthPage {
	s := NewSynth(seed)
	out := make([]SynthPage, n)
	for i := range out {
		out[i] = s.NextPage()
	}
	return out
}

// SyntheticQueries returns n queries for passages spread evenly over chunks.
func SyntheticQueries(seed int64, chunks []SynthChunk, n int) []SynthQuery {
	n = min(n, len(chunks))
	out := make([]SynthQuery, n)
	for i := range out {
		out[i] = QueryFor(seed, chunks[i*len(chunks)/n])
	}
	return out
}

// QueryFor samples three to five words of a passage, in the order they appear, as a query
// that should find it.
func QueryFor(seed int64, c SynthChunk) SynthQuery {
	rng := rand.New(rand.NewPCG(uint64(seed), 1<<40|uint64(c.Index)))
	var words []string
	for _, w := range strings.Fields(c.Text) {
		w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		// Ge'ez letters are syllables, so its words are short in runes.
		long := 4
		if c.Language == "ti" {
			long = 3
		}
		if utf8.RuneCountInString(w) >= long && !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	k := min(len(words), 3+rng.IntN(3))
	picked := rng.Perm(len(words))[:k]
	sort.Ints(picked)
	q := make([]string, k)
	for i, p := range picked {
		q[i] = words[p]
	}
	return SynthQuery{Chunk: c.Index, URL: c.URL, Language: c.Language, Text: strings.Join(q, " ")}
}

// NextPage returns the next page of the corpus.
func (s *Synth) NextPage() SynthPage {
	if len(s.pending) == 0 {
		s.pending = s.topicPages(s.topic)
		s.topic++
	}
	p := s.pending[0]
	s.pending = s.pending[1:]
	for i := range p.Chunks {
		p.Chunks[i].Index = s.chunks
		s.chunks++
	}
	return p
}

// synthTopic is what the versions of one topic share: their concepts, agency and outline.
type synthTopic struct {
	concepts []int // indexes into synthTerms; the first names the topic
	agency   [2]string
	sections []synthSection
}

type synthSection struct {
	concept int   // the concept its heading names
	words   []int // ranks of the common words in its heading
	length  int   // passage length in words before each language's variation
}

// topicPages generates every language version of topic number n.
func (s *Synth) topicPages(n int) []SynthPage {
	rng := rand.New(rand.NewPCG(uint64(s.seed), uint64(n)<<8))
	nterms := len(synthTerms["sv"])
	t := synthTopic{concepts: rng.Perm(nterms)[:3], agency: synthAgencies[rng.IntN(len(synthAgencies))]}
	for range 1 + rng.IntN(3) + rng.IntN(3) {
		sec := synthSection{concept: t.concepts[rng.IntN(3)], length: synthMinWords + rng.IntN(synthMaxWords-synthMinWords+1)}
		if rng.IntN(3) == 0 {
			sec.concept = rng.IntN(nterms)
		}
		for range 1 + rng.IntN(2) {
			sec.words = append(sec.words, 20+rng.IntN(150))
		}
		t.sections = append(t.sections, sec)
	}
	langs := synthLanguages[:2:2]
	for _, l := range synthLanguages[2:] {
		if rng.Float64() < synthTranslated {
			langs = append(langs, l)
		}
	}
	alternates := make(map[string]string, len(langs))
	group := ""
	for _, l := range langs {
		u := SynthBase + synthPath(t, l, n)
		alternates[l] = u
		if group == "" || u < group {
			group = u
		}
	}
	pages := make([]SynthPage, len(langs))
	for i, l := range langs {
		pages[i] = s.page(t, n, l, slices.Index(synthLanguages, l), alternates, group)
	}
	return pages
}

func synthPath(t synthTopic, lang string, n int) string {
	return fmt.Sprintf("/%s/%s/topic-%06d", t.agency[0], lang, n)
}

// page writes one language's version of a topic.
func (s *Synth) page(t synthTopic, n int, lang string, li int, alternates map[string]string, group string) SynthPage {
	rng := rand.New(rand.NewPCG(uint64(s.seed), uint64(n)<<8|uint64(1+li)))
	w := synthWriter{lang: lang, rng: rng, concepts: t.concepts}
	path := synthPath(t, lang, n)
	p := SynthPage{
		URL: SynthBase + path, Path: path, Language: lang, TranslationGroup: group,
		Agency: t.agency[1], AgencyPath: t.agency[0], Alternates: alternates,
		Title: capital(synthTerms[lang][t.concepts[0]]),
	}
	for i, sec := range t.sections {
		heading := []string{synthTerms[lang][sec.concept]}
		for _, r := range sec.words {
			heading = append(heading, w.common(r))
		}
		// Translations run a little longer or shorter than the original.
		length := sec.length + int(float64(sec.length)*(rng.Float64()-0.5)*0.3)
		length = max(synthMinWords, min(synthMaxWords, length))
		p.Chunks = append(p.Chunks, SynthChunk{
			URL: p.URL, Language: lang, TranslationGroup: group, Agency: p.Agency, Title: p.Title,
			Headings: []string{p.Title, capital(strings.Join(heading, " "))}, Ord: i, Text: w.passage(length),
		})
	}
	return p
}

// synthWriter writes passages in one language.
type synthWriter struct {
	lang     string
	rng      *rand.Rand
	concepts []int
}

// passage writes sentences of six to eighteen words, two to four to a paragraph, until it has
// exactly words words. Most words are common words at a Zipf-like frequency; some are the
// topic's terms or numbers.
func (w synthWriter) passage(words int) string {
	var b strings.Builder
	sentences, left := 0, words
	for left > 0 {
		n := min(left, 6+w.rng.IntN(13))
		if left-n < 6 && left-n > 0 {
			n = left // no sentence shorter than six words at the end
		}
		var sent []string
		for len(sent) < n {
			switch r := w.rng.Float64(); {
			case r < 0.08:
				// The topic's first concept is named twice as often as the others.
				term := strings.Fields(synthTerms[w.lang][w.concepts[[]int{0, 0, 1, 2}[w.rng.IntN(4)]]])
				if len(sent)+len(term) <= n {
					sent = append(sent, term...)
				}
			case r < 0.10:
				sent = append(sent, strconv.Itoa(1+w.rng.IntN(2030)))
			default:
				sent = append(sent, w.common(w.zipf()))
			}
			if len(sent) > 3 && len(sent) < n-2 && w.rng.IntN(12) == 0 {
				sent[len(sent)-1] += w.punct(',')
			}
		}
		sent[0] = capital(sent[0])
		sent[len(sent)-1] += w.punct('.')
		if sentences > 0 {
			if sentences%(2+w.rng.IntN(3)) == 0 {
				b.WriteString("\n\n")
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(strings.Join(sent, " "))
		sentences++
		left -= n
	}
	return b.String()
}

// punct gives a full stop or comma in the language's script.
func (w synthWriter) punct(r rune) string {
	switch {
	case w.lang == "ti" && r == '.':
		return "።"
	case w.lang == "ti":
		return "፣"
	case (w.lang == "ar" || w.lang == "fa") && r == ',':
		return "،"
	}
	return string(r)
}

func (w synthWriter) common(rank int) string {
	list := synthCommon[w.lang]
	return list[rank%len(list)]
}

// zipf draws a word rank with probability proportional to 1/(rank+2.7), the Zipf–Mandelbrot
// law that word frequencies follow.
func (w synthWriter) zipf() int {
	cdf := zipfCDF()[w.lang]
	return sort.SearchFloat64s(cdf, w.rng.Float64()*cdf[len(cdf)-1])
}

var zipfCDF = sync.OnceValue(func() map[string][]float64 {
	out := make(map[string][]float64, len(synthCommon))
	for lang, words := range synthCommon {
		cdf := make([]float64, len(words))
		sum := 0.0
		for i := range words {
			sum += 1 / (float64(i) + 2.7)
			cdf[i] = sum
		}
		out[lang] = cdf
	}
	return out
})

// capital upper-cases the first letter, in the scripts that have case.
func capital(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// SynthLoad says what LoadSynthetic loads.
type SynthLoad struct {
	Seed     int64
	Chunks   int   // passages to load
	Queries  int   // queries to sample, spread evenly over the passages
	SourceID int64 // the source the pages belong to
	// Progress, if set, is called after each batch with the passages loaded so far.
	Progress func(loaded int)
}

// synthBatch is how many passages are embedded and copied together.
const synthBatch = 512

// LoadSynthetic embeds the first l.Chunks passages of the corpus of l.Seed, as the crawler
// embeds passages, and loads them into the index version with st.LoadPages. It returns the
// sampled queries. Embedding runs on every processor while the previous batch is copied.
func LoadSynthetic(ctx context.Context, st *store.Store, ix store.Index, e retrieval.Embedder, l SynthLoad) ([]SynthQuery, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type batch struct {
		pages []SynthPage
		vecs  [][]float32
	}
	todo := make(chan []SynthPage)
	done := make(chan batch, 1)
	var queries []SynthQuery
	stride := max(1, l.Chunks/max(1, l.Queries))
	go func() {
		defer close(todo)
		s := NewSynth(l.Seed)
		var pages []SynthPage
		for n, inBatch := 0, 0; n < l.Chunks; {
			p := s.NextPage()
			p.Chunks = p.Chunks[:min(len(p.Chunks), l.Chunks-n)]
			for _, c := range p.Chunks {
				if c.Index%stride == 0 && len(queries) < l.Queries {
					queries = append(queries, QueryFor(l.Seed, c))
				}
			}
			n += len(p.Chunks)
			inBatch += len(p.Chunks)
			pages = append(pages, p)
			if inBatch >= synthBatch || n == l.Chunks {
				select {
				case todo <- pages:
				case <-ctx.Done():
					return
				}
				pages, inBatch = nil, 0
			}
		}
	}()
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for pages := range todo {
				var texts []string
				for _, p := range pages {
					for _, c := range p.Chunks {
						texts = append(texts, ingest.EmbeddingText(c.Title, ingest.Passage{Headings: c.Headings, Text: c.Text}))
					}
				}
				vecs, err := e.Embed(ctx, texts)
				if err != nil {
					cancel(fmt.Errorf("embed synthetic passages: %w", err))
					return
				}
				select {
				case done <- batch{pages, vecs}:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	loaded := 0
	for b := range done {
		if ctx.Err() != nil {
			continue // drain, so the embedders can stop
		}
		if err := st.LoadPages(ctx, ix, bulkPages(b.pages, b.vecs, l.SourceID)); err != nil {
			cancel(err)
			continue
		}
		for _, p := range b.pages {
			loaded += len(p.Chunks)
		}
		if l.Progress != nil {
			l.Progress(loaded)
		}
	}
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return queries, nil
}

// bulkPages turns synthetic pages and their passages' vectors, in order, into store pages.
func bulkPages(pages []SynthPage, vecs [][]float32, sourceID int64) []store.BulkPage {
	out := make([]store.BulkPage, len(pages))
	now := time.Now()
	for i, p := range pages {
		out[i] = store.BulkPage{
			Page: store.Page{SourceID: sourceID, URL: p.URL, Title: p.Title, Language: p.Language,
				TranslationGroup: p.TranslationGroup, Alternates: p.Alternates, ContentType: "text/html", FetchedAt: now},
			Agency: p.Agency,
		}
		for _, c := range p.Chunks {
			out[i].Chunks = append(out[i].Chunks, store.Chunk{Ord: c.Ord, Headings: c.Headings, Text: c.Text, Embedding: vecs[0]})
			vecs = vecs[1:]
		}
	}
	return out
}
