package evals

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/nyisverige/lots/retrieval"
)

// synthScripts are the scripts each language's letters must be in.
var synthScripts = map[string]*unicode.RangeTable{
	"sv": unicode.Latin, "en": unicode.Latin, "so": unicode.Latin,
	"ar": unicode.Arabic, "fa": unicode.Arabic, "ti": unicode.Ethiopic, "uk": unicode.Cyrillic,
}

func TestSyntheticIsDeterministic(t *testing.T) {
	a, b := Synthetic(7, 500), Synthetic(7, 500)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave two corpora")
	}
	if reflect.DeepEqual(a, Synthetic(8, 500)) {
		t.Fatal("two seeds gave the same corpus")
	}
	if len(a) != 500 {
		t.Fatalf("Synthetic(7, 500) has %d chunks", len(a))
	}
	if got := Synthetic(7, 1000)[:500]; !reflect.DeepEqual(got, a) {
		t.Fatal("a longer corpus does not begin with the shorter one")
	}
}

func TestSyntheticWordLists(t *testing.T) {
	for _, lang := range synthLanguages {
		t.Run(lang, func(t *testing.T) {
			if n := len(synthCommon[lang]); n < 200 {
				t.Errorf("%d common words, want a few hundred", n)
			}
			if n, want := len(synthTerms[lang]), len(synthTerms["sv"]); n != want {
				t.Errorf("%d topic terms, want %d (one per concept)", n, want)
			}
			for _, w := range append(slices.Clone(synthCommon[lang]), synthTerms[lang]...) {
				if bad := foreignLetter(w, synthScripts[lang]); bad != 0 {
					t.Errorf("%q has %q, not in the language's script", w, bad)
				}
			}
		})
	}
}

func TestSyntheticChunks(t *testing.T) {
	chunks := Synthetic(1, 3000)
	byLang := map[string][]SynthChunk{}
	groups := map[string][]string{}
	for i, c := range chunks {
		if c.Index != i {
			t.Fatalf("chunk %d has Index %d", i, c.Index)
		}
		byLang[c.Language] = append(byLang[c.Language], c)
		if !slices.Contains(groups[c.TranslationGroup], c.Language) {
			groups[c.TranslationGroup] = append(groups[c.TranslationGroup], c.Language)
		}
	}
	for group, langs := range groups {
		if !slices.Contains(langs, "sv") || !slices.Contains(langs, "en") {
			t.Errorf("translation group %s has %v, want Swedish and English among them", group, langs)
		}
	}
	for _, lang := range synthLanguages {
		t.Run(lang, func(t *testing.T) {
			cs := byLang[lang]
			if len(cs) < 100 {
				t.Fatalf("%d chunks in %s of 3000", len(cs), lang)
			}
			for _, c := range cs {
				if n := len(strings.Fields(c.Text)); n < synthMinWords || n > synthMaxWords {
					t.Errorf("chunk %d has %d words, want %d to %d", c.Index, n, synthMinWords, synthMaxWords)
				}
				if !strings.Contains(c.URL, "/"+lang+"/") || c.Agency == "" || len(c.Headings) != 2 || c.Headings[0] != c.Title {
					t.Errorf("chunk %d: url %s, agency %q, headings %q", c.Index, c.URL, c.Agency, c.Headings)
				}
				if bad := foreignLetter(c.Text+c.Title, synthScripts[lang]); bad != 0 {
					t.Errorf("chunk %d has %q, not in the language's script", c.Index, bad)
				}
			}
			// The crawler trusts a page's declared language unless the detector is sure of another.
			wrong := 0
			for _, c := range cs {
				if got, sure := retrieval.DetectLanguage(c.Text); got != lang && sure {
					wrong++
				}
			}
			if wrong > len(cs)/50 {
				t.Errorf("%d of %d chunks are confidently detected as another language", wrong, len(cs))
			}
		})
	}
}

func TestSyntheticQueriesComeFromTheirChunk(t *testing.T) {
	chunks := Synthetic(3, 2000)
	queries := SyntheticQueries(3, chunks, 200)
	if len(queries) != 200 {
		t.Fatalf("%d queries, want 200", len(queries))
	}
	for _, q := range queries {
		c := chunks[q.Chunk]
		words := strings.Fields(q.Text)
		if len(words) < 3 || len(words) > 5 || q.Language != c.Language || q.URL != c.URL {
			t.Errorf("query %+v for chunk %d (%s)", q, c.Index, c.Language)
		}
		for _, w := range words {
			if !strings.Contains(c.Text, w) {
				t.Errorf("query word %q is not in chunk %d", w, c.Index)
			}
		}
	}
}

func TestSyntheticPagesHoldTheirChunks(t *testing.T) {
	pages := SyntheticPages(5, 50)
	next := 0
	for _, p := range pages {
		if p.Alternates[p.Language] != p.URL || p.URL != SynthBase+p.Path || len(p.Chunks) == 0 {
			t.Errorf("page %s: alternates %v, %d chunks", p.URL, p.Alternates, len(p.Chunks))
		}
		for _, c := range p.Chunks {
			if c.Index != next || c.URL != p.URL || c.TranslationGroup != p.TranslationGroup {
				t.Errorf("page %s: chunk %d (want %d) of %s", p.URL, c.Index, next, c.URL)
			}
			next++
		}
	}
}

// foreignLetter returns the first letter of s outside script, or 0.
func foreignLetter(s string, script *unicode.RangeTable) rune {
	for _, r := range s {
		if unicode.IsLetter(r) && !unicode.Is(script, r) {
			return r
		}
	}
	return 0
}
