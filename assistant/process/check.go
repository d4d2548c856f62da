package process

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// FieldError says why a value does not fit a field. Kind is one of the Invalid* constants; Message
// gives the sentence in the user's language.
type FieldError struct {
	Field string
	Kind  string
	Min   string // the bound, for InvalidTooSmall/Large/Short/Long/Early/Late
	Max   string
}

// Error is the English message, for logs (it never contains the value).
func (e *FieldError) Error() string { return e.Field + ": " + e.Message("en") }

// Message is the error as a sentence in lang (English when lang is not supported).
func (e *FieldError) Message(lang string) string {
	texts, ok := fieldMessages()[lang]
	if !ok {
		texts = fieldMessages()["en"]
	}
	return strings.NewReplacer("{min}", e.Min, "{max}", e.Max).Replace(texts[e.Kind])
}

// The kinds of FieldError.
const (
	InvalidRequired        = "required"
	InvalidDate            = "date"
	InvalidTooEarly        = "too_early"
	InvalidTooLate         = "too_late"
	InvalidInteger         = "integer"
	InvalidTooSmall        = "too_small"
	InvalidTooLarge        = "too_large"
	InvalidTooShort        = "too_short"
	InvalidTooLong         = "too_long"
	InvalidPattern         = "pattern"
	InvalidMunicipality    = "municipality"
	InvalidIdentityNumber  = "identity_number"
	InvalidIdentityControl = "identity_checksum"
	InvalidEmail           = "email"
	InvalidPhone           = "phone"
	InvalidOption          = "option"
	InvalidBoolean         = "boolean"
	InvalidCountry         = "country"
)

// Check reads a value the user typed for the field and returns it normalised (dates as YYYY-MM-DD,
// municipalities by their official name, identity numbers as YYYYMMDD-XXXX, phone numbers as +46…,
// countries as ISO codes, booleans as yes/no), or a *FieldError. An empty value is valid unless the
// field is required.
func (f Field) Check(value string) (string, error) {
	return f.checkAt(value, time.Now())
}

func (f Field) checkAt(value string, now time.Time) (string, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		if f.Required {
			return "", f.err(InvalidRequired)
		}
		return "", nil
	}
	v := f.Validation
	switch f.Type {
	case TypeText:
		n := utf8.RuneCountInString(value)
		if lo, err := strconv.Atoi(v.Min); err == nil && n < lo {
			return "", &FieldError{Field: f.Name, Kind: InvalidTooShort, Min: v.Min, Max: v.Max}
		}
		if hi, err := strconv.Atoi(v.Max); err == nil && n > hi {
			return "", &FieldError{Field: f.Name, Kind: InvalidTooLong, Min: v.Min, Max: v.Max}
		}
		if v.Pattern != "" {
			re, err := regexp.Compile(`^(?:` + v.Pattern + `)$`)
			if err != nil || !re.MatchString(value) {
				return "", f.err(InvalidPattern)
			}
		}
		return value, nil
	case TypeDate:
		d, err := parseDate(value)
		if err != nil {
			return "", f.err(InvalidDate)
		}
		if lo, ok := dateBound(v.Min, now); ok && d.Before(lo) {
			return "", &FieldError{Field: f.Name, Kind: InvalidTooEarly, Min: lo.Format(time.DateOnly)}
		}
		if hi, ok := dateBound(v.Max, now); ok && d.After(hi) {
			return "", &FieldError{Field: f.Name, Kind: InvalidTooLate, Max: hi.Format(time.DateOnly)}
		}
		return d.Format(time.DateOnly), nil
	case TypeInteger:
		n, err := strconv.Atoi(toASCIIDigits(value))
		if err != nil {
			return "", f.err(InvalidInteger)
		}
		if lo, err := strconv.Atoi(v.Min); err == nil && n < lo {
			return "", &FieldError{Field: f.Name, Kind: InvalidTooSmall, Min: v.Min, Max: v.Max}
		}
		if hi, err := strconv.Atoi(v.Max); err == nil && n > hi {
			return "", &FieldError{Field: f.Name, Kind: InvalidTooLarge, Min: v.Min, Max: v.Max}
		}
		return strconv.Itoa(n), nil
	case TypeMunicipality:
		if name, ok := municipalityByName(value); ok {
			return name, nil
		}
		return "", f.err(InvalidMunicipality)
	case TypeIdentityNumber:
		n, kind := parseIdentityNumber(value, now)
		if kind != "" {
			return "", f.err(kind)
		}
		return n, nil
	case TypeEmail:
		a, err := mail.ParseAddress(value)
		if err != nil || a.Address != value || !strings.Contains(a.Address[strings.LastIndexByte(a.Address, '@'):], ".") {
			return "", f.err(InvalidEmail)
		}
		at := strings.LastIndexByte(a.Address, '@')
		return a.Address[:at] + strings.ToLower(a.Address[at:]), nil
	case TypePhone:
		if n, ok := normalizePhone(value); ok {
			return n, nil
		}
		return "", f.err(InvalidPhone)
	case TypeChoice:
		for _, o := range v.Options {
			if o.Value == value {
				return value, nil
			}
		}
		return "", f.err(InvalidOption)
	case TypeBoolean:
		switch strings.ToLower(value) {
		case "yes", "true", "ja":
			return "yes", nil
		case "no", "false", "nej":
			return "no", nil
		}
		return "", f.err(InvalidBoolean)
	case TypeCountry:
		if code, ok := countryCode(value); ok {
			return code, nil
		}
		return "", f.err(InvalidCountry)
	}
	return value, nil
}

