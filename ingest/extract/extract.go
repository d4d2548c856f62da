// Package extract turns a fetched page, HTML or PDF, into clean, structured
// text: the main content split into sections under their heading paths, plus
// the metadata the crawler and the index need (canonical URL, language,
// modification time, translations and links).
//
// Pages are hostile input. Every function here returns an error rather than
// panicking, and bounds the work it does: ErrTooComplex for input past the
// size or nesting limits, ErrNoContent when nothing readable is left.
package extract

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

// ErrNoContent means the page has no main content left after boilerplate removal.
var ErrNoContent = errors.New("no main content")

// ErrTooComplex means the page exceeds the size or nesting limits.
var ErrTooComplex = errors.New("page too large or too deeply nested")

// maxHTMLBytes bounds the HTML accepted; agency pages are well under 1 MB.
const maxHTMLBytes = 16 << 20

// maxDepth bounds the element nesting walked. x/net/html already refuses more
// than 512 open elements; this guards the recursion against anything it lets by.
const maxDepth = 1024

// Document is the content of one fetched page.
type Document struct {
	URL              string            // the page's URL as passed in
	Canonical        string            // absolute <link rel=canonical> on the page's host, else URL
	Title            string            // <title>, og:title or the first h1, whitespace collapsed
	Language         string            // ISO 639-1: declared, unless the detector is confident of another
	DeclaredLanguage string            // lower-case primary subtag of <html lang>, "" if none
	Modified         time.Time         // dcterms.modified, last-modified or article:modified_time meta, else a <time datetime> in the content (PDF: ModDate); zero if unknown
	Alternates       map[string]string // hreflang primary subtag (or "x-default") -> absolute http(s) URL
	Links            []string          // absolute http(s) URLs linked from the main content and nav, deduplicated, no fragments
	Sections         []Section         // main content in reading order
}

// Section is a run of main-content text under one heading path.
type Section struct {
	Headings []string // heading path, outermost first, e.g. ["Personal identity number", "What to bring"]
	Text     string   // paragraphs joined by "\n\n"; list items and table rows as lines, items starting with "- "
}

// HTML extracts the main content and metadata of an HTML page fetched from
// pageURL, which must be absolute http(s). Valid UTF-8 is read as UTF-8;
// other bytes by their byte order mark or <meta charset>, else as windows-1252.
func HTML(body []byte, pageURL string) (*Document, error) {
	page, err := parsePageURL(pageURL)
	if err != nil {
		return nil, fmt.Errorf("extract html: %w", err)
	}
	if len(body) > maxHTMLBytes {
		return nil, fmt.Errorf("extract html %s: %d bytes: %w", pageURL, len(body), ErrTooComplex)
	}
	body, err = toUTF8(body)
	if err != nil {
		return nil, fmt.Errorf("extract html %s: %w", pageURL, err)
	}
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		// With an in-memory reader the parser fails only on its nesting limit.
		return nil, fmt.Errorf("extract html %s: %w: %w", pageURL, ErrTooComplex, err)
	}

	m := readMeta(doc, page)
	d := &Document{
		URL:              pageURL,
		Canonical:        m.canonical,
		Title:            m.title,
		DeclaredLanguage: m.lang,
		Modified:         m.modified,
		Alternates:       m.alternates,
	}
	if d.Canonical == "" {
		d.Canonical = pageURL
	}

	root, sections, err := mainContent(doc)
	if err != nil {
		return nil, fmt.Errorf("extract html %s: %w", pageURL, err)
	}
	d.Sections = sections
	d.Links = links(doc, root, m.base)
	if d.Modified.IsZero() {
		d.Modified = timeIn(root)
	}
	d.Language = resolveLanguage(d.DeclaredLanguage, languageSample(d.Sections))
	return d, nil
}

// parsePageURL parses the URL a page was fetched from, which must be absolute http(s).
func parsePageURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("page url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("page url %q: not an absolute http(s) URL", s)
	}
	return u, nil
}

// toUTF8 converts body to UTF-8. Bytes that are valid UTF-8 are taken as
// UTF-8 whatever the page declares: pages that declare ISO-8859-1 and serve
// UTF-8 are common, while Latin-1 text that happens to be valid UTF-8 is not.
// Otherwise the HTML sniffing rules apply: byte order mark, <meta charset>,
// and windows-1252 by default; a page declaring UTF-8 stays UTF-8, its broken
// bytes becoming U+FFFD.
func toUTF8(body []byte) ([]byte, error) {
	if utf8.Valid(body) {
		return bytes.TrimPrefix(body, []byte(utf8BOM)), nil
	}
	enc, name, _ := charset.DetermineEncoding(body, "")
	if name == "utf-8" {
		return body, nil
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	return out, nil
}

// utf8BOM is the UTF-8 byte order mark, which would otherwise reach the text.
const utf8BOM = "\xEF\xBB\xBF"

// languageSample returns the start of the content, enough for language detection.
func languageSample(sections []Section) string {
	var b bytes.Buffer
	for _, s := range sections {
		if b.Len() >= 4096 { // the detector reads no more than this
			break
		}
		b.WriteString(s.Text)
		b.WriteByte('\n')
	}
	return b.String()
}
