package extract

import (
	"strings"
	"unicode/utf8"

	"github.com/nyisverige/lots/retrieval"
)

// clip returns s cut to at most n bytes, at a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// resolveLanguage picks Document.Language: the declared language unless the
// detector is confident of another one.
func resolveLanguage(declared, sample string) string {
	if detected, confident := retrieval.DetectLanguage(sample); confident {
		return detected
	}
	return declared
}

// primarySubtag returns the lower-case primary subtag of a BCP 47 tag such as
// "sv-SE", or "" when tag does not start with one.
func primarySubtag(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if len(tag) < 2 || len(tag) > 3 {
		return ""
	}
	for i := 0; i < len(tag); i++ {
		c := tag[i] | 0x20
		if c < 'a' || c > 'z' {
			return ""
		}
	}
	return strings.ToLower(tag)
}
