package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/abadojack/whatlanggo"
)

// minLetters is the least number of letters a text needs before a detection is
// called confident: trigram statistics over a word or two are noise ("Anmäl
// flytt" scores as Swedish, "Kontakta oss" as Somali).
const minLetters = 20

// maxDetectBytes bounds the text handed to the detector; two kilobytes decide
// the language as well as megabytes do, and whatlanggo holds every trigram in a map.
const maxDetectBytes = 2048

// supportedLanguages maps the whatlanggo languages Lots serves to ISO 639-1.
// whatlanggo has no ISO 639-1 code for Persian (Pes), so the table supplies "fa".
var supportedLanguages = map[whatlanggo.Lang]string{
	whatlanggo.Swe: "sv",
	whatlanggo.Eng: "en",
	whatlanggo.Arb: "ar",
	whatlanggo.Pes: "fa",
	whatlanggo.Som: "so",
	whatlanggo.Tir: "ti",
	whatlanggo.Ukr: "uk",
}

// DetectLanguage returns the most likely of the supported languages (sv, en,
// ar, fa, so, ti, uk) for text as an ISO 639-1 code, or "" when text has no
// letters in a script any of them is written in. confident is true only when
// the text has enough letters, whatlanggo's restricted detection is reliable
// (its confidence > 0.8), and an unrestricted detection does not contradict it:
// a whitelist alone would call Russian Ukrainian and German Swedish, each with
// full confidence.
func DetectLanguage(text string) (lang string, confident bool) {
	text = clip(text, maxDetectBytes)
	whitelist := make(map[whatlanggo.Lang]bool, len(supportedLanguages))
	for l := range supportedLanguages {
		whitelist[l] = true
	}
	restricted := whatlanggo.DetectWithOptions(text, whatlanggo.Options{Whitelist: whitelist})
	lang, ok := supportedLanguages[restricted.Lang]
	if !ok {
		return "", false
	}
	if !hasLetters(text, minLetters) || !restricted.IsReliable() {
		return lang, false
	}
	open := whatlanggo.Detect(text)
	switch {
	case open.Lang == restricted.Lang:
		// In Cyrillic and Ethiopic Lots supports one language each, so the
		// restricted confidence is always 1 and only the open one means anything.
		return lang, open.IsReliable() || !soleSupported(restricted.Script)
	case open.IsReliable():
		// Confidently another language, one Lots does not serve.
		return lang, false
	default:
		// A close call between neighbours (Swedish and Danish or Norwegian trade
		// places on short texts); the restricted verdict stands, except in
		// scripts where it had nothing to choose between (Tigrinya vs Amharic).
		return lang, !soleSupported(restricted.Script)
	}
}

// soleSupported reports whether script is one in which Lots supports exactly one language.
func soleSupported(script *unicode.RangeTable) bool {
	return script == unicode.Cyrillic || script == unicode.Ethiopic
}

// hasLetters reports whether s holds at least n letters.
func hasLetters(s string, n int) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			n--
			if n <= 0 {
				return true
			}
		}
	}
	return false
}

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
	if detected, confident := DetectLanguage(sample); confident {
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
