package extract

import (
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// mainContent finds the element holding the page's main content and splits
// it into sections. Explicit markup wins (<main>, role=main, a sole
// top-level <article>); otherwise a Readability-style score picks the root,
// and elements whose class or id look like furniture are dropped as well.
func mainContent(doc *html.Node) (*html.Node, []Section, error) {
	body := findElement(doc, func(n *html.Node) bool { return n.DataAtom == atom.Body })
	if body == nil {
		return nil, nil, ErrNoContent
	}
	roots := [...]struct {
		find   func(body *html.Node) *html.Node
		strict bool
	}{{findMain, false}, {findRoleMain, false}, {soleArticle, false}, {scoredRoot, true}}
	for _, r := range roots {
		root := r.find(body)
		if root == nil {
			continue
		}
		sections, err := sectionsOf(body, root, r.strict)
		if err != nil {
			return nil, nil, err
		}
		if len(sections) > 0 {
			return root, sections, nil
		}
	}
	return nil, nil, ErrNoContent
}

// findMain returns the first visible <main> under body.
func findMain(body *html.Node) *html.Node {
	return findElement(body, func(n *html.Node) bool { return n.DataAtom == atom.Main })
}

// findRoleMain returns the first visible element with role=main under body.
func findRoleMain(body *html.Node) *html.Node {
	return findElement(body, func(n *html.Node) bool { return hasRole(n, "main") })
}

// sectionsOf splits the content of root into sections. The heading path
// starts from the last h1 before root, for pages that put the title above
// the content container.
func sectionsOf(body, root *html.Node, strict bool) ([]Section, error) {
	w := &walker{strict: strict}
	for a := root; a != nil; a = a.Parent {
		if sectioning(a) {
			w.sectioning++
		}
	}
	// Start below body: a class like "cookie-consent-pending" on it would
	// otherwise count as a banner.
	for c := body.FirstChild; c != nil; c = c.NextSibling {
		h1, done := precedingH1(c, root, 0, 1)
		if h1 != "" {
			w.path[0] = h1
		}
		if done {
			break
		}
	}
	if err := w.children(root, 0); err != nil {
		return nil, err
	}
	w.closeSection()
	return w.sections, nil
}

// walker turns a content tree into sections, one block of text at a time.
type walker struct {
	strict     bool            // also drop elements whose class or id look like furniture
	sectioning int             // how many main/article/section elements enclose the node
	path       [6]string       // current heading of each level h1..h6
	sections   []Section       // finished sections
	blocks     []block         // blocks of the current section
	buf        strings.Builder // inline text of the current block
	inHeading  bool            // inside h1..h6: everything within is heading text
	inItem     bool            // inside <li>: blocks within join into one item
	inTable    bool            // inside a data table: rows become lines
	inRow      bool            // inside a data table row: cells join into one line
	cells      int             // cells seen in the current row
	brs        int             // <br> seen since the last text
}

// walk adds the text under n.
func (w *walker) walk(n *html.Node, depth int) error {
	if depth > maxDepth {
		return ErrTooComplex
	}
	switch n.Type {
	case html.TextNode:
		w.buf.WriteString(n.Data)
		if strings.TrimSpace(n.Data) != "" {
			w.brs = 0
		}
		return nil
	case html.ElementNode:
	default:
		return nil
	}
	if skipped(n, w.sectioning, w.strict) {
		return nil
	}
	if sectioning(n) {
		w.sectioning++
		defer func() { w.sectioning-- }()
	}
	joined := w.inItem || w.inRow // blocks inside join the current line
	switch a := n.DataAtom; {
	case w.inHeading:
		if blockElement(a) || a == atom.Br {
			w.buf.WriteByte(' ')
			defer w.buf.WriteByte(' ')
		}
	case headingLevel(a) > 0 && !joined:
		return w.heading(n, headingLevel(a), depth)
	case a == atom.Li:
		return w.block(n, depth, func() { w.inItem = true })
	case a == atom.Ul || a == atom.Ol || a == atom.Menu || a == atom.Dl:
		// A list starts new lines even inside an item: nested items get their own.
		return w.block(n, depth, nil)
	case a == atom.Table && !joined && dataTable(n):
		return w.block(n, depth, func() { w.inTable = true })
	case a == atom.Tr && w.inTable && !w.inRow:
		return w.block(n, depth, func() { w.inRow, w.cells = true, 0 })
	case (a == atom.Td || a == atom.Th) && w.inRow:
		if w.cells++; w.cells > 1 {
			w.buf.WriteString(" | ")
		}
		return w.children(n, depth)
	case a == atom.Br:
		if w.brs++; w.brs >= 2 && !joined {
			w.flush() // <br><br> is how old pages separate paragraphs
		}
		w.buf.WriteByte(' ')
		return nil
	case blockElement(a):
		if joined {
			w.buf.WriteByte(' ')
			err := w.children(n, depth)
			w.buf.WriteByte(' ')
			return err
		}
		return w.block(n, depth, nil)
	}
	return w.children(n, depth)
}

// children walks the children of n.
func (w *walker) children(n *html.Node, depth int) error {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if err := w.walk(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// block walks n as a block of its own, in the state enter sets up.
func (w *walker) block(n *html.Node, depth int, enter func()) error {
	w.flush()
	inItem, inTable, inRow, cells := w.inItem, w.inTable, w.inRow, w.cells
	if enter != nil {
		enter()
	}
	err := w.children(n, depth)
	w.flush()
	w.inItem, w.inTable, w.inRow, w.cells = inItem, inTable, inRow, cells
	return err
}

// heading closes the current section and opens one under the heading n.
func (w *walker) heading(n *html.Node, level, depth int) error {
	w.flush()
	w.inHeading = true
	err := w.children(n, depth)
	w.inHeading = false
	if err != nil {
		return err
	}
	text := collapse(w.buf.String())
	w.buf.Reset()
	if text == "" {
		return nil
	}
	w.closeSection()
	w.path[level-1] = text
	for i := level; i < len(w.path); i++ {
		w.path[i] = ""
	}
	return nil
}

// flush ends the current block.
func (w *walker) flush() {
	text := collapse(w.buf.String())
	w.buf.Reset()
	w.brs = 0
	if text == "" {
		return
	}
	kind := paragraph
	switch {
	case w.inRow:
		kind = tableRow
	case w.inItem:
		kind = listItem
	}
	w.blocks = append(w.blocks, block{kind: kind, text: text})
}

// closeSection ends the current section.
func (w *walker) closeSection() {
	w.flush()
	if len(w.blocks) == 0 {
		return
	}
	headings := make([]string, 0, len(w.path))
	for _, h := range w.path {
		if h != "" {
			headings = append(headings, h)
		}
	}
	w.sections = append(w.sections, Section{Headings: headings, Text: joinBlocks(w.blocks)})
	w.blocks = w.blocks[:0]
}

// precedingH1 returns the text of the last visible h1 under n that comes
// before root in document order, and whether root was reached.
func precedingH1(n, root *html.Node, sectioningDepth, depth int) (string, bool) {
	if n == root {
		return "", true
	}
	if depth > maxDepth || n.Type != html.ElementNode || skipped(n, sectioningDepth, false) {
		return "", false
	}
	if n.DataAtom == atom.H1 {
		return collapse(textContent(n)), false
	}
	if sectioning(n) {
		sectioningDepth++
	}
	var last string
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		h1, done := precedingH1(c, root, sectioningDepth, depth+1)
		if h1 != "" {
			last = h1
		}
		if done {
			return last, true
		}
	}
	return last, false
}

// skipped reports whether the element n and all under it are not main
// content: never text, hidden, page furniture or a cookie banner; in strict
// mode also anything whose class or id suggests furniture. sectioning counts
// the main/article/section elements around n: a <header> inside one is the
// content's own header, not the site banner.
func skipped(n *html.Node, sectioning int, strict bool) bool {
	if neverText(n) || hidden(n) {
		return true
	}
	switch n.DataAtom {
	case atom.Nav, atom.Aside, atom.Footer, atom.Form, atom.Dialog:
		return true
	case atom.Header:
		if sectioning == 0 {
			return true
		}
	}
	for _, role := range [...]string{"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog", "menu", "menubar"} {
		if hasRole(n, role) {
			return true
		}
	}
	classID := strings.ToLower(attr(n, "class") + " " + attr(n, "id"))
	if containsAny(classID, "cookie", "consent", "gdpr") {
		return true
	}
	return strict && unlikely(classID)
}

// unlikely reports whether a class and id string suggests page furniture,
// after Readability's unlikelyCandidates (less "header", which on many pages
// wraps the h1 inside the content).
func unlikely(classID string) bool {
	return containsAny(classID, "-ad-", "ai2html", "banner", "breadcrumb", "combx", "comment", "community",
		"cover-wrap", "disqus", "extra", "footer", "legends", "menu", "related", "remark", "replies", "rss",
		"shoutbox", "sidebar", "skyscraper", "social", "sponsor", "supplemental", "ad-break", "agegate",
		"pagination", "pager", "popup", "yom-remote", "share", "skip") &&
		!containsAny(classID, "and", "article", "body", "column", "content", "main", "shadow")
}

// neverText reports elements whose content never renders as page text.
func neverText(n *html.Node) bool {
	if n.Namespace != "" { // SVG and MathML
		return true
	}
	switch n.DataAtom {
	case atom.Head, atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Iframe, atom.Frame,
		atom.Frameset, atom.Object, atom.Embed, atom.Canvas, atom.Video, atom.Audio, atom.Svg, atom.Math,
		atom.Select, atom.Textarea, atom.Button, atom.Input:
		return true
	}
	return false
}

// hidden reports whether n is hidden by its attributes. hidden=until-found
// is collapsed content a reader can open, so it counts as visible.
func hidden(n *html.Node) bool {
	for _, a := range n.Attr {
		switch a.Key {
		case "hidden":
			if !strings.EqualFold(strings.TrimSpace(a.Val), "until-found") {
				return true
			}
		case "aria-hidden":
			if strings.EqualFold(strings.TrimSpace(a.Val), "true") {
				return true
			}
		case "style":
			style := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
			if strings.Contains(style, "display:none") || strings.Contains(style, "visibility:hidden") {
				return true
			}
		}
	}
	return false
}

// hasRole reports whether n's role attribute lists role.
func hasRole(n *html.Node, role string) bool {
	roles, ok := attrOK(n, "role")
	if !ok {
		return false
	}
	for _, r := range strings.Fields(roles) {
		if strings.EqualFold(r, role) {
			return true
		}
	}
	return false
}

// sectioning reports whether n is an element whose <header> belongs to the content.
func sectioning(n *html.Node) bool {
	return n.Type == html.ElementNode && (n.DataAtom == atom.Main || n.DataAtom == atom.Article || n.DataAtom == atom.Section)
}

// headingLevel returns 1..6 for h1..h6, else 0.
func headingLevel(a atom.Atom) int {
	switch a {
	case atom.H1:
		return 1
	case atom.H2:
		return 2
	case atom.H3:
		return 3
	case atom.H4:
		return 4
	case atom.H5:
		return 5
	case atom.H6:
		return 6
	}
	return 0
}

// blockElement reports elements that start and end a block of text.
func blockElement(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Caption, atom.Center, atom.Dd,
		atom.Details, atom.Dialog, atom.Div, atom.Dl, atom.Dt, atom.Fieldset, atom.Figcaption, atom.Figure,
		atom.Footer, atom.Form, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Header,
		atom.Hgroup, atom.Hr, atom.Legend, atom.Li, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.P,
		atom.Pre, atom.Section, atom.Summary, atom.Table, atom.Tbody, atom.Td, atom.Tfoot, atom.Th,
		atom.Thead, atom.Tr, atom.Ul:
		return true
	}
	return false
}

// dataTable reports whether table holds data rather than layout: a data
// table's cells hold no blocks, so each row reads as one line.
func dataTable(table *html.Node) bool {
	if hasRole(table, "presentation") || hasRole(table, "none") {
		return false
	}
	layout := findElement(table, func(n *html.Node) bool {
		if n == table {
			return false
		}
		switch n.DataAtom {
		case atom.Td, atom.Th, atom.Tr, atom.Tbody, atom.Thead, atom.Tfoot, atom.Caption, atom.Colgroup, atom.Col:
			return false
		}
		return blockElement(n.DataAtom)
	})
	return layout == nil
}

// soleArticle returns the only top-level <article> under body, or nil when
// there are none or several (a listing page).
func soleArticle(body *html.Node) *html.Node {
	var found *html.Node
	count := 0
	visitElements(body, 0, func(n *html.Node) bool {
		if neverText(n) || hidden(n) {
			return false
		}
		if n.DataAtom == atom.Article {
			found = n
			count++
			return false
		}
		return true
	})
	if count != 1 {
		return nil
	}
	return found
}

// findElement returns the first visible element under n (n included) for
// which match is true, not looking inside what never renders.
func findElement(n *html.Node, match func(*html.Node) bool) *html.Node {
	var found *html.Node
	visitElements(n, 0, func(e *html.Node) bool {
		if found != nil || neverText(e) || hidden(e) {
			return false
		}
		if match(e) {
			found = e
			return false
		}
		return true
	})
	return found
}

// links returns the http(s) links under root and in navigation anywhere on
// the page, absolute, without fragments, deduplicated, in document order.
// Links in furniture inside the content (an aside of related pages) count:
// the crawler wants them even though the text does not.
func links(doc, root *html.Node, base *url.URL) []string {
	var out []string
	seen := make(map[string]bool)
	var walk func(*html.Node, int, bool)
	walk = func(n *html.Node, depth int, in bool) {
		if depth > maxDepth {
			return
		}
		if n.Type == html.ElementNode {
			if neverText(n) {
				return
			}
			in = in || n == root || n.DataAtom == atom.Nav || hasRole(n, "navigation")
			if in && n.DataAtom == atom.A {
				if u, ok := resolve(base, attr(n, "href")); ok && !seen[u] {
					seen[u] = true
					out = append(out, u)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, depth+1, in)
		}
	}
	walk(doc, 0, false)
	return out
}

// containsAny reports whether s contains any of subs.
func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
