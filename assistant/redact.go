package assistant

import "regexp"

var (
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// A Swedish personal identity or coordination number: (YY)YYMMDD, an optional - or +, four
	// digits. Coordination numbers add 60 to the day, so days 61–91 count too.
	identityPattern = regexp.MustCompile(`\b(?:19|20)?\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])[-+ ]?\d{4}\b`)
	// Phone numbers: Swedish (0…, +46, 0046) and other international numbers of at least 8 digits.
	phonePattern = regexp.MustCompile(`(?:\+|00)\d{1,3}[\s\-]?(?:\(0\)[\s\-]?)?\d{1,4}(?:[\s\-]?\d{2,4}){2,4}\b|\b0\d{1,3}[\s\-/]?\d{2,3}(?:[\s\-]?\d{2,3}){1,3}\b`)
)

// Redact replaces identity numbers, phone numbers and e-mail addresses in text by a marker, so
// that they are never stored or logged. It errs towards redacting: a long run of digits in a
// question is more likely personal than a fact Lots needs.
func Redact(text string) string {
	text = emailPattern.ReplaceAllString(text, "[e-mail]")
	text = identityPattern.ReplaceAllString(text, "[identity number]")
	text = phonePattern.ReplaceAllString(text, "[phone number]")
	return text
}
