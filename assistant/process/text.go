package process

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/nyisverige/lots/retrieval"
)

// fold spells text for matching: retrieval.Normalize (case, Arabic-script letter variants), then
// without Latin diacritics, so "Göteborg", "goteborg" and "GÖTEBORG" meet.
func fold(s string) string {
	s = retrieval.Normalize(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}

// foldWords is the folded text's words, with the Arabic article stripped (retrieval.BaseForm).
func foldWords(s string) []string {
	words := retrieval.Words(fold(s))
	for i, w := range words {
		words[i] = retrieval.BaseForm(w)
	}
	return words
}
