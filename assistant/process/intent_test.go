package process

import (
	"context"
	"testing"
)

func embedded(t testing.TB) Catalog {
	t.Helper()
	c, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDetectStartWishes: a wish to start a process, in every language, offers that process.
func TestDetectStartWishes(t *testing.T) {
	d := NewDetector(embedded(t))
	cases := []struct{ lang, text, want string }{
		{"en", "I want to apply for a personal identity number", "personal-identity-number"},
		{"en", "I'd like to register as a job seeker please", "job-seeker"},
		{"en", "How do I apply for an ID card?", "id-card"},
		{"en", "I want to apply for an ID card, I already have a personal identity number", "id-card"},
		{"en", "Help me sign up for Swedish classes for immigrants", "sfi"},
		{"en", "I would like to apply for parental benefit", "parental-benefit"},
		{"sv", "Jag vill ansöka om personnummer", "personal-identity-number"},
		{"sv", "Jag vill söka samordningsnummer", "coordination-number"},
		{"sv", "Hur ansöker jag om barnbidrag?", "child-allowance"},
		{"sv", "Jag vill anmäla mig till sfi", "sfi"},
		{"sv", "Jag vill ansöka om studiemedel från CSN", "study-support"},
		{"ar", "أريد التقديم على رقم شخصي", "personal-identity-number"},
		{"ar", "أريد التسجيل كباحث عن عمل", "job-seeker"},
		{"ar", "أود التقديم على إعانة الأطفال", "child-allowance"},
		{"fa", "می\u200cخواهم برای شماره شخصی درخواست بدهم", "personal-identity-number"},
		{"fa", "میخواهم کارت شناسایی بگیرم", "id-card"},
		{"fa", "می\u200cخواهم برای وام دانشجویی درخواست بدهم", "study-support"},
		{"so", "Waxaan rabaa inaan codsado lambarka aqoonsiga shakhsiga", "personal-identity-number"},
		{"so", "Waxaan rabaa inaan codsado lambarka isku-duwidda", "coordination-number"},
		{"so", "Waxaan doonayaa inaan codsado gunnada carruurta", "child-allowance"},
		{"ti", "ውልቃዊ መለለዪ ቁጽሪ ክሓትት ደልየ", "personal-identity-number"},
		{"ti", "ከም ስራሕ ዝደሊ ክምዝገብ ደልየ", "job-seeker"},
		{"ti", "ናይ ወለዲ ክፍሊት ክሓትት ደልየ", "parental-benefit"},
		{"uk", "Я хочу подати заяву на персональний номер", "personal-identity-number"},
		{"uk", "Хочу оформити ID-картку", "id-card"},
		{"uk", "Хочу зареєструватися як шукач роботи", "job-seeker"},
		{"uk", "Я хочу оформити допомогу на дитину", "child-allowance"},
		// the Swedish name in another language's sentence
		{"en", "I want to apply for personnummer", "personal-identity-number"},
		{"ar", "أريد التقديم على personnummer", "personal-identity-number"},
	}
	for _, c := range cases {
		t.Run(c.lang+"/"+c.text, func(t *testing.T) {
			m, ok := d.Detect(context.Background(), c.text, c.lang)
			if !ok || m.Process != c.want {
				t.Errorf("Detect = %+v, %v; want %s", m, ok, c.want)
			}
			if ok && m.Reason == "" {
				t.Error("a match without a reason")
			}
		})
	}
}

// TestDetectIgnoresQuestions: asking what something is, or wanting something else, offers nothing.
func TestDetectIgnoresQuestions(t *testing.T) {
	d := NewDetector(embedded(t))
	cases := []struct{ lang, text string }{
		{"en", "What is a personal identity number?"},
		{"en", "How long does it take to get an ID card?"},
		{"en", "How much is the child allowance?"},
		{"en", "I want to buy a car"},
		{"en", "I want to apply for a residence permit"},
		{"sv", "Vad är ett samordningsnummer?"},
		{"sv", "Hur mycket är barnbidraget?"},
		{"sv", "Jag vill boka tid hos tandläkaren"},
		{"ar", "ما هو الرقم الشخصي؟"},
		{"ar", "أريد شراء سيارة"},
		{"fa", "شماره شخصی چیست؟"},
		{"so", "Waa maxay lambarka aqoonsiga shakhsiga?"},
		{"ti", "ውልቃዊ መለለዪ ቁጽሪ እንታይ እዩ?"},
		{"uk", "Що таке персональний ідентифікаційний номер?"},
		{"uk", "Скільки триває оформлення?"},
		{"en", "Hello!"},
		{"en", ""},
	}
	for _, c := range cases {
		t.Run(c.lang+"/"+c.text, func(t *testing.T) {
			if m, ok := d.Detect(context.Background(), c.text, c.lang); ok {
				t.Errorf("Detect offered %+v", m)
			}
		})
	}
}
