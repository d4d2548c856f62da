package retrieval_test

import (
	"testing"

	"github.com/nyisverige/lots/retrieval"
)

// A steward's rule for one question applies to the same question asked in other words, and not
// to another question about a neighbouring topic.
func TestQuestionSimilarity(t *testing.T) {
	tests := []struct {
		name, a, b string
		similar    bool
	}{
		{"same question", "How do I get a personal identity number?", "How do I get a personal identity number?", true},
		{"other wording", "How do I get a personal identity number?", "How can I get a personal identity number", true},
		{"typo", "How do I get a personal identity number?", "how do i get a personal identiy number", true},
		{"neighbouring topic", "How do I get a personal identity number?", "How do I get an ID card?", false},
		{"unrelated", "How do I get a personal identity number?", "How much is the child allowance per month?", false},
		{"Swedish inflection", "Hur får jag ett personnummer?", "Hur får man personnumret?", true},
		{"Swedish other topic", "Hur får jag ett personnummer?", "Hur får jag ett samordningsnummer?", false},
		{"same topic, another question", "How do I get a personal identity number?", "What does a personal identity number cost?", true},
		{"Arabic", "كيف أحصل على رقم شخصي؟", "كيف يمكنني الحصول على رقم شخصي", true},
		{"Tigrinya", "ናይ ውልቀ-ሰብ ቁጽሪ ብኸመይ እረክብ?", "ናይ ውልቀ-ሰብ ቁጽሪ ብኸመይ ክረክብ እኽእል?", true},
		{"empty", "", "How do I get a personal identity number?", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := retrieval.QuestionSimilarity(tc.a, tc.b)
			if (got >= retrieval.RuleSimilarity) != tc.similar {
				t.Errorf("QuestionSimilarity(%q, %q) = %.2f; want similar %v (threshold %.2f)", tc.a, tc.b, got, tc.similar, retrieval.RuleSimilarity)
			}
		})
	}
}
