package retrieval_test

import (
	"context"
	"testing"

	"github.com/nyisverige/lots/retrieval"
)

func cos(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestScratch(t *testing.T) {
	e := retrieval.NewLocal(0)
	ws := []string{"personnummer", "personnumret", "personumer", "barnbidrag", "personnumer", "samordningsnummer", "Personnummer", "id-kort"}
	v, _ := e.Embed(context.Background(), ws)
	for i := range ws {
		t.Logf("%s vs personnummer: %.3f", ws[i], cos(v[0], v[i]))
	}
	for _, s := range []string{
		"Hur ansöker jag om bostadsbidrag?", "Var kan jag lära mig svenska gratis?", "Where can I learn Swedish for free?", "When is the child benefit paid?",
		"متى تُدفع إعانة الأطفال؟", "أين يمكنني تعلم اللغة السويدية مجانا؟", "کجا می‌توانم زبان سوئدی یاد بگیرم؟", "کمک هزینه فرزند چه زمانی پرداخت می‌شود؟",
		"Xagee ka baran karaa luqadda Iswiidhishka?", "Goorma la bixiyaa lacagta caruurta?", "Intee le'eg yahay kirada guriga?",
		"ቋንቋ ሽወደን ኣበይ ክመሃር እኽእል?", "ገንዘብ ቆልዑ መዓስ ይኽፈል?", "Де я можу безкоштовно вивчати шведську мову?", "Коли виплачують допомогу на дитину?",
		"Где я могу бесплатно изучать шведский язык?", "Wo kann ich kostenlos Schwedisch lernen?", "123 ?!", "Hvor kan jeg lære svensk gratis?",
		"Jag behöver en tolk", "I need an interpreter", "Waxaan u baahanahay turjubaan", "من به مترجم نیاز دارم", "أحتاج إلى مترجم",
	} {
		l, c := retrieval.DetectLanguage(s)
		t.Logf("%q -> %s %v", s, l, c)
	}
	for _, q := range []struct{ t, l string }{
		{"How do I get a personal identity number?", "en"}, {"Hur får jag ett personnummer?", "sv"}, {"كيف أحصل على رقم شخصي؟", "ar"},
		{"چگونه شماره شخصی بگیرم؟", "fa"}, {"Sideen ku helaa lambarka aqoonsiga shakhsiga?", "so"}, {"ናይ ውልቀ-ሰብ ቁጽሪ ብኸመይ እረክብ?", "ti"},
		{"Як отримати персональний ідентифікаційний номер?", "uk"}, {"How do I get a personal identity number?", ""},
	} {
		terms, p := retrieval.SearchTerms(q.t, q.l)
		t.Logf("%s %q -> %q %v", q.l, q.t, terms, p)
	}
	t.Logf("%q", retrieval.Normalize("كِتَابٌ يـــكتب ى ي ك أإآٱ ة ABC Ｆｕｌｌ می‌خواهم"))
}
