package process

import (
	"errors"
	"strings"
	"testing"
)

func TestFieldCheck(t *testing.T) {
	date := Field{Name: "arrival_date", Type: TypeDate, Required: true, Validation: Validation{Min: "2000-01-01", Max: "today"}}
	count := Field{Name: "children", Type: TypeInteger, Validation: Validation{Min: "0", Max: "20"}}
	code := Field{Name: "code", Type: TypeText, Validation: Validation{Min: "3", Max: "3", Pattern: "[A-Z]+"}}
	choice := Field{Name: "pace", Type: TypeChoice, Validation: Validation{Options: []Option{{Value: "100"}, {Value: "50"}}}}
	cases := []struct {
		name string
		f    Field
		in   string
		want string
		kind string
	}{
		{"iso date", date, "2026-03-03", "2026-03-03", ""},
		{"day-first date", date, "3/3/2026", "2026-03-03", ""},
		{"swedish date", date, "3 mars 2026", "2026-03-03", ""},
		{"persian digits", date, "۳ مارس ۲۰۲۶", "2026-03-03", ""},
		{"not a date", date, "soon", "", InvalidDate},
		{"date in the future", date, "2027-01-01", "", InvalidTooLate},
		{"date too early", date, "1999-12-31", "", InvalidTooEarly},
		{"required empty", date, " ", "", InvalidRequired},
		{"optional empty", count, "", "", ""},
		{"integer", count, " 3 ", "3", ""},
		{"arabic digits", count, "٣", "3", ""},
		{"too many", count, "21", "", InvalidTooLarge},
		{"negative", count, "-1", "", InvalidTooSmall},
		{"not a number", count, "three", "", InvalidInteger},
		{"pattern", code, "ABC", "ABC", ""},
		{"pattern must match in full", code, "abc", "", InvalidPattern},
		{"too long", code, "ABCD", "", InvalidTooLong},
		{"municipality folded", Field{Type: TypeMunicipality}, "GOTEBORG", "Göteborg", ""},
		{"municipality with kommun", Field{Type: TypeMunicipality}, "Göteborgs kommun", "Göteborg", ""},
		{"municipality in Arabic script", Field{Type: TypeMunicipality}, "مالمو", "Malmö", ""},
		{"not a municipality", Field{Type: TypeMunicipality}, "Oslo", "", InvalidMunicipality},
		{"personnummer", Field{Type: TypeIdentityNumber}, "199001011239", "19900101-1239", ""},
		{"personnummer short", Field{Type: TypeIdentityNumber}, "900101-1239", "19900101-1239", ""},
		{"personnummer centenarian", Field{Type: TypeIdentityNumber}, "900101+1239", "18900101-1239", ""},
		{"samordningsnummer", Field{Type: TypeIdentityNumber}, "701063-2391", "19701063-2391", ""},
		{"bad check digit", Field{Type: TypeIdentityNumber}, "19900101-1234", "", InvalidIdentityControl},
		{"impossible date", Field{Type: TypeIdentityNumber}, "19900231-1234", "", InvalidIdentityNumber},
		{"email", Field{Type: TypeEmail}, "Name@Example.SE", "Name@example.se", ""},
		{"not an email", Field{Type: TypeEmail}, "name at example", "", InvalidEmail},
		{"swedish mobile", Field{Type: TypePhone}, "070-123 45 67", "+46701234567", ""},
		{"international", Field{Type: TypePhone}, "0046 70 123 45 67", "+46701234567", ""},
		{"too short phone", Field{Type: TypePhone}, "12345", "", InvalidPhone},
		{"choice", choice, "50", "50", ""},
		{"not an option", choice, "25", "", InvalidOption},
		{"boolean", Field{Type: TypeBoolean}, "Ja", "yes", ""},
		{"not boolean", Field{Type: TypeBoolean}, "maybe", "", InvalidBoolean},
		{"country", Field{Type: TypeCountry}, "so", "SO", ""},
		{"not a country", Field{Type: TypeCountry}, "EU", "", InvalidCountry},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.f.checkAt(c.in, testNow)
			var fe *FieldError
			switch {
			case c.kind == "" && err != nil:
				t.Errorf("Check(%q) = %v", c.in, err)
			case c.kind != "" && (!errors.As(err, &fe) || fe.Kind != c.kind):
				t.Errorf("Check(%q) = %q, %v; want a %s error", c.in, got, err, c.kind)
			case got != c.want:
				t.Errorf("Check(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// TestFieldMessages: every error kind reads in every language, with its bound filled in.
func TestFieldMessages(t *testing.T) {
	kinds := []string{InvalidRequired, InvalidDate, InvalidTooEarly, InvalidTooLate, InvalidInteger, InvalidTooSmall,
		InvalidTooLarge, InvalidTooShort, InvalidTooLong, InvalidPattern, InvalidMunicipality, InvalidIdentityNumber,
		InvalidIdentityControl, InvalidEmail, InvalidPhone, InvalidOption, InvalidBoolean, InvalidCountry}
	for _, lang := range Languages {
		if len(fieldMessages()[lang]) != len(kinds) {
			t.Errorf("%s has %d messages, want %d", lang, len(fieldMessages()[lang]), len(kinds))
		}
		for _, k := range kinds {
			msg := (&FieldError{Kind: k, Min: "1", Max: "20"}).Message(lang)
			if msg == "" || strings.Contains(msg, "{") {
				t.Errorf("%s %s: %q", lang, k, msg)
			}
			if lang != "en" && msg == fieldMessages()["en"][k] {
				t.Errorf("%s %s is English", lang, k)
			}
		}
	}
}

func TestCountriesAndMunicipalities(t *testing.T) {
	if n := len(Municipalities()); n != 290 {
		t.Errorf("%d municipalities, want 290", n)
	}
	cs := Countries()
	if len(cs) < 190 {
		t.Errorf("only %d countries", len(cs))
	}
	if CountryName("SE", "so") != "Iswidhan" || CountryName("SE", "uk") != "Швеція" {
		t.Errorf("country names: %q %q", CountryName("SE", "so"), CountryName("SE", "uk"))
	}
}
