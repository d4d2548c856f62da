package extract

import (
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// minParagraphChars is the length from which a paragraph counts as content
// when scoring, as in Readability.
const minParagraphChars = 25

// candidate is an element that may contain the main content.
type candidate struct {
	node      *html.Node
	score     float64
	chars     int // non-space characters of text under node
	linkChars int // of which inside links
}

// textStats counts the text under a node.
type textStats struct {
	chars, linkChars, commas int
}

// scoredRoot picks the element most likely to hold the main content of a page
// without explicit markup, the way Mozilla's Readability does: each paragraph
// scores by its length and commas; the score goes in full to its parent, half
// to its grandparent and a third of the level to further ancestors; container
// scores start from hints in the tag, class and id and shrink with the share
// of text in links. It returns body when no paragraph qualifies.
func scoredRoot(body *html.Node) *html.Node {
	s := &scorer{byNode: make(map[*html.Node]*candidate)}
	for c := body.FirstChild; c != nil; c = c.NextSibling {
		s.measure(c, 0, 1)
	}
	var top *candidate
	for _, c := range s.order {
		if c.chars > 0 {
			c.score *= 1 - float64(c.linkChars)/float64(c.chars)
		}
		if top == nil || c.score > top.score {
			top = c
		}
	}
	if top == nil {
		return body
	}
	root := top.node

	// Climb while an ancestor scores better: content split into sibling
	// containers leaves the best one just below their common parent.
	last, threshold := top.score, top.score/3
	for p := root.Parent; p != nil && p != body; p = p.Parent {
		c := s.byNode[p]
		if c == nil {
			continue
		}
		if c.score < threshold {
			break
		}
		if c.score > last {
			root = p
			break
		}
		last = c.score
	}
	// Take the parent when it wraps nothing else, or when a sibling holds
	// content too (a lead paragraph beside the body text).
	for root != body && onlyElementChild(root) {
		root = root.Parent
	}
	if root != body && s.siblingContent(root, top.score) {
		root = root.Parent
	}
	return root
}

// scorer holds the candidates found while measuring a tree.
type scorer struct {
	byNode map[*html.Node]*candidate
	order  []*candidate // in the order found, so ties go the same way every time
}

// measure counts the text under n, scoring paragraphs on the way.
func (s *scorer) measure(n *html.Node, sectioningDepth, depth int) textStats {
	var st textStats
	if depth > maxDepth {
		return st
	}
	switch n.Type {
	case html.TextNode:
		for _, r := range n.Data {
			switch {
			case r == ',' || r == '،' || r == '、':
				st.commas++
				st.chars++
			case !unicode.IsSpace(r):
				st.chars++
			}
		}
		return st
	case html.ElementNode:
		if skipped(n, sectioningDepth, true) {
			return st
		}
		if sectioning(n) {
			sectioningDepth++
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		cs := s.measure(c, sectioningDepth, depth+1)
		st.chars += cs.chars
		st.linkChars += cs.linkChars
		st.commas += cs.commas
	}
	if n.Type != html.ElementNode {
		return st
	}
	if n.DataAtom == atom.A {
		st.linkChars = st.chars
	}
	if scorable(n) && st.chars >= minParagraphChars {
		s.distribute(n, 1+float64(st.commas)+min(float64(st.chars)/100, 3))
	}
	if c := s.byNode[n]; c != nil {
		c.chars, c.linkChars = st.chars, st.linkChars
	}
	return st
}

// distribute adds a paragraph's score to its ancestors.
func (s *scorer) distribute(p *html.Node, score float64) {
	level := 0
	for a := p.Parent; a != nil && a.Type == html.ElementNode && level < 5; a = a.Parent {
		c := s.byNode[a]
		if c == nil {
			c = &candidate{node: a, score: initialScore(a)}
			s.byNode[a] = c
			s.order = append(s.order, c)
		}
		switch level {
		case 0:
			c.score += score
		case 1:
			c.score += score / 2
		default:
			c.score += score / float64(level*3)
		}
		if a.DataAtom == atom.Body {
			break
		}
		level++
	}
}

// siblingContent reports whether an element beside root holds content: a
// candidate scoring at least a fifth of the top, a paragraph of some length
// that is mostly not links, or a sentence without links.
func (s *scorer) siblingContent(root *html.Node, topScore float64) bool {
	for sib := root.Parent.FirstChild; sib != nil; sib = sib.NextSibling {
		if sib == root || sib.Type != html.ElementNode || skipped(sib, 0, true) {
			continue
		}
		if c := s.byNode[sib]; c != nil && c.score >= max(10, topScore/5) {
			return true
		}
		if sib.DataAtom == atom.P {
			text := collapse(textContent(sib))
			share := linkShare(sib, len(text))
			if len(text) >= 80 && share < 0.25 || text != "" && share == 0 && strings.HasSuffix(text, ".") {
				return true
			}
		}
	}
	return false
}

// linkShare returns the share of n's text, chars long, that is in links.
func linkShare(n *html.Node, chars int) float64 {
	linked := 0
	visitElements(n, 0, func(e *html.Node) bool {
		if e.DataAtom == atom.A {
			linked += len(collapse(textContent(e)))
			return false
		}
		return true
	})
	return float64(linked) / float64(max(chars, 1))
}

// scorable reports elements that are paragraphs for scoring: <p>, <pre>,
// <td>, and <div>s holding only inline content, which old pages use as paragraphs.
func scorable(n *html.Node) bool {
	switch n.DataAtom {
	case atom.P, atom.Pre, atom.Td:
		return true
	case atom.Div:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && blockElement(c.DataAtom) {
				return false
			}
		}
		return true
	}
	return false
}

// initialScore is a container's score before its paragraphs add to it.
func initialScore(n *html.Node) float64 {
	var score float64
	switch n.DataAtom {
	case atom.Div:
		score = 5
	case atom.Pre, atom.Td, atom.Blockquote:
		score = 3
	case atom.Address, atom.Ol, atom.Ul, atom.Dl, atom.Dd, atom.Dt, atom.Li, atom.Form:
		score = -3
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Th:
		score = -5
	}
	return score + classWeight(attr(n, "class")) + classWeight(attr(n, "id"))
}

// classWeight scores a class or id by Readability's positive and negative hints.
func classWeight(s string) float64 {
	if s == "" {
		return 0
	}
	s = strings.ToLower(s)
	var w float64
	if containsAny(s, "hidden", "banner", "combx", "comment", "com-", "contact", "footer", "gdpr", "masthead",
		"media", "meta", "outbrain", "promo", "related", "scroll", "share", "shoutbox", "sidebar", "skyscraper",
		"sponsor", "shopping", "tags", "widget") {
		w -= 25
	}
	if containsAny(s, "article", "body", "content", "entry", "hentry", "h-entry", "main", "page", "post",
		"text", "blog", "story") {
		w += 25
	}
	return w
}

// onlyElementChild reports whether n is the only element child of its parent.
func onlyElementChild(n *html.Node) bool {
	for c := n.Parent.FirstChild; c != nil; c = c.NextSibling {
		if c != n && c.Type == html.ElementNode {
			return false
		}
	}
	return true
}
