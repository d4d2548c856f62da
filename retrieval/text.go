package retrieval

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds text for matching: NFKC, lower case, Arabic-script diacritics removed and
// letter variants unified (so Arabic and Persian spellings of one word meet), tatweel dropped.
func Normalize(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0x064B && r <= 0x065F, r == 0x0670, r == 0x0640: // harakat, superscript alef, tatweel
			continue
		case r == 'أ' || r == 'إ' || r == 'آ' || r == 'ٱ':
			r = 'ا'
		case r == 'ى' || r == 'ي':
			r = 'ی' // Persian yeh: one form for both scripts
		case r == 'ك':
			r = 'ک'
		case r == 'ة':
			r = 'ه'
		case r == 0x200C || r == 0x200D: // zero-width (non-)joiners inside Persian words
			r = ' '
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Words splits normalised text into words: runs of letters, digits and combining marks
// (Ge'ez and other scripts keep their vowel signs).
func Words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r))
	})
}

// wordWeight damps function words without a stop-word list per language: in every supported
// language most of them are one to three letters long. A few longer question words are listed.
func wordWeight(w string) float64 {
	if commonWords[w] {
		return 0.15
	}
	switch n := utf8.RuneCountInString(w); {
	case n <= 1:
		return 0.05
	case n == 2:
		return 0.25
	case n == 3:
		return 0.6
	default:
		return 1
	}
}

// commonWords are frequent words of four or more letters that carry no topic.
var commonWords = normalizedSet([]string{
	// en
	"what", "when", "where", "which", "with", "have", "does",
	"there", "their", "about", "from", "this", "that", "will",
	"would", "could", "should", "need", "want", "please", "your",
	// sv
	"vilka", "vilken", "vilket", "måste", "eller", "från", "till",
	"inte", "detta", "också", "behöver", "kan", "skulle",
	// ar
	"كيف", "ماذا", "هل", "الذي", "التي", "عندما", "يمكنني",
	// fa (after Normalize: Persian yeh and kaf)
	"چگونه", "چطور", "کجا", "باید", "برای", "است",
	// so
	"sidee", "sideen", "sida", "waxaan", "miyaa", "yahay", "kara", "goorma", "halkee", "maxaa", "immisa",
	// uk
	"як", "коли", "чому", "можна", "потрібно", "мені", "який",
})

// normalizedSet builds a lookup set of words as Normalize spells them.
func normalizedSet(words []string) map[string]bool {
	set := make(map[string]bool, len(words))
	for _, w := range words {
		set[Normalize(w)] = true
	}
	return set
}

// arabicPrefixes are the definite article and the conjunctions and prepositions written
// together with it; a word keeps its meaning without them.
// They are listed as Normalize spells them (ك becomes ک), since BaseForm sees normalised words.
var arabicPrefixes = normalizedList([]string{"وال", "بال", "فال", "كال", "لل", "ال"})

func normalizedList(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = Normalize(w)
	}
	return out
}

// BaseForm strips the Arabic definite article (with a clinging conjunction or preposition)
// from a normalised word of at least two more letters, so "الشخصی" and "شخصی" meet.
func BaseForm(w string) string {
	for _, p := range arabicPrefixes {
		if rest, ok := strings.CutPrefix(w, p); ok && utf8.RuneCountInString(rest) >= 3 {
			return rest
		}
	}
	return w
}