func (f Field) err(kind string) *FieldError { return &FieldError{Field: f.Name, Kind: kind} }

// dateBound reads a date bound: YYYY-MM-DD, or "today" (the day of now).
func dateBound(s string, now time.Time) (time.Time, bool) {
	if s == "today" {
		return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC), true
	}
	d, err := parseISODate(s)
	return d, err == nil
}

// normalizePhone reads a Swedish (0…) or international (+…, 00…) number and writes it +CC… .
func normalizePhone(s string) (string, bool) {
	s = toASCIIDigits(s)
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '/' || r == '.':
		default:
			return "", false
		}
	}
	n := b.String()
	switch {
	case strings.HasPrefix(n, "+"):
	case strings.HasPrefix(n, "00"):
		n = "+" + n[2:]
	case strings.HasPrefix(n, "0"):
		n = "+46" + n[1:]
	default:
		return "", false
	}
	n = strings.Replace(n, "+460", "+46", 1) // +46 (0)70…
	if digits := len(n) - 1; digits < 8 || digits > 15 {
		return "", false
	}
	return n, true
}

// countryCode reads an ISO 3166-1 alpha-2 code (any case) of a country.
func countryCode(s string) (string, bool) {
	if len(s) != 2 {
		return "", false
	}
	r, err := language.ParseRegion(strings.ToUpper(s))
	if err != nil || !r.IsCountry() {
		return "", false
	}
	return r.String(), true
}

// CountryName is a country's name (by ISO code) in lang, for showing a country field's value.
func CountryName(code, lang string) string {
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	t, err := language.Parse(lang)
	if err != nil {
		t = language.English
	}
	if name := display.Regions(t).Name(r); name != "" {
		return name
	}
	return code
}

// Countries lists every country as an option (ISO code, with its name in every language), for a
// country field's select list.
func Countries() []Option {
	var out []Option
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			if _, ok := countryCode(code); !ok {
				continue
			}
			label := Text{}
			for _, lang := range Languages {
				label[lang] = CountryName(code, lang)
			}
			if label["en"] == code {
				continue // a code without a name is no country anyone can pick
			}
			out = append(out, Option{Value: code, Label: label})
		}
	}
	return out
}
