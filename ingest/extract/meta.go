package extract

import (
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxURLBytes bounds the hrefs considered; longer ones are junk or attacks.
const maxURLBytes = 8 << 10

// meta is what a page says about itself, mostly in <head>.
type meta struct {
	base       *url.URL // document base URL: <base href> when http(s), else the page URL
	canonical  string   // "" when absent, invalid or on another host
	title      string
	lang       string
	modified   time.Time
	alternates map[string]string
}

// readMeta collects the page metadata from the whole document.
func readMeta(doc *html.Node, page *url.URL) meta {
	m := meta{base: page}
	var (
		title, ogTitle, h1 string
		baseHref           string
		canonical          string
		haveBase, haveCan  bool
		alternates         [][2]string // hreflang, href
	)
	visitElements(doc, 0, func(n *html.Node) bool {
		switch n.DataAtom {
		case atom.Html:
			if m.lang == "" {
				m.lang = primarySubtag(attr(n, "lang"))
			}
		case atom.Base:
			if href, ok := attrOK(n, "href"); ok && !haveBase {
				baseHref, haveBase = href, true
			}
		case atom.Title:
			if title == "" {
				title = collapse(textContent(n))
			}
		case atom.H1:
			if h1 == "" && !hidden(n) {
				h1 = collapse(textContent(n))
			}
		case atom.Meta:
			name, ok := attrOK(n, "name")
			if !ok {
				name = attr(n, "property")
			}
			content := attr(n, "content")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "og:title":
				if ogTitle == "" {
					ogTitle = collapse(content)
				}
			case "dcterms.modified", "last-modified", "article:modified_time":
				if t, ok := parseTime(content); ok && m.modified.IsZero() {
					m.modified = t
				}
			}
		case atom.Link:
			rel := " " + strings.ToLower(strings.Join(strings.Fields(attr(n, "rel")), " ")) + " "
			switch {
			case strings.Contains(rel, " canonical ") && !haveCan:
				canonical, haveCan = attr(n, "href"), true
			case strings.Contains(rel, " alternate "):
				if lang := attr(n, "hreflang"); lang != "" {
					alternates = append(alternates, [2]string{lang, attr(n, "href")})
				}
			}
		case atom.Svg, atom.Math, atom.Template, atom.Script, atom.Style:
			return false
		}
		return true
	})

	// The base URL applies to the whole document, wherever <base> stands.
	if haveBase {
		if u, ok := resolve(page, baseHref); ok {
			m.base, _ = url.Parse(u)
		}
	}
	if haveCan {
		if u, ok := resolve(m.base, canonical); ok {
			if cu, err := url.Parse(u); err == nil && strings.EqualFold(cu.Host, page.Host) {
				m.canonical = u
			}
		}
	}
	for _, a := range alternates {
		key := primarySubtag(a[0])
		if strings.EqualFold(strings.TrimSpace(a[0]), "x-default") {
			key = "x-default"
		}
		u, ok := resolve(m.base, a[1])
		if key == "" || !ok {
			continue
		}
		if m.alternates == nil {
			m.alternates = make(map[string]string)
		}
		if _, dup := m.alternates[key]; !dup {
			m.alternates[key] = u
		}
	}
	m.title = firstNonEmpty(title, ogTitle, h1)
	return m
}

// timeIn returns the modification time stated by a <time datetime> inside
// root: the one marked itemprop=dateModified, else the latest, since pages
// that show two dates show when they were published and when updated.
func timeIn(root *html.Node) time.Time {
	var latest, marked time.Time
	visitElements(root, 0, func(n *html.Node) bool {
		if n.DataAtom != atom.Time {
			return true
		}
		t, ok := parseTime(attr(n, "datetime"))
		if !ok {
			return true
		}
		if strings.EqualFold(attr(n, "itemprop"), "dateModified") && marked.IsZero() {
			marked = t
		}
		if t.After(latest) {
			latest = t
		}
		return true
	})
	if !marked.IsZero() {
		return marked
	}
	return latest
}

// parseTime parses the date formats pages use in metadata, returning UTC.
// Times without a zone are taken as UTC.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}, false
	}
	layouts := [...]string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05Z0700",
		"2006-01-02T15:04:05",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02 15:04:05Z07:00",
		"2006-01-02 15:04:05",
		"2006-01-02 15:04",
		"2006-01-02",
		time.RFC1123,
		time.RFC1123Z,
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// resolve makes href absolute against base, as a browser would, and accepts
// only http(s) URLs with a host. The fragment is dropped.
func resolve(base *url.URL, href string) (string, bool) {
	href = strings.TrimSpace(href)
	if href == "" || len(href) > maxURLBytes || strings.HasPrefix(href, "#") {
		return "", false
	}
	// Browsers drop tabs and newlines anywhere in a URL.
	href = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(href)
	ref, err := url.Parse(href)
	if err != nil {
		return "", false
	}
	u := base.ResolveReference(ref)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String(), true
}

// visitElements calls fn for each element under n in document order,
// descending into an element's children only when fn returns true. Nesting
// past maxDepth is not visited; html.Parse rejects such documents anyway.
func visitElements(n *html.Node, depth int, fn func(*html.Node) bool) {
	if depth > maxDepth {
		return
	}
	if n.Type == html.ElementNode && !fn(n) {
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		visitElements(c, depth+1, fn)
	}
}

// attr returns the value of n's attribute key, "" when absent.
func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

// attrOK returns the value of n's attribute key and whether it is present.
func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// firstNonEmpty returns the first of ss that is not empty.
func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
