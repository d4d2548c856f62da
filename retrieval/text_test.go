package retrieval_test

import (
	"fmt"
	"testing"

	"github.com/nyisverige/lots/retrieval"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"Arabic yeh becomes Persian yeh", "علي", "علی"},
		{"alef maksura becomes Persian yeh", "على", "علی"},
		{"Arabic kaf becomes Persian kaf", "كتاب", "کتاب"},
		{"harakat dropped", "كِتَابٌ", "کتاب"},
		{"shadda and sukun dropped", "مُحَمَّدْ", "محمد"},
		{"superscript alef dropped", "هٰذا", "هذا"},
		{"tatweel dropped", "كـــتاب", "کتاب"},
		{"alef with hamza or madda becomes bare alef", "أإآٱ", "اااا"},
		{"teh marbuta becomes heh", "مدرسة", "مدرسه"},
		{"zero-width non-joiner splits a Persian word", "می\u200cخواهم", "می خواهم"},
		{"Arabic presentation forms folded", "ﻛﺘﺎﺏ", "کتاب"},
		{"Latin lower-cased, Swedish letters kept", "Personnummer ÅÄÖ", "personnummer åäö"},
		{"full-width Latin folded", "ＢａｎｋＩＤ", "bankid"},
		{"Cyrillic lower-cased", "Номер", "номер"},
		{"Ge'ez untouched", "ቁጽሪ", "ቁጽሪ"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := retrieval.Normalize(tc.in); got != tc.want {
				t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// An Arabic and a Persian keyboard spell the same word differently; after Normalize the two
// spellings must meet, or a Persian asker would not find an Arabic-spelled passage.
func TestNormalizeUnifiesArabicAndPersianSpellings(t *testing.T) {
	pairs := [][2]string{
		{"شخصي", "شخصی"},          // yeh
		{"كارت", "کارت"},          // kaf
		{"يكي", "یکی"},            // both
		{"مُسْتَشْفَى", "مستشفی"}, // harakat and alef maksura
	}
	for _, p := range pairs {
		t.Run(p[0], func(t *testing.T) {
			if a, b := retrieval.Normalize(p[0]), retrieval.Normalize(p[1]); a != b {
				t.Errorf("Normalize(%q) = %q, Normalize(%q) = %q; want the same", p[0], a, p[1], b)
			}
		})
	}
}

func TestBaseForm(t *testing.T) {
	tests := []struct {
		in, want string
		bug      string
	}{
		{"الشخصي", "شخصی", ""},
		{"والطفل", "طفل", ""},
		{"بالبريد", "برید", ""},
		{"فالعمل", "عمل", ""},
		{"للحصول", "حصول", ""},
		{"كالطفل", "طفل", ""},
		{"الدم", "الدم", ""},                 // too short to be article + word
		{"personnummer", "personnummer", ""}, // other scripts untouched
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var problems []string
			if got := retrieval.BaseForm(retrieval.Normalize(tc.in)); got != tc.want {
				problems = append(problems, fmt.Sprintf("BaseForm(Normalize(%q)) = %q, want %q", tc.in, got, tc.want))
			}
			report(t, tc.bug, problems)
		})
	}
}
