package process

import (
	"fmt"
	"testing"
	"time"
)

var testNow = time.Date(2026, 9, 20, 12, 0, 0, 0, time.UTC)

func TestPropose(t *testing.T) {
	cat := embedded(t)
	pin, _ := cat.Get("personal-identity-number")
	child, _ := cat.Get("child-allowance")
	idcard, _ := cat.Get("id-card")
	cases := []struct {
		name string
		def  Definition
		text string
		want map[string]string // field → value; fields not named must get no proposal
	}{
		{"en all", pin, "I arrived on 3 March 2026 and live in Malmö with my two children. Mail me at Ali.Hassan@Example.COM or call 070-123 45 67.",
			map[string]string{"arrival_date": "2026-03-03", "municipality": "Malmö", "children_moving": "2", "email": "Ali.Hassan@example.com", "phone": "+46701234567"}},
		{"en iso date", pin, "We came to Sweden on 2026-02-14, I want a personal number", map[string]string{"arrival_date": "2026-02-14"}},
		{"en month first", pin, "I moved to Sweden on March 3rd, 2026 and live in Gothenburg", map[string]string{"arrival_date": "2026-03-03", "municipality": "Göteborg"}},
		{"sv", pin, "Jag kom till Sverige den 3 mars 2026 och bor i göteborg med tre barn.",
			map[string]string{"arrival_date": "2026-03-03", "municipality": "Göteborg", "children_moving": "3"}},
		{"sv numeric date", pin, "Vi flyttade hit 15/1/2026, vi bor i Upplands Väsby", map[string]string{"arrival_date": "2026-01-15", "municipality": "Upplands Väsby"}},
		{"sv genitive", pin, "Jag är skriven i Göteborgs kommun", map[string]string{"municipality": "Göteborg"}},
		{"ar", pin, "وصلت إلى السويد في 3 مارس 2026 وأسكن في مالمو ولدي ثلاثة أطفال",
			map[string]string{"arrival_date": "2026-03-03", "municipality": "Malmö", "children_moving": "3"}},
		{"ar levantine month and dual", pin, "وصلت في ١٠ آذار ٢٠٢٦ مع طفلين", map[string]string{"arrival_date": "2026-03-10", "children_moving": "2"}},
		{"fa", pin, "در ۵ ژانویه ۲۰۲۶ به سوئد رسیدم و در استکهلم زندگی می\u200cکنم و دو تا بچه دارم",
			map[string]string{"arrival_date": "2026-01-05", "municipality": "Stockholm", "children_moving": "2"}},
		{"so", pin, "Waxaan imid Iswiidhan 3 Maarso 2026, waxaan ku noolahay Uppsala, waxaan leeyahay saddex carruur ah",
			map[string]string{"arrival_date": "2026-03-03", "municipality": "Uppsala", "children_moving": "3"}},
		{"ti", pin, "ብ 3 መጋቢት 2026 ናብ ሽወደን ኣተኹ፡ ሰለስተ ቆልዑ ኣለዉኒ", map[string]string{"arrival_date": "2026-03-03", "children_moving": "3"}},
		{"uk", pin, "Я приїхала 3 березня 2026 року, живу в Мальме, маю троє дітей",
			map[string]string{"arrival_date": "2026-03-03", "municipality": "Malmö", "children_moving": "3"}},
		{"future arrival is not proposed", pin, "I arrive on 1 December 2026", map[string]string{}},
		{"two different municipalities: neither", pin, "I moved from Malmö to Lund", map[string]string{}},
		{"short name needs a preposition", pin, "I want to mark the date", map[string]string{}},
		{"short name after i", pin, "Jag bor i Ale", map[string]string{"municipality": "Ale"}},
		{"information date without arrival", pin, "My passport expires 2027-01-01 and I arrived 2026-01-10", map[string]string{"arrival_date": "2026-01-10"}},
		{"children for child allowance", child, "Jag har 2 barn och vill ha barnbidrag", map[string]string{"children": "2"}},
		{"so children digits", child, "Waxaan haystaa 4 carruur", map[string]string{"children": "4"}},
		{"personnummer", idcard, "Mitt personnummer är 19900101-1239", map[string]string{"identity_number": "19900101-1239"}},
		{"short personnummer", idcard, "my number is 811228-9874", map[string]string{"identity_number": "19811228-9874"}},
		{"samordningsnummer", idcard, "رقمي 701063-2391", map[string]string{"identity_number": "19701063-2391"}},
		{"bad checksum refused", idcard, "Mitt personnummer är 19900101-1234", map[string]string{}},
		{"personnummer is not a phone", idcard, "19900101-1239", map[string]string{"identity_number": "19900101-1239"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := map[string]string{}
			for _, p := range proposeAt(c.def, []string{c.text}, testNow) {
				got[p.Field] = p.Value
				if p.Source == "" {
					t.Errorf("%s: no source", p.Field)
				}
				if f, _ := c.def.Field(p.Field); f.Sensitive != p.Sensitive {
					t.Errorf("%s: sensitive %v", p.Field, p.Sensitive)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("proposed %v\nwant     %v", got, c.want)
			}
		})
	}
}

func TestProposeSourceQuotesTheUser(t *testing.T) {
	pin, _ := embedded(t).Get("personal-identity-number")
	ps := proposeAt(pin, []string{"رسیدم ۵ ژانویه ۲۰۲۶", "I live in Malmö"}, testNow)
	want := map[string]string{"arrival_date": "۵ ژانویه ۲۰۲۶", "municipality": "Malmö"}
	for _, p := range ps {
		if p.Source != want[p.Field] {
			t.Errorf("%s: source %q, want %q", p.Field, p.Source, want[p.Field])
		}
	}
	if len(ps) != 2 {
		t.Errorf("proposals %+v", ps)
	}
}
