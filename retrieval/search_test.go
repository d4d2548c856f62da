package retrieval_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

func TestSearchTerms(t *testing.T) {
	tests := []struct {
		name, text, lang string
		want             []string
		wantPrefix       bool
		bug              string
	}{
		{"English words whole, short ones dropped", "How do I get a personal identity number?", "en",
			[]string{"how", "get", "personal", "identity", "number"}, false, ""},
		{"Swedish words whole", "Vad ska jag ta med till ett besök på servicekontoret?", "sv",
			[]string{"vad", "ska", "jag", "med", "ett", "besök", "servicekontoret"}, false, ""},
		{"Arabic words whole, question word dropped", "كيف أحصل على رقم شخصي؟", "ar",
			[]string{"أحصل", "على", "رقم", "شخصي"}, false, ""},
		{"Persian prefixes, question words dropped", "چگونه برای اجازه اقامت درخواست بدهم؟", "fa",
			[]string{"اجازه", "اقامت", "درخواس", "بدهم"}, true, ""},
		{"Somali prefixes, question word dropped", "Sidee baan u codsadaa lambarka aqoonsiga?", "so",
			[]string{"baan", "codsad", "lambar", "aqoonsi"}, true, ""},
		{"Somali question word with a suffix dropped", "Sideen ku helaa lambarka aqoonsiga shakhsiga?", "so",
			[]string{"helaa", "lambar", "aqoonsi", "shakhsi"}, true, ""},
		{"Tigrinya prefixes, short words dropped", "ንምምዝጋብ ናይ ውልቀ-ሰብ ቁጽሪ እንታይ የድልየኒ?", "ti",
			[]string{"ንምምዝጋ", "ውልቀ", "ቁጽሪ", "እንታይ", "የድልየኒ"}, true, ""},
		{"Ukrainian prefixes, question word dropped", "Як отримати персональний ідентифікаційний номер?", "uk",
			[]string{"отрима", "персональ", "ідентифікаці", "номер"}, true, ""},
		{"any language: prefixes", "How do I get a personal identity number?", "",
			[]string{"how", "get", "person", "identi", "numbe"}, true, ""},
		{"repeated words once", "Personnummer, personnummer!", "sv", []string{"personnummer"}, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var problems []string
			terms, prefix := retrieval.SearchTerms(tc.text, tc.lang)
			if !slices.Equal(terms, tc.want) || prefix != tc.wantPrefix {
				problems = append(problems, fmt.Sprintf("SearchTerms(%q, %q) = %q, %v; want %q, %v", tc.text, tc.lang, terms, prefix, tc.want, tc.wantPrefix))
			}
			report(t, tc.bug, problems)
		})
	}
}

// thresholds are the ones lots uses with the local embedder (cmd/lots defaultThresholds).
var thresholds = retrieval.DefaultThresholds["local"]

func TestSearch(t *testing.T) {
	s := retrieval.NewSearcher(demoStore(t), retrieval.NewLocal(0), thresholds, slog.New(slog.DiscardHandler))
	tests := []struct {
		name, text, lang string
		wantConfident    bool
		wantFallback     bool
		wantPath         string // of the best passage; "" when not confident
		wantLangs        []string
	}{
		{"in the asker's language", "Hur får jag ett personnummer?", "sv",
			true, false, "/skatteverket/sv/personal-identity-number", []string{"sv"}},
		{"Ukrainian page of a Ukrainian question", "Як отримати персональний ідентифікаційний номер?", "uk",
			true, false, "/skatteverket/uk/personal-identity-number", []string{"uk"}},
		// Moving within Sweden is published in Swedish and English only; the Swedish words of
		// the question find the Swedish page.
		{"topic only in Swedish, named in Swedish", "كيف أبلغ مصلحة الضرائب عن flytt inom Sverige و adressändring؟", "ar",
			true, true, "/skatteverket/sv/moving-within-sweden", []string{"sv", "en"}},
		{"off topic", "Vad är det bästa receptet på kanelbullar?", "sv", false, false, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := s.Search(context.Background(), retrieval.Query{Text: tc.text, Language: tc.lang})
			if err != nil {
				t.Fatal(err)
			}
			if res.Confident != tc.wantConfident || res.Fallback != tc.wantFallback {
				t.Fatalf("Confident, Fallback = %v, %v; want %v, %v", res.Confident, res.Fallback, tc.wantConfident, tc.wantFallback)
			}
			if !tc.wantConfident {
				return
			}
			if len(res.Hits) == 0 {
				t.Fatal("a confident result without passages")
			}
			if p := path(t, res.Hits[0].URL); p != tc.wantPath {
				t.Errorf("best passage from %s, want %s", p, tc.wantPath)
			}
			for _, h := range res.Hits {
				if !slices.Contains(tc.wantLangs, h.Language) {
					t.Errorf("passage from %s is in %s, want one of %v", h.URL, h.Language, tc.wantLangs)
				}
				if tc.wantFallback && h.TranslationGroup != res.Hits[0].TranslationGroup {
					t.Errorf("fallback passage from %s is not of the best passage's page", h.URL)
				}
			}
		})
	}
}

func TestSearchRefusesAnIndexItCannotRead(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	q := retrieval.Query{Text: "Hur får jag ett personnummer?", Language: "sv"}
	s := retrieval.NewSearcher(st, retrieval.NewLocal(0), thresholds, slog.New(slog.DiscardHandler))
	if _, err := s.Search(ctx, q); !errors.Is(err, retrieval.ErrNoIndex) {
		t.Fatalf("search before any ingest = %v, want ErrNoIndex", err)
	}
	if _, err := st.EnsureLiveIndex(ctx, retrieval.NewLocal(0).Name(), 384); err != nil {
		t.Fatal(err)
	}
	other := retrieval.NewSearcher(st, retrieval.NewLocal(128), thresholds, slog.New(slog.DiscardHandler))
	if _, err := other.Search(ctx, q); !errors.Is(err, store.ErrEmbedderMismatch) {
		t.Fatalf("search with another embedder than the index's = %v, want ErrEmbedderMismatch", err)
	}
}

// path is the path of a URL.
func path(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(u.Path, "/")
}
