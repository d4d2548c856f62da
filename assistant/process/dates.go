package process

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// toASCIIDigits turns Arabic-Indic and Persian digits into 0–9, so "۳ مارس ۲۰۲۶" reads as a date.
func toASCIIDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '٠' && r <= '٩':
			return '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			return '0' + (r - '۰')
		}
		return r
	}, s)
}

func parseISODate(s string) (time.Time, error) {
	return time.Parse(time.DateOnly, s)
}

var errNoDate = errors.New("not a date")

// parseDate reads a date a person typed: YYYY-MM-DD, D/M/YYYY, D.M.YYYY, D-M-YYYY (day first, as in
// Sweden), or a day, a month name in any supported language and a year.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(toASCIIDigits(s))
	if d, err := parseISODate(s); err == nil {
		return d, nil
	}
	found := findDates(s)
	if len(found) == 1 && strings.TrimSpace(s[:found[0].start]) == "" && strings.TrimSpace(s[found[0].end:]) == "" {
		return found[0].date, nil
	}
	return time.Time{}, errNoDate
}

// monthNames maps month names (as retrieval.Normalize and fold spell them) to month numbers, in
// every supported language: Gregorian months as people write them in sv, en, ar (both the Egyptian
// and the Levantine names), fa, so, ti and uk (nominative and genitive).
var monthNames = func() map[string]int {
	lists := [][]string{
		{"january", "jan", "januari", "يناير", "كانون الثاني", "ژانویه", "janaayo", "jannaayo", "ጥሪ", "січня", "січень"},
		{"february", "feb", "februari", "فبراير", "شباط", "فوریه", "febraayo", "febarwari", "ለካቲት", "лютого", "лютий"},
		{"march", "mar", "mars", "مارس", "آذار", "maarso", "መጋቢት", "березня", "березень"},
		{"april", "apr", "أبريل", "ابريل", "نيسان", "آوریل", "abriil", "ebriil", "ሚያዝያ", "квітня", "квітень"},
		{"may", "maj", "مايو", "أيار", "مه", "maajo", "ግንቦት", "травня", "травень"},
		{"june", "jun", "juni", "يونيو", "حزيران", "ژوئن", "juun", "ሰነ", "червня", "червень"},
		{"july", "jul", "juli", "يوليو", "تموز", "ژوئیه", "luuliyo", "julaay", "ሓምለ", "липня", "липень"},
		{"august", "aug", "augusti", "أغسطس", "آب", "اوت", "agoosto", "ነሓሰ", "серпня", "серпень"},
		{"september", "sep", "sept", "سبتمبر", "أيلول", "سپتامبر", "sebtembar", "sebteembar", "መስከረም", "вересня", "вересень"},
		{"october", "oct", "okt", "oktober", "أكتوبر", "تشرين الأول", "اکتبر", "oktoobar", "ጥቅምቲ", "жовтня", "жовтень"},
		{"november", "nov", "نوفمبر", "تشرين الثاني", "نوامبر", "nofembar", "nofeembar", "ሕዳር", "листопада", "листопад"},
		{"december", "dec", "ديسمبر", "كانون الأول", "دسامبر", "desembar", "diseembar", "ታሕሳስ", "грудня", "грудень"},
	}
	m := map[string]int{}
	for i, names := range lists {
		for _, n := range names {
			m[fold(n)] = i + 1
		}
	}
	return m
}()

var (
	isoDate     = regexp.MustCompile(`\b(\d{4})-(\d{1,2})-(\d{1,2})\b`)
	numericDate = regexp.MustCompile(`\b(\d{1,2})[./-](\d{1,2})[./-](\d{4})\b`)
)

// foundDate is a date in a text and the byte span it came from.
type foundDate struct {
	date       time.Time
	start, end int
}

