package process

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Proposal is a value the user already stated, proposed for a field. Nothing is stored: the caller
// shows it with its source and the user confirms or changes it.
type Proposal struct {
	Field     string `json:"field"`
	Value     string `json:"value"`               // normalised by the field's Check
	Source    string `json:"source"`              // the words of the user's text it was read from
	Sensitive bool   `json:"sensitive,omitempty"` // an identity number: never log it
}

// Propose reads the user's texts (their question and what followed) for values of def's fields:
// a date of arrival, a municipality, the number of children, an identity number (with a valid check
// digit), an e-mail address, a phone number. A field gets a proposal only when the texts name one
// value for it and the value passes the field's Check. lang is the user's language; the texts are
// read in every language.
func Propose(def Definition, texts []string, lang string) []Proposal {
	return proposeAt(def, texts, time.Now())
}

func proposeAt(def Definition, texts []string, now time.Time) []Proposal {
	var found facts
	for _, t := range texts {
		found.read(t)
	}
	var out []Proposal
	for _, f := range def.Fields {
		var cands []candidate
		switch {
		case f.Type == TypeMunicipality:
			cands = found.places
		case f.Type == TypeIdentityNumber:
			cands = found.identities
		case f.Type == TypeEmail:
			cands = found.emails
		case f.Type == TypePhone:
			cands = found.phones
		case f.Type == TypeDate && f.Prefill == PrefillArrivalDate:
			cands = found.arrival()
		case f.Type == TypeInteger && f.Prefill == PrefillChildren:
			cands = found.children
		default:
			continue
		}
		var valid []candidate
		for _, c := range cands {
			v, err := f.checkAt(c.value, now)
			if err != nil || v == "" {
				continue
			}
			c.value = v
			if !slices.ContainsFunc(valid, func(o candidate) bool { return o.value == v }) {
				valid = append(valid, c)
			}
		}
		if len(valid) == 1 { // two different values: the user must say which, so propose neither
			out = append(out, Proposal{Field: f.Name, Value: valid[0].value, Source: valid[0].source, Sensitive: f.Sensitive})
		}
	}
	return out
}

// candidate is a value read from a text, before a field checks it.
type candidate struct {
	value, source string
	arrival       bool // a date in a sentence that speaks of arriving
}

// facts are the values found in the user's texts.
type facts struct {
	places, identities, emails, phones, dates, children []candidate
}

func (f *facts) arrival() []candidate {
	var cued []candidate
	for _, d := range f.dates {
		if d.arrival {
			cued = append(cued, d)
		}
	}
	if len(cued) > 0 {
		return cued
	}
	if len(f.dates) == 1 {
		return f.dates
	}
	return nil
}

var (
	emailInText    = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	identityInText = regexp.MustCompile(`\b(?:19|20)?\d{6}[-+]?\d{4}\b`)
	phoneInText    = regexp.MustCompile(`(?:\+|\b00)\d{1,3}[\s\-]?(?:\(0\)[\s\-]?)?\d{1,4}(?:[\s\-]?\d{2,4}){2,4}\b|\b0\d{1,3}[\s\-/]?\d{2,3}(?:[\s\-]?\d{2,3}){1,3}\b`)
	sentenceEnd    = regexp.MustCompile(`[.!?؟።\n]+(\s|$)`)
)

// read collects the values of one text.
func (f *facts) read(original string) {
	text, orig := asciiDigits(original)
	source := func(start, end int) string { return strings.TrimSpace(original[orig(start):orig(end)]) }
	taken := func(start, end int, spans [][2]int) bool {
		for _, s := range spans {
			if start < s[1] && s[0] < end {
				return true
			}
		}
		return false
	}
	var used [][2]int
	for _, m := range emailInText.FindAllStringIndex(text, -1) {
		f.emails = append(f.emails, candidate{value: text[m[0]:m[1]], source: source(m[0], m[1])})
		used = append(used, [2]int{m[0], m[1]})
	}
	for _, m := range identityInText.FindAllStringIndex(text, -1) {
		if taken(m[0], m[1], used) {
			continue
		}
		f.identities = append(f.identities, candidate{value: text[m[0]:m[1]], source: source(m[0], m[1])})
		used = append(used, [2]int{m[0], m[1]})
	}
	sentences := sentenceSpans(text)
	for _, d := range findDates(text) {
		if taken(d.start, d.end, used) {
			continue
		}
		f.dates = append(f.dates, candidate{value: d.date.Format(time.DateOnly), source: source(d.start, d.end),
			arrival: speaksOfArrival(text, sentences, d.start)})
		used = append(used, [2]int{d.start, d.end})
	}
	for _, m := range phoneInText.FindAllStringIndex(text, -1) {
		if taken(m[0], m[1], used) {
			continue
		}
		f.phones = append(f.phones, candidate{value: text[m[0]:m[1]], source: source(m[0], m[1])})
		used = append(used, [2]int{m[0], m[1]})
	}
	words := wordSpans(text)
	for _, p := range findMunicipalities(text, words) {
		f.places = append(f.places, candidate{value: p.name, source: source(p.start, p.end)})
	}
	for _, c := range findChildren(words) {
		f.children = append(f.children, candidate{value: strconv.Itoa(c.n), source: source(c.start, c.end)})
	}
}

// asciiDigits turns Arabic-Indic and Persian digits into ASCII and returns a function from a byte
// offset in the result to the offset in s, so sources quote the user's own text.
func asciiDigits(s string) (string, func(int) int) {
	var b strings.Builder
	var offsets []int
	for i, r := range s {
		c := toASCIIDigits(string(r))
		for range len(c) {
			offsets = append(offsets, i)
		}
		b.WriteString(c)
	}
	offsets = append(offsets, len(s))
	return b.String(), func(i int) int { return offsets[i] }
}

func sentenceSpans(text string) [][2]int {
	var out [][2]int
	start := 0
	for _, m := range sentenceEnd.FindAllStringIndex(text, -1) {
		out = append(out, [2]int{start, m[1]})
		start = m[1]
	}
	return append(out, [2]int{start, len(text)})
}

// arrivalCues are words (as prefixes of folded words) that say someone arrived or moved.
var arrivalCues = func() []string {
	var out []string
	for _, w := range []string{
		"arrived", "arrive", "came", "moved", "landed", // en
		"kom", "anlände", "flyttade", "flyttat", "ankom", // sv
		"وصلت", "وصلنا", "قدمت", "جئت", "انتقلت", "دخلت", // ar
		"رسیدم", "آمدم", "اومدم", "رسیدیم", "آمدیم", "مهاجرت", // fa
		"imid", "imaaday", "yimid", "gaaray", "guuray", "soo galay", // so
		"መጻእኩ", "ኣተኹ", "በጻሕኩ", "መጺእና", "ኣቲና", // ti
		"приїхав", "приїхала", "прибув", "прибула", "переїхав", "переїхала", "приїхали", // uk
	} {
		out = append(out, fold(w))
	}
	return out
}()

func speaksOfArrival(text string, sentences [][2]int, at int) bool {
	for _, s := range sentences {
		if at < s[0] || at >= s[1] {
			continue
		}
		for _, w := range wordSpans(text[s[0]:s[1]]) {
			for _, cue := range arrivalCues {
				if strings.HasPrefix(w.norm, cue) {
					return true
				}
			}
		}
	}
	return false
}
