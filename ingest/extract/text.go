package extract

import (
	"strings"
	"unicode"

	"golang.org/x/net/html"
)

// collapse returns s with each run of white space replaced by one space and
// trimmed, and with control characters (NUL among them), zero-width spaces
// and soft hyphens removed. Zero-width joiners and non-joiners stay: Persian
// spelling needs them.
func collapse(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r), r == '\u200b', r == '\ufeff', r == '\u00ad':
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// textContent returns the text under n, skipping what never renders as text.
func textContent(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node, int)
	walk = func(n *html.Node, depth int) {
		if depth > maxDepth {
			return
		}
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			if neverText(n) {
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// blockKind says how a block of text joins its neighbours.
type blockKind int

const (
	paragraph blockKind = iota // separated by a blank line
	listItem                   // "- " line, consecutive items on consecutive lines
	tableRow                   // cells joined by " | ", consecutive rows on consecutive lines
)

// block is one paragraph, list item or table row of a section.
type block struct {
	kind blockKind
	text string
}

// joinBlocks renders blocks as Section.Text.
func joinBlocks(blocks []block) string {
	var b strings.Builder
	for i, bl := range blocks {
		if i > 0 {
			if bl.kind != paragraph && bl.kind == blocks[i-1].kind {
				b.WriteByte('\n')
			} else {
				b.WriteString("\n\n")
			}
		}
		if bl.kind == listItem {
			b.WriteString("- ")
		}
		b.WriteString(bl.text)
	}
	return b.String()
}