// findDates finds the dates in a text (digits already ASCII): ISO, day-first numeric, and
// "3 March 2026" / "March 3, 2026" with month names in the supported languages.
func findDates(text string) []foundDate {
	var out []foundDate
	add := func(y, m, d, start, end int) {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if m >= 1 && m <= 12 && t.Day() == d && y >= 1900 && y <= 2100 {
			out = append(out, foundDate{date: t, start: start, end: end})
		}
	}
	for _, m := range isoDate.FindAllStringSubmatchIndex(text, -1) {
		add(atoi(text[m[2]:m[3]]), atoi(text[m[4]:m[5]]), atoi(text[m[6]:m[7]]), m[0], m[1])
	}
	for _, m := range numericDate.FindAllStringSubmatchIndex(text, -1) {
		add(atoi(text[m[6]:m[7]]), atoi(text[m[4]:m[5]]), atoi(text[m[2]:m[3]]), m[0], m[1])
	}
	// Month names: walk the words, looking for day month year or month day year.
	words := wordSpans(text)
	for i := range words {
		month, n := monthAt(words, i)
		if month == 0 {
			continue
		}
		// day before the month ("3 mars 2026", "3rd of March 2026", "den 3 mars")
		if i > 0 {
			j := i - 1
			if words[j].norm == "of" && j > 0 {
				j--
			}
			if day, ok := dayNumber(words[j].norm); ok && i+n < len(words) {
				if year, ok := yearNumber(words[i+n].norm); ok {
					add(year, month, day, words[j].start, words[i+n].end)
					continue
				}
			}
		}
		// month before the day ("March 3, 2026")
		if i+n+1 < len(words) {
			if day, ok := dayNumber(words[i+n].norm); ok {
				if year, ok := yearNumber(words[i+n+1].norm); ok {
					add(year, month, day, words[i].start, words[i+n+1].end)
				}
			}
		}
	}
	return dedupeDates(out)
}

func dedupeDates(in []foundDate) []foundDate {
	var out []foundDate
next:
	for _, d := range in {
		for _, o := range out {
			if d.start < o.end && o.start < d.end {
				continue next
			}
		}
		out = append(out, d)
	}
	return out
}

// monthAt reports the month named by the word at i (or the two words from i, for "تشرين الأول"),
// and how many words the name takes.
func monthAt(words []span, i int) (int, int) {
	if i+1 < len(words) {
		if m := monthNames[words[i].norm+" "+words[i+1].norm]; m != 0 {
			return m, 2
		}
	}
	return monthNames[words[i].norm], 1
}

var ordinalSuffix = regexp.MustCompile(`^(\d{1,2})(st|nd|rd|th|:e|:a|aad|da|dii|-го|го)?$`)

func dayNumber(w string) (int, bool) {
	m := ordinalSuffix.FindStringSubmatch(w)
	if m == nil {
		return 0, false
	}
	d := atoi(m[1])
	return d, d >= 1 && d <= 31
}

func yearNumber(w string) (int, bool) {
	if len(w) != 4 {
		return 0, false
	}
	y, err := strconv.Atoi(w)
	return y, err == nil
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// span is a word of a text: its folded form and its byte offsets in the text.
type span struct {
	norm       string
	start, end int
}

// wordSpans splits text into words as retrieval.Words does, keeping where each came from.
func wordSpans(text string) []span {
	var out []span
	start := -1
	flush := func(end int) {
		for end > start && start >= 0 && strings.ContainsRune(":'’", rune(text[end-1])) {
			end-- // a trailing colon or quote is punctuation, not part of the word
		}
		if start >= 0 && end > start {
			out = append(out, span{norm: fold(text[start:end]), start: start, end: end})
			start = -1
		}
	}
	for i, r := range text {
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(text))
	return out
}

// isWordRune is what retrieval.Words keeps in a word, plus the apostrophe of Ukrainian "п'ять", the
// colon of Swedish "3:e" and the zero-width non-joiner inside Persian words.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) ||
		r == '\'' || r == '’' || r == ':' || r == 0x200C
}
