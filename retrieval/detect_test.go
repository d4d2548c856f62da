package retrieval_test

import (
	"testing"

	"github.com/nyisverige/lots/retrieval"
)

// Short questions as askers type them: a few words, no context. The language picked decides
// which pages are searched and which language the answer is written in.
func TestDetectLanguageOfShortQuestions(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"Hur ansöker jag om bostadsbidrag?", "sv"},
		{"Var kan jag lära mig svenska gratis?", "sv"},
		{"Måste jag betala skatt på min lön?", "sv"},
		{"Jag behöver en tolk", "sv"},
		{"Where can I learn Swedish for free?", "en"},
		{"When is the child benefit paid?", "en"},
		{"I need an interpreter", "en"},
		{"أين يمكنني تعلم اللغة السويدية مجانا؟", "ar"},
		{"متى تُدفع إعانة الأطفال؟", "ar"},
		{"أحتاج إلى مترجم", "ar"},
		{"کجا می\u200cتوانم زبان سوئدی یاد بگیرم؟", "fa"},
		{"کمک هزینه فرزند چه زمانی پرداخت می\u200cشود؟", "fa"},
		{"من به مترجم نیاز دارم", "fa"},
		{"Xagee ka baran karaa luqadda Iswiidhishka?", "so"},
		{"Goorma la bixiyaa lacagta caruurta?", "so"},
		{"Waxaan u baahanahay turjubaan", "so"},
		{"Intee le'eg yahay kirada guriga?", "so"},
		{"ቋንቋ ሽወደን ኣበይ ክመሃር እኽእል?", "ti"},
		{"ገንዘብ ቆልዑ መዓስ ይኽፈል?", "ti"},
		{"Де я можу безкоштовно вивчати шведську мову?", "uk"},
		{"Коли виплачують допомогу на дитину?", "uk"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			if got, _ := retrieval.DetectLanguage(tc.text); got != tc.want {
				t.Errorf("DetectLanguage(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

// DetectLanguage is confident only when it can be: a guess on a few letters, or a text in a
// language Lots does not serve, must leave room for the asker's own choice.
func TestDetectLanguageConfidence(t *testing.T) {
	tests := []struct {
		name, text, wantLang string
		wantConfident        bool
	}{
		{"a Swedish sentence", "Jag har flyttat till Sverige och behöver ett personnummer för att öppna ett bankkonto.", "sv", true},
		{"a Somali sentence", "Waxaan u soo guuray Iswiidhan, waxaanan u baahanahay lambarka aqoonsiga shakhsiga si aan bangi u furto.", "so", true},
		{"two words", "Anmäl flytt", "sv", false},
		{"Russian is not Ukrainian", "Где я могу бесплатно изучать шведский язык?", "uk", false},
		{"German is not Swedish", "Wo kann ich kostenlos Schwedisch lernen?", "sv", false},
		{"no letters", "123 ?!", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lang, confident := retrieval.DetectLanguage(tc.text)
			if lang != tc.wantLang || confident != tc.wantConfident {
				t.Errorf("DetectLanguage(%q) = %q, %v; want %q, %v", tc.text, lang, confident, tc.wantLang, tc.wantConfident)
			}
		})
	}
}
