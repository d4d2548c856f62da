package assistant

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyisverige/lots/retrieval"
)

// quote returns up to n sentences of passage that share the most words with the question,
// verbatim and in their original order. A passage with no shared word is quoted from its start.
func quote(question, passage string, n int) string {
	sentences := splitSentences(passage)
	if len(sentences) <= n {
		return strings.Join(sentences, " ")
	}
	terms := stems(question)
	type scored struct {
		i     int
		score float64
	}
	scores := make([]scored, len(sentences))
	for i, s := range sentences {
		var sc float64
		for st := range stems(s) {
			if terms[st] {
				sc++
			}
		}
		scores[i] = scored{i, sc}
	}
	sort.SliceStable(scores, func(a, b int) bool { return scores[a].score > scores[b].score })
	if scores[0].score == 0 {
		return strings.Join(sentences[:n], " ")
	}
	keep := make([]int, 0, n)
	for _, s := range scores[:n] {
		if s.score > 0 {
			keep = append(keep, s.i)
		}
	}
	sort.Ints(keep)
	parts := make([]string, len(keep))
	for i, k := range keep {
		parts[i] = sentences[k]
	}
	return strings.Join(parts, " … ")
}

// stems are the content words of text cut to five letters, a crude stem for every language.
func stems(text string) map[string]bool {
	out := map[string]bool{}
	for _, w := range retrieval.Words(retrieval.Normalize(text)) {
		w = retrieval.BaseForm(w)
		if utf8.RuneCountInString(w) < 3 {
			continue
		}
		if r := []rune(w); len(r) > 5 {
			w = string(r[:5])
		}
		out[w] = true
	}
	return out
}

// splitSentences splits at sentence ends (. ! ? and the Arabic, Ethiopic and Devanagari stops)
// followed by space, and at line breaks, which end list items.
func splitSentences(text string) []string {
	var out []string
	var cur strings.Builder
	runes := []rune(text)
	flush := func() {
		// A list item's marker is layout, not words of the source.
		if s := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(cur.String()), "- ")); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	for i, r := range runes {
		if r == '\n' {
			flush()
			continue
		}
		cur.WriteRune(r)
		switch r {
		case '.', '!', '?', '؟', '።', '፧':
			if i+1 == len(runes) || unicode.IsSpace(runes[i+1]) || r == '።' {
				flush()
			}
		}
	}
	flush()
	return out
}
