package process

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/nyisverige/lots/retrieval"
)

//go:embed municipalities.txt
var municipalityList string

// municipalityIndex finds a municipality by any of its names, folded.
type municipalityIndex struct {
	byKey    map[string]string // folded words joined by one space → official name
	names    []string          // official names, in the list's order
	maxWords int
}

// municipalities is read once from the embedded list; it never changes after.
var municipalities = sync.OnceValue(func() *municipalityIndex {
	ix := &municipalityIndex{byKey: map[string]string{}}
	for _, line := range strings.Split(municipalityList, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		names := strings.Split(line, "|")
		ix.names = append(ix.names, names[0])
		for _, n := range names {
			words := foldWords(n)
			ix.byKey[strings.Join(words, " ")] = names[0]
			ix.maxWords = max(ix.maxWords, len(words))
		}
	}
	return ix
})

// Municipalities lists Sweden's 290 municipalities by their official names, for a municipality
// field's select list.
func Municipalities() []string {
	return append([]string(nil), municipalities().names...)
}

// municipalitySuffixes are the words that may follow a municipality's name ("Göteborgs kommun",
// "Malmö stad").
var municipalitySuffixes = map[string]bool{"kommun": true, "stad": true, "municipality": true, "city": true,
	"كومون": true, "بلدیه": true, "کمون": true, "degmada": true, "комуна": true, "ኮሙን": true}

// municipalityByName reads a typed municipality name: any case and diacritics, other names from the
// list, with or without "kommun" and the genitive s.
func municipalityByName(s string) (string, bool) {
	ix := municipalities()
	words := foldWords(s)
	if n := len(words); n > 1 && municipalitySuffixes[words[n-1]] {
		words = words[:n-1]
		if last := words[len(words)-1]; strings.HasSuffix(last, "s") {
			if name, ok := ix.byKey[strings.Join(append(words[:len(words)-1:len(words)-1], strings.TrimSuffix(last, "s")), " ")]; ok {
				return name, true
			}
		}
	}
	name, ok := ix.byKey[strings.Join(words, " ")]
	return name, ok
}

// locatives are the words before a place name that make it one ("i Göteborg", "in Malmö", "في
// مالمو", "در مالمو", "ku nool Malmö", "у Мальме", "ኣብ ማልሞ"). Short names such as Ale, Mark and
// Vara are common words too; only these words (or "kommun" after them) make them a municipality.
var locatives = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{"i", "in", "från", "from", "near", "nära", "ku", "magaalada", "degmada",
		"في", "من", "مدينة", "بلدية", "در", "از", "شهر", "в", "у", "з", "із", "місті", "ኣብ", "ካብ", "ከተማ"} {
		m[fold(w)] = true
	}
	return m
}()

// destinations are words for "to" before a place; they make a capitalised (or non-Latin) name a
// municipality ("from Malmö to Lund"), but not a lower-case word ("to mark").
var destinations = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{"till", "to", "إلى", "الى", "به", "до", "ናብ"} {
		m[fold(w)] = true
	}
	return m
}()

// notPlaces are names of five letters or more that are also ordinary words in a supported language.
var notPlaces = map[string]bool{"kinda": true, "salem": true}

// foundPlace is a municipality named in a text and the byte span it came from.
type foundPlace struct {
	name       string
	start, end int
}

// findMunicipalities finds the municipalities a text names.
func findMunicipalities(text string, words []span) []foundPlace {
	ix := municipalities()
	var out []foundPlace
	for i := 0; i < len(words); i++ {
		for n := min(ix.maxWords, len(words)-i); n >= 1; n-- {
			keys := make([]string, n)
			for k := range n {
				keys[k] = retrieval.BaseForm(words[i+k].norm)
			}
			key := strings.Join(keys, " ")
			name, ok := ix.byKey[key]
			genitive := false
			if !ok && strings.HasSuffix(key, "s") && i+n < len(words) && municipalitySuffixes[words[i+n].norm] {
				name, ok = ix.byKey[strings.TrimSuffix(key, "s")]
				genitive = true
			}
			if !ok {
				continue
			}
			after := i+n < len(words) && municipalitySuffixes[words[i+n].norm]
			first, _ := utf8.DecodeRuneInString(text[words[i].start:])
			named := unicode.IsUpper(first) || first > unicode.MaxLatin1 && !unicode.Is(unicode.Latin, first)
			before := i > 0 && (locatives[words[i-1].norm] || destinations[words[i-1].norm] && named)
			long := utf8.RuneCountInString(key) >= 5 && !notPlaces[key] && named
			if before || after || genitive || long {
				end := words[i+n-1].end
				if after {
					end = words[i+n].end
				}
				out = append(out, foundPlace{name: name, start: words[i].start, end: end})
				i += n - 1
				break
			}
		}
	}
	return out
}
