package process

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// identityShape is a Swedish personal identity or coordination number: an optional century, YYMMDD,
// an optional - or + (+ for people 100 or older), four digits.
var identityShape = regexp.MustCompile(`^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{4})$`)

// parseIdentityNumber checks a personnummer or samordningsnummer (the day plus 60) and writes it as
// YYYYMMDD-XXXX. The returned kind is "" when valid, else InvalidIdentityNumber (shape or date) or
// InvalidIdentityControl (the Luhn check digit).
func parseIdentityNumber(s string, now time.Time) (string, string) {
	s = strings.ReplaceAll(toASCIIDigits(strings.TrimSpace(s)), " ", "")
	m := identityShape.FindStringSubmatch(s)
	if m == nil {
		return "", InvalidIdentityNumber
	}
	century, yy, mm, dd, sep, tail := m[1], m[2], m[3], m[4], m[5], m[6]
	month, _ := strconv.Atoi(mm)
	day, _ := strconv.Atoi(dd)
	if day > 60 {
		day -= 60 // samordningsnummer
	}
	y, _ := strconv.Atoi(yy)
	year := 0
	if century != "" {
		c, _ := strconv.Atoi(century)
		year = c*100 + y
	} else {
		year = 2000 + y
		if year > now.Year() {
			year -= 100
		}
		if sep == "+" {
			year -= 100
		}
	}
	born := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if month < 1 || month > 12 || day < 1 || born.Day() != day || born.After(now) || year < 1870 {
		return "", InvalidIdentityNumber
	}
	if !luhn(yy + mm + dd + tail) {
		return "", InvalidIdentityControl
	}
	return strconv.Itoa(year) + mm + dd + "-" + tail, ""
}

// luhn checks the last digit of a ten-digit number with the Luhn algorithm, as Skatteverket does.
func luhn(digits string) bool {
	sum := 0
	for i, r := range digits {
		d := int(r - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
