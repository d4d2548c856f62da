package retrieval

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

// maxDetectBytes bounds the text handed to the detector; a few kilobytes decide
// the language as well as megabytes do, and whatlanggo holds every trigram in a map.
const maxDetectBytes = 4096

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
	if l, ok := byLetters(text); ok {
		return l, hasLetters(text, minLetters)
	}
	// Function words decide a short question; a page's trigram statistics are better.
	if l, ok := byWords(text); ok && !hasLetters(text, 200) {
		return l, hasLetters(text, minLetters)
	}
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

// byLetters tells Persian from Arabic by the letters only one of them uses (پ چ ژ گ, and the
// Persian forms of kaf and yeh against the Arabic ones and teh marbuta). Trigram statistics
// confuse the two on a short question; the letters rarely do.
func byLetters(text string) (string, bool) {
	var fa, ar int
	for _, r := range text {
		switch r {
		case 'پ', 'چ', 'ژ', 'گ', 'ک', 'ی':
			fa++
		case 'ك', 'ي', 'ة', 'ى':
			ar++
		}
	}
	switch {
	case fa > ar:
		return "fa", true
	case ar > fa:
		return "ar", true
	}
	return "", false
}

// byWords votes among the Latin-script languages with their most frequent short words, which
// a question of a few words nearly always contains and trigram statistics weigh too little.
func byWords(text string) (string, bool) {
	votes := map[string]int{}
	for _, w := range Words(strings.ToLower(text)) {
		for lang, words := range questionWords {
			if words[w] {
				votes[lang]++
			}
		}
		if strings.ContainsAny(w, "åäö") {
			votes["sv"]++
		}
	}
	best, bestN, tie := "", 0, false
	for _, lang := range []string{"sv", "en", "so"} {
		switch n := votes[lang]; {
		case n > bestN:
			best, bestN, tie = lang, n, false
		case n == bestN && n > 0:
			tie = true
		}
	}
	return best, bestN > 0 && !tie
}

// questionWords are frequent function and question words of the Latin-script languages.
var questionWords = map[string]map[string]bool{
	"sv": set("hur", "jag", "och", "att", "ett", "är", "för", "får", "vad", "var", "när", "kan", "min", "mitt", "mina",
		"det", "som", "med", "till", "om", "har", "vill", "inte", "måste", "ska", "vem", "vilka", "behöver", "mig", "jobb", "barn"),
	"en": set("how", "do", "i", "the", "is", "what", "where", "when", "can", "my", "to", "for", "of", "and", "get",
		"does", "who", "which", "need", "should", "much", "are", "have", "an", "with"),
	"so": set("sidee", "sideen", "sidaan", "waa", "iyo", "ka", "ku", "la", "ma", "maxaa", "halkee", "goorma", "aan",
		"waxaan", "miyaa", "ee", "u", "aad", "waxa", "ah", "yahay", "caruurta", "lacag", "sida", "sababtoo"),
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
