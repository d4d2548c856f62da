package alexa

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/speech"
)

// Alexa's limits: at most 8,000 characters of SSML per output speech, and of title and content
// per card. The budgets leave room for the markup and the closing sentences.
const (
	maxSpokenAnswer = 6000
	maxCardContent  = 4000
)

// ssml wraps paragraphs of plain text in <speak>, one <p> each, escaped.
func ssml(paragraphs ...string) string {
	var b strings.Builder
	b.WriteString("<speak>")
	for _, p := range paragraphs {
		p = strings.Join(strings.Fields(p), " ")
		if p == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(escape(p))
		b.WriteString("</p>")
	}
	b.WriteString("</speak>")
	return b.String()
}

// xmlEscaper escapes the characters SSML text may not hold.
var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escape makes s safe as SSML text: markup characters escaped, characters XML forbids dropped.
func escape(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, s)
	return xmlEscaper.Replace(s)
}

// spokenAnswer turns an answer's text into paragraphs to speak, as every voice channel speaks
// them (speech.Speakable: without citation markers, which a listener cannot follow, nor markdown
// emphasis), cut at a sentence end when it is too long to speak (the card holds the sources).
func spokenAnswer(answer string) []string {
	var out []string
	budget := maxSpokenAnswer
	for _, p := range strings.Split(answer, "\n\n") {
		p = speech.Speakable(p)
		if p == "" {
			continue
		}
		n := len("<p>" + escape(p) + "</p>")
		if n <= budget {
			out = append(out, p)
			budget -= n
			continue
		}
		if cut := cutSentences(p, budget-len("<p></p>")); cut != "" {
			out = append(out, cut)
		}
		break
	}
	return out
}

// cutSentences is the longest run of p's leading sentences whose escaped form fits in budget
// bytes, or its leading words when not even the first sentence fits.
func cutSentences(p string, budget int) string {
	fits := func(s string) bool { return len(escape(s)) <= budget }
	best := ""
	for i, r := range p {
		if r != '.' && r != '?' && r != '!' && r != '。' && r != '؟' && r != '።' && r != '۔' {
			continue
		}
		end := i + utf8.RuneLen(r)
		if !fits(p[:end]) {
			break
		}
		best = p[:end]
	}
	if best != "" {
		return best
	}
	words := strings.Fields(p)
	var b strings.Builder
	for _, w := range words {
		if !fits(b.String() + " " + w + " …") {
			break
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	if b.Len() == 0 {
		return ""
	}
	return b.String() + " …"
}

// sourcesCard lists the pages an answer cites, with title, address, agency and fetch date:
// a speaker cannot show links, the Alexa app can. Passages of one page are one entry, with
// their numbers in the answer.
func sourcesCard(msgs *assistant.Messages, lang string, cites []assistant.Citation) *card {
	if len(cites) == 0 {
		return nil
	}
	var pages []assistant.Citation
	numbers := map[string][]string{}
	for _, c := range cites {
		if _, seen := numbers[c.URL]; !seen {
			pages = append(pages, c)
		}
		numbers[c.URL] = append(numbers[c.URL], strconv.Itoa(c.N))
	}
	var b strings.Builder
	for i, c := range pages {
		entry := fmt.Sprintf("[%s] %s\n%s\n%s, %s %s", strings.Join(numbers[c.URL], ", "), c.Title, c.URL, c.Agency,
			msgs.Text(lang, assistant.MsgFetched), c.Fetched)
		if i > 0 {
			entry = "\n\n" + entry
		}
		if utf8.RuneCountInString(b.String()+entry) > maxCardContent {
			break
		}
		b.WriteString(entry)
	}
	return &card{Type: "Simple", Title: "Lots: " + msgs.Text(lang, assistant.MsgSources), Content: b.String()}
}
